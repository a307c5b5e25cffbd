/**
 * Emits C for one matmul C = op(A)·op(B) (+ bias row) (relu), every shape a constant, for the
 * native tier (runtime/tiers/native). The text holds numbers and fixed identifiers only: nothing
 * a user wrote reaches it.
 *
 * Blocking, outer to inner: batch, column panel of NR columns, k block of at most KC, row tile of
 * MR rows, k. Each (panel, k block) of B is packed into a thread-local buffer as kc rows of NR
 * contiguous floats (zero past the last column), so the k loop reads B as two aligned 16-float
 * vectors from L1; A is read in place, one broadcast per row and k. C accumulates across k blocks
 * in memory and the epilogue runs on the last one. The MR x NR accumulator tile (16 vectors) fits
 * AVX-512's registers with room for B; GCC's vector extensions say it without intrinsics, so the
 * same text compiles (split into narrower vectors) where -march=native has no AVX-512.
 *
 * ABI: `kjit_run(base, offsets, p0, p1)` with byte offsets [c, a, b, bias] into the memory at
 * `base`, computing column panels [p0, p1); `kjit_panels()` returns their count.
 */
import type { MatmulShape } from '../matmul-shape.js';

export interface CEpilogue {
  readonly bias: boolean;
  readonly relu: boolean;
}

export const MR = 8;
export const NR = 32;
const MAX_KC = 256;

export interface MatmulC {
  readonly source: string;
  readonly panels: number;
}

/** The k block: at most MAX_KC, the blocks of K as equal as they can be. */
function kBlock(K: number): number {
  return Math.ceil(K / Math.ceil(K / MAX_KC));
}

export function emitMatmulC(s: MatmulShape, e: CEpilogue): MatmulC {
  for (const [what, v] of [['batch', s.batch], ['M', s.M], ['K', s.K], ['N', s.N]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`native matmul: ${what} must be a positive integer, got ${v}`);
  }
  const panels = Math.ceil(s.N / NR);
  // A(r, k) relative to the tile's first row and the block's first k.
  const aAt = s.transposeA ? `a[(size_t)k * ${s.M} + r]` : `a[(size_t)r * ${s.K} + k]`;
  const aTile = s.transposeA ? `A + (size_t)pc * ${s.M} + i` : `A + (size_t)i * ${s.K} + pc`;
  const bAt = s.transposeB ? `B[(size_t)(j0 + j) * ${s.K} + pc + k]` : `B[(size_t)(pc + k) * ${s.N} + j0 + j]`;
  const packLoops = s.transposeB
    ? `for (int j = 0; j < width; j++) for (int k = 0; k < kc; k++) packed[k * NR + j] = ${bAt};`
    : `for (int k = 0; k < kc; k++) for (int j = 0; j < width; j++) packed[k * NR + j] = ${bAt};`;
  const source = `#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef float v16 __attribute__((vector_size(64)));
typedef int32_t i16v __attribute__((vector_size(64)));
enum { M = ${s.M}, K = ${s.K}, N = ${s.N}, BATCH = ${s.batch}, MR = ${MR}, NR = ${NR}, KC = ${kBlock(s.K)}, PANELS = ${panels} };
#define BIAS ${e.bias ? 1 : 0}
#define RELU ${e.relu ? 1 : 0}

static _Thread_local float packed[KC * NR] __attribute__((aligned(64)));

uint32_t kjit_panels(void) { return PANELS; }

/* One tile of mr rows: acc = (first ? 0 : C) + A·Bpacked, then on the last block the epilogue. */
static inline __attribute__((always_inline)) void tile(const int mr, const float *restrict a, float *restrict c, int kc, int first, int last, int width, v16 bias0, v16 bias1) {
  v16 acc[MR][2];
  for (int r = 0; r < mr; r++) {
    if (first) { acc[r][0] = (v16){0}; acc[r][1] = (v16){0}; }
    else if (width == NR) { memcpy(&acc[r][0], c + (size_t)r * N, sizeof(v16)); memcpy(&acc[r][1], c + (size_t)r * N + 16, sizeof(v16)); }
    else {
      float row[NR] = {0};
      memcpy(row, c + (size_t)r * N, (size_t)width * sizeof(float));
      memcpy(&acc[r][0], row, sizeof(v16)); memcpy(&acc[r][1], row + 16, sizeof(v16));
    }
  }
  for (int k = 0; k < kc; k++) {
    const v16 b0 = *(const v16 *)(packed + k * NR), b1 = *(const v16 *)(packed + k * NR + 16);
    for (int r = 0; r < mr; r++) {
      const float av = ${aAt};
      acc[r][0] += av * b0;
      acc[r][1] += av * b1;
    }
  }
  if (last) {
    for (int r = 0; r < mr; r++) {
      if (BIAS) { acc[r][0] += bias0; acc[r][1] += bias1; }
      /* Zero where negative; NaN compares false and stays, as the other tiers' maximum keeps it. */
      if (RELU) for (int h = 0; h < 2; h++) acc[r][h] = (v16)((i16v)acc[r][h] & ~(acc[r][h] < (v16){0}));
    }
  }
  for (int r = 0; r < mr; r++) {
    if (width == NR) { memcpy(c + (size_t)r * N, &acc[r][0], sizeof(v16)); memcpy(c + (size_t)r * N + 16, &acc[r][1], sizeof(v16)); }
    else {
      float row[NR];
      memcpy(row, &acc[r][0], sizeof(v16)); memcpy(row + 16, &acc[r][1], sizeof(v16));
      memcpy(c + (size_t)r * N, row, (size_t)width * sizeof(float));
    }
  }
}

void kjit_run(char *base, const uint32_t *offsets, uint32_t p0, uint32_t p1) {
  for (int bt = 0; bt < BATCH; bt++) {
    float *C = (float *)(base + offsets[0]) + (size_t)bt * M * N;
    const float *A = (const float *)(base + offsets[1]) + (size_t)bt * M * K;
    const float *B = (const float *)(base + offsets[2]) + (size_t)bt * K * N;
    for (uint32_t p = p0; p < p1; p++) {
      const int j0 = (int)p * NR, width = N - j0 < NR ? N - j0 : NR;
      v16 bias0 = {0}, bias1 = {0};
      if (BIAS) {
        float row[NR] = {0};
        memcpy(row, (const float *)(base + offsets[3]) + j0, (size_t)width * sizeof(float));
        memcpy(&bias0, row, sizeof(v16)); memcpy(&bias1, row + 16, sizeof(v16));
      }
      for (int pc = 0; pc < K; pc += KC) {
        const int kc = K - pc < KC ? K - pc : KC;
        if (width < NR) memset(packed, 0, sizeof packed);
        ${packLoops}
        const int first = pc == 0, last = pc + kc >= K;
        int i = 0;
        for (; i + MR <= M; i += MR) tile(MR, ${aTile}, C + (size_t)i * N + j0, kc, first, last, width, bias0, bias1);
        switch (M - i) {
${Array.from({ length: MR - 1 }, (_, r) => `          case ${r + 1}: tile(${r + 1}, ${aTile}, C + (size_t)i * N + j0, kc, first, last, width, bias0, bias1); break;`).join('\n')}
          default: break;
        }
      }
    }
  }
}
`;
  return { source, panels };
}
