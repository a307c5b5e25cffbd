/**
 * C for convolutions with few taps (KH·KW·C ≤ FEW_TAPS: a first layer over one to three channels),
 * the native twin of the im2col chunk modules (codegen/wasm/conv-chunks.ts) that run them on the
 * wasm tier. There the patch matrix has 9 to 27 columns, so gathering it costs what multiplying it
 * does; in C the image is read in place: per output pixel, every tap's value times the filter's row
 * of F output channels, which the compiler keeps in vector registers (F is a constant).
 *
 * - conv2d: units are output rows (n, oh); offsets [out, x, w, bias]; bias and relu at the store
 *   (relu as matmul-c.ts's: negatives to +0, NaN kept).
 * - conv2dBackpropFilter: units are the partial sums of the wasm kernel's threads (its scratch
 *   layout: partial t at scratch + t·stride + at, zeroed by the caller, who adds them in order
 *   into dw after the call); unit t sums output rows [t·R/P, (t+1)·R/P). Offsets [dw (unused),
 *   x, dy, scratch].
 *
 * Valid padding, stride and dilation 1.
 */
import type { FewTapsConv } from '../few-taps.js';
import type { FilterPartials } from './winograd-filter-c.js';

const header = (g: FewTapsConv) => String.raw`#include <stddef.h>
#include <stdint.h>
#define N ${g.N}
#define H ${g.H}
#define W ${g.W}
#define C ${g.C}
#define KH ${g.KH}
#define KW ${g.KW}
#define F ${g.F}
#define OH ${g.OH}
#define OW ${g.OW}
#define TAPS (KH * KW * C)
`;

export function emitFewTapsConvC(g: FewTapsConv, epilogue: { readonly bias: boolean; readonly relu: boolean }): string {
  if (g.op !== 'conv2d') throw new Error(`native few-taps convolution: expected conv2d, got ${g.op}`);
  return `${header(g)}${String.raw`#define BIAS ${epilogue.bias ? 1 : 0}
#define RELU ${epilogue.relu ? 1 : 0}
uint32_t kjit_panels(void) { return N * OH; }
void kjit_run(char *base, const uint32_t *offsets, uint32_t p0, uint32_t p1) {
  float *out = (float *)(base + offsets[0]);
  const float *x = (const float *)(base + offsets[1]);
  const float *w = (const float *)(base + offsets[2]);
  const float *bias = (const float *)(base + offsets[3]);
  for (size_t u = p0; u < p1; u++) {
    const float *xr = x + ((u / OH) * H + u % OH) * W * C;
    float *orow = out + u * OW * F;
    for (size_t ow = 0; ow < OW; ow++) {
      float acc[F];
      for (size_t f = 0; f < F; f++) acc[f] = 0.0f;
      for (size_t kh = 0; kh < KH; kh++)
        for (size_t kw = 0; kw < KW; kw++)
          for (size_t c = 0; c < C; c++) {
            const float v = xr[(kh * W + ow + kw) * C + c];
            const float *wr = w + ((kh * KW + kw) * C + c) * F;
            for (size_t f = 0; f < F; f++) acc[f] += v * wr[f];
          }
      float *o = orow + ow * F;
      for (size_t f = 0; f < F; f++) {
        float v = acc[f];
        if (BIAS) v += bias[f];
        if (RELU) v = v < 0.0f ? 0.0f : v;
        o[f] = v;
      }
    }
  }
}
`}`;
}

export function emitFewTapsFilterC(g: FewTapsConv, partials: FilterPartials): string {
  if (g.op !== 'conv2dBackpropFilter') throw new Error(`native few-taps filter gradient: expected conv2dBackpropFilter, got ${g.op}`);
  if (partials.stride % 4 !== 0 || partials.at % 4 !== 0) throw new Error('native few-taps filter gradient: partial sums must be float-aligned');
  return `${header(g)}${String.raw`#define P ${partials.panels}
#define STRIDE ${partials.stride}
#define AT ${partials.at}
#define ROWS (N * OH)
uint32_t kjit_panels(void) { return P; }
void kjit_run(char *base, const uint32_t *offsets, uint32_t p0, uint32_t p1) {
  const float *x = (const float *)(base + offsets[1]);
  const float *dy = (const float *)(base + offsets[2]);
  for (size_t t = p0; t < p1; t++) {
    float *part = (float *)(base + offsets[3] + t * STRIDE + AT);
    float acc[TAPS][F];
    for (size_t k = 0; k < TAPS; k++) for (size_t f = 0; f < F; f++) acc[k][f] = 0.0f;
    for (size_t u = t * ROWS / P, end = (t + 1) * ROWS / P; u < end; u++) {
      const float *xr = x + ((u / OH) * H + u % OH) * W * C;
      const float *dyr = dy + u * OW * F;
      for (size_t ow = 0; ow < OW; ow++) {
        const float *g = dyr + ow * F;
        for (size_t kh = 0; kh < KH; kh++)
          for (size_t kw = 0; kw < KW; kw++)
            for (size_t c = 0; c < C; c++) {
              const float v = xr[(kh * W + ow + kw) * C + c];
              float *a = acc[(kh * KW + kw) * C + c];
              for (size_t f = 0; f < F; f++) a[f] += v * g[f];
            }
      }
    }
    for (size_t k = 0; k < TAPS; k++) for (size_t f = 0; f < F; f++) part[k * F + f] += acc[k][f];
  }
}
`}`;
}
