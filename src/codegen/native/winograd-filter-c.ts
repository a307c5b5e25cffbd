/**
 * Emits C for the Winograd F(2x2, 3x3) filter gradient (codegen/wasm/winograd-plan.ts), the native
 * twin of the chunks winograd-emit.ts runs for it: per chunk of tiles, the input transform
 * V = Bᵀ d B of x, the dy transform E = A e Aᵀ, and the 16 sums S[ξ] += V[ξ]ᵀ · E[ξ] over the
 * chunk's tiles. The caller zeroes the partial sums first and, after the call, adds them in order
 * and applies Gᵀ S G (codegen/wasm/winograd-kernel.ts, as for the WebAssembly chunks).
 *
 * Where the partial sums go is what differs from the wasm kernel: that one sums into its thread's
 * scratch, so the chunks a thread runs decide the sums. Here each panel is one partial sum with a
 * fixed range of chunks (panel p: chunks [p·C/P, (p+1)·C/P)), written to the p-th thread's partial
 * in the wasm kernel's scratch layout, so the result does not depend on which thread ran which
 * panel, nor on how many there were.
 *
 * ABI as matmul-c.ts: `kjit_run(base, offsets, p0, p1)` with byte offsets [out (unused: the
 * caller writes dw), x, dy, scratch] runs panels [p0, p1); `kjit_panels()` is P.
 */
import type { WinogradSpec } from '../wasm/winograd-plan.js';
import type { MatmulC } from './matmul-c.js';
import { columns, INPUT_TILE_C, specHeader } from './winograd-c.js';

export interface FilterPartials {
  /** Partial sums, one per panel: the wasm kernel's thread count. */
  readonly panels: number;
  /** Bytes between the partials of consecutive threads (the wasm kernel's scratch per thread). */
  readonly stride: number;
  /** Where a thread's partial sums start inside its scratch. */
  readonly at: number;
}

/** Rows of S (input channels) per register tile: Cin is a multiple of 4. */
const MR = 4;

export function emitWinogradFilterC(s: WinogradSpec, partials: FilterPartials): MatmulC {
  if (s.op !== 'conv2dBackpropFilter') throw new Error(`native Winograd filter gradient: got ${s.op}`);
  if (s.Cin % MR !== 0 || s.Cout % 4 !== 0) throw new Error(`native Winograd filter gradient: channels must be multiples of 4, got ${s.Cin}, ${s.Cout}`);
  if (partials.stride % 4 !== 0 || partials.at % 4 !== 0) throw new Error('native Winograd filter gradient: partial sums must be float-aligned');
  const { nb, vw } = columns(s.Cout);
  const nv = nb / vw;
  const vecs = Array.from({ length: nv }, (_, v) => v);
  const rows = Array.from({ length: MR }, (_, r) => r);
  const source = `${specHeader(s, MR, nb, vw, `, PANELS = ${partials.panels}`)}
#define STRIDE ${partials.stride}u
#define PARTIAL_AT ${partials.at}u

/* V[ξ][tile][ci] (transformed x), E[ξ][tile][co] (transformed dy), the staging tile of an edge. */
static _Thread_local float V[16][CT][CIN] __attribute__((aligned(64)));
static _Thread_local float E[16][CT][COUT] __attribute__((aligned(64)));
static _Thread_local float stage[16][CIN] __attribute__((aligned(64)));

uint32_t kjit_panels(void) { return PANELS; }

${INPUT_TILE_C}

/* A e Aᵀ of tile t's 2x2 of dy (zeros past the output's edge) into row r of E, A = [1 0; 1 1; 1 -1; 0 -1]. */
static void dy_tile(const float *restrict dy, int t, int r) {
  const int tx = t % TX, ty = (t / TX) % TY, n = t / TX / TY;
  const int down = 2 * ty < OH - 1, right = 2 * tx < OW - 1;
  const float *src = dy + ((size_t)(n * OH + 2 * ty) * OW + 2 * tx) * COUT;
  for (int co = 0; co < COUT; co++) {
    const float e[4] = { src[co], right ? src[COUT + co] : 0.0f, down ? src[(size_t)OW * COUT + co] : 0.0f, down && right ? src[(size_t)(OW + 1) * COUT + co] : 0.0f };
    float a[4][2];
    for (int j = 0; j < 2; j++) {
      const float e0 = e[j], e1 = e[2 + j];
      a[0][j] = e0; a[1][j] = e0 + e1; a[2][j] = e0 - e1; a[3][j] = -e1;
    }
    for (int q = 0; q < 4; q++) {
      E[q * 4 + 0][r][co] = a[q][0];
      E[q * 4 + 1][r][co] = a[q][0] + a[q][1];
      E[q * 4 + 2][r][co] = a[q][0] - a[q][1];
      E[q * 4 + 3][r][co] = -a[q][1];
    }
  }
}

/* s (CIN x COUT) += v (rows x CIN)ᵀ · e (rows x COUT), MR rows of s by NB columns in registers. */
static void product(const float *restrict v, const float *restrict e, float *restrict s, int rows) {
  for (int i0 = 0; i0 < CIN; i0 += MR) {
    for (int j0 = 0; j0 < COUT; j0 += NB) {
${rows.map((r) => vecs.map((q) => `      vf a${r}_${q}; memcpy(&a${r}_${q}, s + (size_t)(i0 + ${r}) * COUT + j0 + ${q * vw}, sizeof a${r}_${q});`).join('\n')).join('\n')}
      for (int k = 0; k < rows; k++) {
        const float *eb = e + (size_t)k * COUT + j0;
        const float *vb = v + (size_t)k * CIN + i0;
${vecs.map((q) => `        vf b${q}; memcpy(&b${q}, eb + ${q * vw}, sizeof b${q});`).join('\n')}
${rows.map((r) => `        { const float x = vb[${r}];${vecs.map((q) => ` a${r}_${q} += x * b${q};`).join('')} }`).join('\n')}
      }
${rows.map((r) => vecs.map((q) => `      memcpy(s + (size_t)(i0 + ${r}) * COUT + j0 + ${q * vw}, &a${r}_${q}, sizeof a${r}_${q});`).join('\n')).join('\n')}
    }
  }
}

void kjit_run(char *base, const uint32_t *offsets, uint32_t p0, uint32_t p1) {
  const float *x = (const float *)(base + offsets[1]);
  const float *dy = (const float *)(base + offsets[2]);
  char *scratch = base + offsets[3];
  for (uint32_t p = p0; p < p1; p++) {
    float *S = (float *)(scratch + p * STRIDE + PARTIAL_AT);
    const uint32_t c0 = (uint32_t)(((uint64_t)p * CHUNKS) / PANELS), c1 = (uint32_t)(((uint64_t)(p + 1) * CHUNKS) / PANELS);
    for (uint32_t c = c0; c < c1; c++) {
      const int t0 = (int)c * CT, t1 = t0 + CT < TILES ? t0 + CT : TILES;
      for (int t = t0; t < t1; t++) { input_tile(x, t, t - t0); dy_tile(dy, t, t - t0); }
      for (int k = 0; k < 16; k++) product(V[k][0], E[k][0], S + (size_t)k * CIN * COUT, t1 - t0);
    }
  }
}
`;
  return { source, panels: partials.panels };
}
