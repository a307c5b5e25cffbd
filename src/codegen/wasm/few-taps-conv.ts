/**
 * A convolution of few taps (codegen/few-taps.ts: a first layer over one to three channels) on
 * the WebAssembly tier, with no patch matrix: each output row (n, oh) is one matmul of OW patches
 * by KH·KW·C taps by F channels whose A is the image read in place (matmul-emit.ts, `implicitA`):
 * patch ow starts ow·C floats after pixel (n, oh, 0), and its taps are KH runs of KW·C consecutive
 * floats, one image row apart, in the filter's [KH, KW, C, F] order, so the filter is B as it is.
 * im2col's gather of 9 to 27 floats per patch cost as much as their product; here nothing is
 * gathered, and nor is B packed when F fills the tile's vectors (`inPlaceB`): a row's product is
 * too small to amortise the copy. Units are output rows, split over threads as ranges (each
 * instance its own B panel where B is packed).
 *
 * Export `(out, x, w, bias, q0, q1)`: byte offsets, then output rows [q0, q1).
 */
import type { FewTapsConv } from '../few-taps.js';
import { FuncBuilder } from './builder.js';
import type { ConvFn, WasmConvKernel } from './conv-kernel.js';
import type { ConvPlan } from './conv-plan.js';
import { align16 } from '../align.js';
import { bindChunked } from './conv-chunks.js';
import { emitMatmulModule, IDENTITY, type NativeEpilogue } from './matmul-emit.js';
import { compileWasmMatmul } from './matmul-kernel.js';
import { tileName, type Tile } from './matmul-plan.js';
import { encodeModule, envMemory, type WasmModule } from './module.js';
import { compileOptimized } from './optimized-compile.js';
import { rangeKernel } from './range-kernel.js';
import { printWat } from './wat.js';

/** The filter (forward) or dy's row (filter gradient) is read in place when F fills the tile's vectors. */
const inPlaceB = (tile: Tile, F: number) => F % 4 === 0 && tile.vecs * 4 <= F;

export function compileFewTapsConv(g: FewTapsConv, plan: ConvPlan, epilogue: NativeEpilogue, shared: boolean, tile?: Tile): WasmConvKernel {
  if (g.op !== 'conv2d') throw new Error(`wasm few-taps convolution: expected conv2d, got ${g.op}`);
  const K = g.KH * g.KW * g.C;
  const shape = { batch: 1, M: g.OW, K, N: g.F, transposeA: false, transposeB: false };
  // The row's matmul as the kernel picks it (tile, k block, FMA), then emitted reading A in place.
  const product = compileWasmMatmul(shape, { epilogue, shared, ...(tile !== undefined ? { tile } : {}) });
  const name = `${plan.name}_taps_${tileName(product.tile)}${epilogue.bias ? '_bias' : ''}${epilogue.relu ? '_relu' : ''}`;
  const main = emitMatmulModule(shape, {
    name: `${name}_row`, tile: product.tile, maxKc: product.maxKc, relaxed: product.relaxed, epilogue, shared,
    implicitA: { rowAt: Array.from({ length: g.OW }, (_, ow) => ow * g.C * 4), kBytes: 4, groupK: g.KW * g.C, groupBytes: g.W * g.C * 4 },
    inPlaceB: inPlaceB(product.tile, g.F),
  }).funcs[0];

  const f = new FuncBuilder(name, ['out', 'x', 'w', 'bias', 'q0', 'q1'].map((n) => ({ name: n, type: 'i32' as const })));
  const [out, x, w, bias, q0, q1] = [0, 1, 2, 3, 4, 5].map((i) => f.param(i));
  const q = f.local('q', 'i32');
  f.forRange(q, q0, q1, () => {
    // Output row q's pixels; the image row it starts at, pixel (q / OH, q % OH, 0).
    f.get(q).i32(g.OW * g.F * 4).op('i32.mul').get(out).op('i32.add');
    f.get(q).i32(g.OH).op('i32.div_u').i32(g.H * g.W * g.C * 4).op('i32.mul');
    f.get(q).i32(g.OH).op('i32.rem_u').i32(g.W * g.C * 4).op('i32.mul').op('i32.add').get(x).op('i32.add');
    f.get(w).get(bias).i32(0).i32(product.panels).op('call', 0);
  });
  const mod: WasmModule = {
    memory: envMemory(shared),
    globals: [{ module: 'env', name: 'scratch', type: 'i32', mutable: false }],
    funcs: [{ ...main, exported: false }, f.func()],
  };
  const units = g.N * g.OH;
  const ranges = rangeKernel(name, () => compileOptimized(encodeModule(mod)), units, product.scratchBytes, shared);
  return {
    name, plan, epilogue, shared,
    scratchBytes: product.scratchBytes,
    flops: 2 * units * g.OW * K * g.F,
    panels: units,
    scratchBytesFor: (threads) => product.scratchBytes * Math.max(1, threads),
    wat: () => printWat(mod),
    instantiate: (memory, scratchOffset, parallel): ConvFn => {
      const run = parallel !== undefined && parallel.threads > 1 ? parallel.bind(ranges, scratchOffset) : ranges.instantiate(memory, scratchOffset);
      return (o, a, b, c = 0) => run(o, a, b, c);
    },
  };
}

/**
 * The filter gradient of a convolution of few taps, dw (KH·KW·C x F) = patchesᵀ · dy, with the
 * patches read in place as well: a unit is an output row, whose OW patches (C floats apart) are
 * the k of one matmul with A = the patchesᵀ, its rows the taps (at their offsets in the image),
 * and B that row of dy as it is, not packed (as the forward's filter). Each thread sums its rows
 * into a partial dw in its scratch, which the call adds up (conv-chunks.ts, bindChunked), as the
 * im2col filter gradient does. One row a call timed faster than runs of several rows in one
 * longer product (with B packed), though those load and store dw less often. Undefined when a row has more
 * patches than one k block holds.
 *
 * Export `(out, x, dy, bias, q0, q1)`: byte offsets (out and bias unused), then output rows [q0, q1).
 */
export function compileFewTapsFilter(g: FewTapsConv, plan: ConvPlan, shared: boolean, tile?: Tile): WasmConvKernel | undefined {
  if (g.op !== 'conv2dBackpropFilter') throw new Error(`wasm few-taps filter gradient: expected conv2dBackpropFilter, got ${g.op}`);
  const K = g.KH * g.KW * g.C;
  const shape = { batch: 1, M: K, K: g.OW, N: g.F, transposeA: true, transposeB: false };
  const product = compileWasmMatmul(shape, { shared, accumulate: true, ...(tile !== undefined ? { tile } : {}) });
  if (g.OW > product.maxKc) return undefined;
  const name = `${plan.name}_taps_${tileName(product.tile)}`;
  // Tap (kh, kw, c) of a patch is kh image rows and kw·C + c floats past the patch's first pixel.
  const rowAt = Array.from({ length: K }, (_, r) => (Math.floor(r / (g.KW * g.C)) * g.W * g.C + (r % (g.KW * g.C))) * 4);
  const main = emitMatmulModule(shape, {
    name: `${name}_row`, tile: product.tile, maxKc: product.maxKc, relaxed: product.relaxed, epilogue: IDENTITY, shared, accumulate: true,
    implicitA: { rowAt, kBytes: g.C * 4, groupK: g.OW, groupBytes: g.W * g.C * 4 },
    inPlaceB: inPlaceB(product.tile, g.F),
  }).funcs[0];
  const partialAt = align16(product.scratchBytes), partialFloats = K * g.F;
  const perThread = align16(partialAt + partialFloats * 4);

  const f = new FuncBuilder(name, ['out', 'x', 'dy', 'bias', 'q0', 'q1'].map((n) => ({ name: n, type: 'i32' as const })));
  const [, x, dy, , q0, q1] = [0, 1, 2, 3, 4, 5].map((i) => f.param(i));
  const q = f.local('q', 'i32');
  f.forRange(q, q0, q1, () => {
    // partial dw += patchesᵀ · dy over output row q: its image row starts at pixel (q / OH, q % OH, 0).
    f.op('global.get', 0).i32(partialAt).op('i32.add');
    f.get(q).i32(g.OH).op('i32.div_u').i32(g.H * g.W * g.C * 4).op('i32.mul');
    f.get(q).i32(g.OH).op('i32.rem_u').i32(g.W * g.C * 4).op('i32.mul').op('i32.add').get(x).op('i32.add');
    f.get(q).i32(g.OW * g.F * 4).op('i32.mul').get(dy).op('i32.add');
    f.i32(0).i32(0).i32(product.panels).op('call', 0);
  });
  const mod: WasmModule = {
    memory: envMemory(shared),
    globals: [{ module: 'env', name: 'scratch', type: 'i32', mutable: false }],
    funcs: [{ ...main, exported: false }, f.func()],
  };
  const units = g.N * g.OH;
  const ranges = rangeKernel(name, () => compileOptimized(encodeModule(mod)), units, perThread, shared);
  return {
    name, plan, epilogue: IDENTITY, shared,
    scratchBytes: perThread,
    flops: 2 * units * g.OW * K * g.F,
    panels: units,
    partials: { stride: perThread, at: partialAt },
    scratchBytesFor: (threads) => perThread * Math.max(1, threads),
    wat: () => printWat(mod),
    instantiate: (memory, scratchOffset, parallel) => bindChunked(ranges, memory, scratchOffset, 0, partialAt, partialFloats, undefined, parallel),
  };
}
