/**
 * Emits C for one Winograd F(2x2, 3x3) correlation (codegen/wasm/winograd-plan.ts), the native
 * twin of winograd-emit.ts's module: the same chunks of tiles, the same input transform Bᵀ d B,
 * the 16 products M[ξ] = V[ξ] · U[ξ] against the filter the caller transformed (in JS, as for the
 * WebAssembly kernel), and the same output transform Aᵀ M A with bias and relu, each sum in the
 * same order, so the float32 error bound of tests/wasm-winograd.test.ts holds for it too (the
 * compiler's fused multiply-adds only drop roundings). Forward and input gradient; the filter
 * gradient's twin is winograd-filter-c.ts.
 *
 * ABI as matmul-c.ts: `kjit_run(base, offsets, c0, c1)` with byte offsets [out, img, u, bias]
 * runs chunks [c0, c1); `kjit_panels()` is the chunk count. Each thread transforms into its own
 * thread-local V and M, so threads given disjoint ranges share nothing but what they read.
 */
import type { WinogradSpec } from '../wasm/winograd-plan.js';
import type { CEpilogue, MatmulC } from './matmul-c.js';

/**
 * Bᵀ d B of tile t's 4x4 input into row r of V[16][CT][CIN] (declared by the including kernel,
 * as is the staging tile stage[16][CIN]): the wasm kernel's sums, straight from the image, or via
 * the staging tile where the tile reaches past the image's edge. Shared by the forward, input
 * gradient and filter gradient kernels, which read their image the same way.
 */
export const INPUT_TILE_C = `/* Bᵀ d B of one tile, d(i, j) at src + i * rs + j * CIN, into row r of V: the wasm kernel's sums. */
static void transform_in(const float *restrict src, size_t rs, int r) {
  for (int ci = 0; ci < CIN; ci++) {
    float d[4][4], t[4];
    for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) d[i][j] = src[i * rs + (size_t)j * CIN + ci];
    for (int i = 0; i < 4; i++) {
      for (int j = 0; j < 4; j++) t[j] = i == 0 ? d[0][j] - d[2][j] : i == 1 ? d[1][j] + d[2][j] : i == 2 ? d[2][j] - d[1][j] : d[1][j] - d[3][j];
      V[i * 4 + 0][r][ci] = t[0] - t[2];
      V[i * 4 + 1][r][ci] = t[1] + t[2];
      V[i * 4 + 2][r][ci] = t[2] - t[1];
      V[i * 4 + 3][r][ci] = t[1] - t[3];
    }
  }
}
static void input_tile(const float *restrict img, int t, int r) {
  const int tx = t % TX, ty = (t / TX) % TY, n = t / TX / TY, iy0 = 2 * ty - PT, ix0 = 2 * tx - PL;
  if (H >= 4 && W >= 4 && iy0 >= 0 && iy0 <= H - 4 && ix0 >= 0 && ix0 <= W - 4) {
    transform_in(img + ((size_t)(n * H + iy0) * W + ix0) * CIN, (size_t)W * CIN, r);
    return;
  }
  for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) {
    const int iy = iy0 + i, ix = ix0 + j;
    if (iy >= 0 && iy < H && ix >= 0 && ix < W) memcpy(stage[i * 4 + j], img + ((size_t)(n * H + iy) * W + ix) * CIN, sizeof stage[0]);
    else memset(stage[i * 4 + j], 0, sizeof stage[0]);
  }
  transform_in(stage[0], 4 * CIN, r);
}`;

/** Rows of one register tile of the chunk products (chunk tiles are a multiple of 12). */
const MR = 6;

/**
 * The includes, the vector type and the spec's shape as C constants, shared by the forward and
 * filter-gradient twins; `more` adds enum members of the caller's.
 */
export function specHeader(s: WinogradSpec, mr: number, nb: number, vw: number, more: string): string {
  return `#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef float vf __attribute__((vector_size(${vw * 4})));
enum { NIMG = ${s.N}, H = ${s.H}, W = ${s.W}, CIN = ${s.Cin}, OH = ${s.OH}, OW = ${s.OW}, COUT = ${s.Cout},
  PT = ${s.padTop}, PL = ${s.padLeft}, TY = ${s.TY}, TX = ${s.TX}, TILES = ${s.tiles}, CT = ${s.chunkTiles}, CHUNKS = ${s.chunks},
  MR = ${mr}, NB = ${nb}, VW = ${vw}, NV = ${nb / vw}${more} };`;
}

/** The widest column block (floats) that divides Cout, and the vector width that divides it. */
export function columns(cout: number): { readonly nb: number; readonly vw: number } {
  const nb = [64, 48, 32, 16, 12, 8, 4].find((b) => cout % b === 0) ?? 4;
  const vw = nb % 16 === 0 ? 16 : nb % 8 === 0 ? 8 : 4;
  return { nb, vw };
}

export function emitWinogradC(s: WinogradSpec, e: Pick<CEpilogue, 'bias' | 'relu'>): MatmulC {
  if (s.op === 'conv2dBackpropFilter') throw new Error('native Winograd: the filter gradient has no C twin');
  if (s.Cin % 4 !== 0 || s.Cout % 4 !== 0 || s.chunkTiles % MR !== 0) throw new Error(`native Winograd: channels must be multiples of 4 and chunk tiles of ${MR}, got ${s.Cin}, ${s.Cout}, ${s.chunkTiles}`);
  const { nb, vw } = columns(s.Cout);
  const nv = nb / vw;
  const vecs = Array.from({ length: nv }, (_, v) => v);
  const rows = Array.from({ length: MR }, (_, r) => r);
  const source = `${specHeader(s, MR, nb, vw, '')}
#define BIAS ${e.bias ? 1 : 0}
#define RELU ${e.relu ? 1 : 0}

/* V[ξ][tile][ci], M[ξ][tile][co], and the 4x4 staging tile of an edge tile. */
static _Thread_local float V[16][CT][CIN] __attribute__((aligned(64)));
static _Thread_local float M[16][CT][COUT] __attribute__((aligned(64)));
static _Thread_local float stage[16][CIN] __attribute__((aligned(64)));

uint32_t kjit_panels(void) { return CHUNKS; }

${INPUT_TILE_C}
/* m (rows x COUT) = v (rows x CIN) · u (CIN x COUT), MR rows by NB columns in registers. */
static void product(const float *restrict v, const float *restrict u, float *restrict m, int rows) {
  for (int r0 = 0; r0 < rows; r0 += MR) {
    for (int j0 = 0; j0 < COUT; j0 += NB) {
${rows.map((r) => vecs.map((q) => `      vf a${r}_${q} = {0};`).join('\n')).join('\n')}
      for (int k = 0; k < CIN; k++) {
        const float *ub = u + (size_t)k * COUT + j0;
${vecs.map((q) => `        vf b${q}; memcpy(&b${q}, ub + ${q * vw}, sizeof b${q});`).join('\n')}
${rows.map((r) => `        { const float x = v[(size_t)(r0 + ${r}) * CIN + k];${vecs.map((q) => ` a${r}_${q} += x * b${q};`).join('')} }`).join('\n')}
      }
${rows.map((r) => vecs.map((q) => `      memcpy(m + (size_t)(r0 + ${r}) * COUT + j0 + ${q * vw}, &a${r}_${q}, sizeof a${r}_${q});`).join('\n')).join('\n')}
    }
  }
}

static inline float epilogue(float y, float b) {
  if (BIAS) y += b;
  /* Zero where negative; NaN compares false and stays, as the wasm kernel's f32x4.max keeps it. */
  if (RELU) y = y < 0.0f ? 0.0f : y;
  return y;
}

/* Aᵀ M A of row r of M with the epilogue, into the tile's pixels inside the output. */
static void transform_out(float *restrict dst, const float *restrict bias, int r, int down, int right) {
  for (int co = 0; co < COUT; co++) {
    float m[16], q[8];
    for (int k = 0; k < 16; k++) m[k] = M[k][r][co];
    for (int j = 0; j < 4; j++) { q[j] = m[j] + m[4 + j] + m[8 + j]; q[4 + j] = m[4 + j] - m[8 + j] - m[12 + j]; }
    const float b = BIAS ? bias[co] : 0.0f;
    dst[co] = epilogue(q[0] + q[1] + q[2], b);
    if (right) dst[COUT + co] = epilogue(q[1] - q[2] - q[3], b);
    if (down) {
      dst[(size_t)OW * COUT + co] = epilogue(q[4] + q[5] + q[6], b);
      if (right) dst[(size_t)(OW + 1) * COUT + co] = epilogue(q[5] - q[6] - q[7], b);
    }
  }
}

void kjit_run(char *base, const uint32_t *offsets, uint32_t c0, uint32_t c1) {
  float *out = (float *)(base + offsets[0]);
  const float *img = (const float *)(base + offsets[1]);
  const float *U = (const float *)(base + offsets[2]);
  const float *bias = (const float *)(base + offsets[3]);
  for (uint32_t c = c0; c < c1; c++) {
    const int t0 = (int)c * CT, t1 = t0 + CT < TILES ? t0 + CT : TILES;
    for (int t = t0; t < t1; t++) input_tile(img, t, t - t0);
    /* Rows past the chunk's tiles up to a whole register tile hold stale values no one reads. */
    const int rows = (t1 - t0 + MR - 1) / MR * MR;
    for (int x = 0; x < 16; x++) product(V[x][0], U + (size_t)x * CIN * COUT, M[x][0], rows);
    for (int t = t0; t < t1; t++) {
      const int tx = t % TX, ty = (t / TX) % TY, n = t / TX / TY;
      transform_out(out + ((size_t)(n * OH + 2 * ty) * OW + 2 * tx) * COUT, bias, t - t0, 2 * ty < OH - 1, 2 * tx < OW - 1);
    }
  }
}
`;
  return { source, panels: s.chunks };
}
