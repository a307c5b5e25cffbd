/**
 * C for the bias gradient's sum over every axis but the last (codegen/wasm/pool-kernel.ts): each
 * channel's rows added in order into a float64 accumulator and rounded once, as the wasm kernel
 * does, so both give the same bits. Units are the wasm kernel's channel groups, so a call splits
 * over the same threads; a group's accumulators (a constant count) stay in registers while its
 * rows go by, where accumulators in memory cost a load and a store per row. Offsets: the output, the input.
 */
export function emitSumC(rows: number, channels: number, group: number): string {
  return String.raw`#include <stddef.h>
#include <stdint.h>
#define ROWS ${rows}
#define C ${channels}
#define GROUP ${group}
uint32_t kjit_panels(void) { return C / GROUP; }
void kjit_run(char *base, const uint32_t *offsets, uint32_t p0, uint32_t p1) {
  float *out = (float *)(base + offsets[0]);
  const float *x = (const float *)(base + offsets[1]);
  for (size_t g = p0; g < p1; g++) {
    double acc[GROUP] = {0};
    const float *col = x + g * GROUP;
    for (size_t r = 0; r < ROWS; r++, col += C) {
      for (size_t c = 0; c < GROUP; c++) acc[c] += (double)col[c];
    }
    for (size_t c = 0; c < GROUP; c++) out[g * GROUP + c] = (float)acc[c];
  }
}
`;
}
