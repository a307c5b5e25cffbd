/**
 * Emits C for one matmul C = op(A)·op(B) (+ bias row) (relu), every shape a constant, for the
 * native tier (runtime/tiers/native). The text holds numbers and fixed identifiers only: nothing
 * a user wrote reaches it.
 *
 * Blocking, outer to inner (GotoBLAS's order): batch, k block of at most KC, row block of at most
 * MC rows, column panel of NR columns, row tile of MR rows, k. Each (k block, row block) of A is
 * packed into a thread-local buffer as MR-row tiles of kc x MR floats, and each (k block, panel)
 * of B as kc rows of NR floats (zeros past the last row and column), so the k loop reads both
 * sequentially from cache whatever the transposes. C accumulates across k blocks in memory and
 * the epilogue runs on the last one. The MR x NR accumulator tile fits AVX-512's 32 registers
 * with room for B; GCC's vector extensions say it without intrinsics, so the same text compiles
 * (split into narrower vectors) where -march=native has no AVX-512.
 *
 * ABI: `kjit_run(base, offsets, u0, u1)` with byte offsets [c, a, b, bias] (then an elementwise
 * epilogue's buffers) into the memory at
 * `base`, computing units [u0, u1): (row block, column panel) pairs, row block major (threads
 * split them: disjoint blocks of C, each thread packing into its own buffers); `kjit_panels()`
 * returns their count.
 */
import type { MatmulShape } from '../matmul-shape.js';

export interface CEpilogue {
  readonly bias: boolean;
  readonly relu: boolean;
  /** C += op(A)·op(B): the first k block starts from C's stored value (the convolution filter gradient sums chunks so). */
  readonly accumulate?: boolean;
  /**
   * Any other flat epilogue, as the C of `kjit_epilogue` (elementwise-c.ts's emitEpilogueC): C is
   * then the raw product, and each row block, once its last k block is stored, runs the epilogue
   * over the elements it computed while they are in cache, as one contiguous loop when the
   * range holds the block's whole rows; the epilogue's buffers are the offsets after the first four. Neither bias nor relu with it.
   */
  readonly elementwise?: string;
}

/** The register tile: MR rows by NV vectors of 16 floats. */
export interface CTile {
  readonly mr: number;
  readonly nv: number;
}

export const DEFAULT_C_TILE: CTile = { mr: 8, nv: 2 };
/** Products at most one vector wide (a classifier's 10 columns): more rows per tile, not columns that are zeros. */
const NARROW_C_TILE: CTile = { mr: 12, nv: 1 };

/** The register tile for a product of this shape. */
export const tileFor = (s: MatmulShape): CTile => (s.N <= 16 ? NARROW_C_TILE : DEFAULT_C_TILE);
const MAX_KC = 256;
const MAX_MC = 128;
const DIRECT_A_BYTES = 256 * 1024;

export interface MatmulC {
  readonly source: string;
  readonly panels: number;
}

/** A block of at most `max`, the blocks of `n` as equal as they can be (rounded up to `unit`). */
function block(n: number, max: number, unit = 1): number {
  const b = Math.ceil(n / Math.ceil(n / max));
  return Math.ceil(b / unit) * unit;
}

export function emitMatmulC(s: MatmulShape, e: CEpilogue, tile: CTile = tileFor(s)): MatmulC {
  for (const [what, v] of [['batch', s.batch], ['M', s.M], ['K', s.K], ['N', s.N], ['tile rows', tile.mr], ['tile vectors', tile.nv]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`native matmul: ${what} must be a positive integer, got ${v}`);
  }
  if (e.elementwise !== undefined && (e.bias || e.relu || e.accumulate === true)) throw new Error('native matmul: an elementwise epilogue comes alone');
  const NR = 16 * tile.nv;
  const panels = Math.ceil(s.N / NR);
  const { mr: MR, nv: NV } = tile;
  const mc = block(s.M, MAX_MC, MR), rowBlocks = Math.ceil(s.M / mc);
  // Element (i, k) of op(A) and (k, j) of op(B), absolute within one batch.
  const aAt = (i: string, k: string) => (s.transposeA ? `A[(size_t)(${k}) * M + (${i})]` : `A[(size_t)(${i}) * K + (${k})]`);
  const bAt = (k: string, j: string) => (s.transposeB ? `B[(size_t)(${j}) * K + (${k})]` : `B[(size_t)(${k}) * N + (${j})]`);
  // Loop orders that read the source contiguously in its inner loop.
  // Aᵀ's rows are A's columns: each tile's MR values of a k are contiguous in A, so a tile packs
  // as one short copy per k (the element loop's division and scatter kept it scalar).
  const packA = s.transposeA
    ? `for (int t = 0; t < rows; t += MR) { const int n = rows - t < MR ? rows - t : MR; for (int k = 0; k < kc; k++) memcpy(apack + (size_t)t * kc + k * MR, A + (size_t)(pc + k) * M + i0 + t, (size_t)n * sizeof(float)); }`
    : `for (int i = 0; i < rows; i++) for (int k = 0; k < kc; k++) apack[(i / MR) * kc * MR + k * MR + i % MR] = ${aAt('i0 + i', 'pc + k')};`;
  const packB = s.transposeB
    ? `for (int j = 0; j < width; j++) for (int k = 0; k < kc; k++) bpack[k * NR + j] = ${bAt('pc + k', 'j0 + j')};`
    : `for (int k = 0; k < kc; k++) for (int j = 0; j < width; j++) bpack[k * NR + j] = ${bAt('pc + k', 'j0 + j')};`;
  // A small Aᵀ (its k rows within L2) needs no packing: a tile's MR values of a k are contiguous
  // in A already, and the tile reads them with stride M instead of MR. Packing such an A cost
  // more than the product of a narrow one (a classifier's weight gradient).
  const directA = s.transposeA && s.M * s.K * 4 <= DIRECT_A_BYTES;
  const aTile = directA ? 'A + (size_t)pc * M + i0 + i' : 'apack + (size_t)i * kc';
  const vecs = Array.from({ length: NV }, (_, v) => v);
  const source = `${e.elementwise ?? '#include <stddef.h>\n#include <stdint.h>\n#include <string.h>'}

typedef float v16 __attribute__((vector_size(64)));
typedef int32_t i16v __attribute__((vector_size(64)));
enum { M = ${s.M}, K = ${s.K}, N = ${s.N}, BATCH = ${s.batch}, MR = ${MR}, NV = ${NV}, NR = ${NR}, KC = ${block(s.K, MAX_KC)}, MC = ${mc}, ROW_BLOCKS = ${rowBlocks}, PANELS = ${panels} };
#define A_STRIDE ${directA ? 'M' : 'MR'}
#define BIAS ${e.bias ? 1 : 0}
#define RELU ${e.relu ? 1 : 0}
#define ACCUMULATE ${e.accumulate === true ? 1 : 0}
#define EPILOGUE ${e.elementwise !== undefined ? 1 : 0}

static _Thread_local float apack[MC * KC] __attribute__((aligned(64)));
static _Thread_local float bpack[KC * NR] __attribute__((aligned(64)));

/* Units: (row block, column panel) pairs, row block major, so threads share the rows of a tall
   product rather than each packing all of A for a few panels. */
uint32_t kjit_panels(void) { return ROW_BLOCKS * PANELS; }

/* One tile of mr rows: acc = (first ? 0 : C) + Apacked·Bpacked, then on the last block the epilogue. */
static inline __attribute__((always_inline)) void tile(const int mr, const float *restrict a, float *restrict c, int kc, int first, int last, int width, const v16 *bias) {
  v16 acc[MR][NV];
  for (int r = 0; r < mr; r++) {
    float row[NR] = {0};
    if (first) {}
    else if (width == NR) memcpy(row, c + (size_t)r * N, sizeof row);
    else memcpy(row, c + (size_t)r * N, (size_t)width * sizeof(float));
    for (int v = 0; v < NV; v++) memcpy(&acc[r][v], row + 16 * v, sizeof(v16));
  }
  for (int k = 0; k < kc; k++) {
    const v16 *bk = (const v16 *)(bpack + k * NR);
${vecs.map((v) => `    const v16 b${v} = bk[${v}];`).join('\n')}
    for (int r = 0; r < mr; r++) {
      const float av = a[k * A_STRIDE + r];
${vecs.map((v) => `      acc[r][${v}] += av * b${v};`).join('\n')}
    }
  }
  for (int r = 0; r < mr; r++) {
    float row[NR];
    for (int v = 0; v < NV; v++) {
      v16 x = acc[r][v];
      if (last && BIAS) x += bias[v];
      /* Zero where negative; NaN compares false and stays, as the other tiers' maximum keeps it. */
      if (last && RELU) x = (v16)((i16v)x & ~(x < (v16){0}));
      memcpy(row + 16 * v, &x, sizeof(v16));
    }
    if (width == NR) memcpy(c + (size_t)r * N, row, sizeof row);
    else memcpy(c + (size_t)r * N, row, (size_t)width * sizeof(float));
  }
}

void kjit_run(char *base, const uint32_t *offsets, uint32_t u0, uint32_t u1) {
  for (int bt = 0; bt < BATCH; bt++) {
    float *C = (float *)(base + offsets[0]) + (size_t)bt * M * N;
    const float *A = (const float *)(base + offsets[1]) + (size_t)bt * M * K;
    const float *B = (const float *)(base + offsets[2]) + (size_t)bt * K * N;
    for (int pc = 0; pc < K; pc += KC) {
      const int kc = K - pc < KC ? K - pc : KC, first = pc == 0 && !ACCUMULATE, last = pc + kc >= K;
      for (uint32_t rb = u0 / PANELS; rb * PANELS < u1; rb++) {
        const int i0 = (int)rb * MC, rows = M - i0 < MC ? M - i0 : MC;
        const uint32_t p0 = u0 > rb * PANELS ? u0 - rb * PANELS : 0, p1 = u1 - rb * PANELS < PANELS ? u1 - rb * PANELS : PANELS;
        ${directA ? '/* Aᵀ is read in place: its k rows are already MR-row tiles with stride M. */' : packA}
        for (uint32_t p = p0; p < p1; p++) {
          const int j0 = (int)p * NR, width = N - j0 < NR ? N - j0 : NR;
          v16 bias[NV];
          memset(bias, 0, sizeof bias);
          if (BIAS && last) memcpy(bias, (const float *)(base + offsets[3]) + j0, (size_t)width * sizeof(float));
          if (width < NR) memset(bpack, 0, sizeof bpack);
          ${packB}
          int i = 0;
          for (; i + MR <= rows; i += MR) tile(MR, ${aTile}, C + (size_t)(i0 + i) * N + j0, kc, first, last, width, bias);
          switch (rows - i) {
${Array.from({ length: MR - 1 }, (_, r) => `            case ${r + 1}: tile(${r + 1}, ${aTile}, C + (size_t)(i0 + i) * N + j0, kc, first, last, width, bias); break;`).join('\n')}
            default: break;
          }
        }
${e.elementwise !== undefined ? `        /* The row block's panels of the product are in cache: their epilogue now, row by row over
           the columns of the panels this range computed (whole rows but at a range's ends). */
        if (last) {
          const size_t c0 = (size_t)p0 * NR, c1 = (size_t)p1 * NR < N ? (size_t)p1 * NR : N;
          const size_t top = ((size_t)bt * M + (size_t)i0) * N;
          if (c0 == 0 && c1 == N) kjit_epilogue(base, offsets + 4, top, top + (size_t)rows * N);
          else for (int r = 0; r < rows; r++) kjit_epilogue(base, offsets + 4, top + (size_t)r * N + c0, top + (size_t)r * N + c1);
        }` : ''}
      }
    }
  }
}
`;
  return { source, panels: rowBlocks * panels };
}
