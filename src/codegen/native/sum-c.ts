/**
 * C for the bias gradient's sum over every axis but the last (codegen/wasm/pool-kernel.ts): each
 * channel's rows added in order into a float64 accumulator and rounded once, as the wasm kernel
 * does, so both give the same bits. Units are the wasm kernel's channel groups, so a call splits
 * over the same threads; channels go 256 at a time so the accumulators stay in registers and L1
 * and the loop over a row's channels vectorises. Offsets: the output, the input (and the wasm
 * kernel's scratch, unused here).
 */
export function emitSumC(rows: number, channels: number, group: number): string {
  return String.raw`#include <stddef.h>
#include <stdint.h>
#define ROWS ${rows}
#define C ${channels}
#define GROUP ${group}
#define BLOCK 256
uint32_t kjit_panels(void) { return C / GROUP; }
void kjit_run(char *base, const uint32_t *offsets, uint32_t p0, uint32_t p1) {
  float *out = (float *)(base + offsets[0]);
  const float *x = (const float *)(base + offsets[1]);
  double acc[BLOCK];
  for (size_t c0 = (size_t)p0 * GROUP, end = (size_t)p1 * GROUP; c0 < end; c0 += BLOCK) {
    size_t n = end - c0 < BLOCK ? end - c0 : BLOCK;
    for (size_t c = 0; c < n; c++) acc[c] = 0.0;
    for (size_t r = 0; r < ROWS; r++) {
      const float *row = x + r * C + c0;
      for (size_t c = 0; c < n; c++) acc[c] += (double)row[c];
    }
    for (size_t c = 0; c < n; c++) out[c0 + c] = (float)acc[c];
  }
}
`;
}
