/**
 * Compiles a Winograd F(2x2, 3x3) convolution (winograd-plan.ts, winograd-emit.ts) into a
 * WasmConvKernel, the interface the im2col path (conv-kernel.ts) offers the runtime: same call
 * `(out, in0, in1[, bias])`, same scratch and threading contract. A call transforms the filter
 * in JS into scratch shared by every thread, then runs the module's chunks of tiles, on the
 * worker pool when the runtime gives it threads (each thread a contiguous range of chunks, its
 * own scratch after the transformed filter).
 *
 * Scratch: [U, the transformed filter | per thread: B panel, V, M, staging tile].
 */
import type { Node } from '../../ir/node.js';
import { align16 } from '../align.js';
import type { MatmulShape } from '../matmul-shape.js';
import type { ConvOp } from '../../ir/op-kinds.js';
import type { ParallelProducts, WasmConvKernel } from './conv-kernel.js';
import { planConv } from './conv-plan.js';
import { WebAssemblyApi as WA, type WasmMemory } from './engine.js';
import { wasmFeatures } from './features.js';
import { emitMatmulModule, IDENTITY, type NativeEpilogue } from './matmul-emit.js';
import { DEFAULT_KC, defaultTile, layout, tileName, type Tile } from './matmul-plan.js';
import { encodeModule } from './module.js';
import { rangeKernel, type RangeKernel } from './range-kernel.js';
import { printWat } from './wat.js';
import { emitWinogradModule, winogradLayout } from './winograd-emit.js';
import { filterGradientOut, transformFilter, WINOGRAD_POINTS, type WinogradSpec } from './winograd-plan.js';

export interface WinogradOptions {
  readonly epilogue?: NativeEpilogue;
  readonly shared?: boolean;
  /** The chunk matmuls' register tile; defaults to `defaultTile` of their shape. */
  readonly tile?: Tile;
}

const cache = new Map<string, WasmConvKernel>();

export function compileWinogradConv(node: Node<ConvOp>, spec: WinogradSpec, options: WinogradOptions = {}): WasmConvKernel {
  const epilogue = options.epilogue ?? IDENTITY;
  const shared = options.shared ?? false;
  const key = JSON.stringify([spec, epilogue, shared, options.tile]);
  const known = cache.get(key);
  if (known !== undefined) return known;

  const plan = planConv(node);
  const relaxed = wasmFeatures().relaxedSimd;
  const filterGradient = spec.op === 'conv2dBackpropFilter';
  // The filter gradient's matmuls sum over the chunk's tiles: S[ξ] (Cin x Cout) += V[ξ]ᵀ · E[ξ].
  const shape: MatmulShape = filterGradient
    ? { batch: WINOGRAD_POINTS, M: spec.Cin, K: spec.chunkTiles, N: spec.Cout, transposeA: true, transposeB: false }
    : { batch: WINOGRAD_POINTS, M: spec.chunkTiles, K: spec.Cin, N: spec.Cout, transposeA: false, transposeB: false };
  const tile = options.tile ?? defaultTile(shape, relaxed);
  const lay = layout(shape, tile, DEFAULT_KC);
  const panels = lay.fullPanels + (lay.edgeColumns > 0 ? 1 : 0);
  const suffix = `${epilogue.bias ? '_bias' : ''}${epilogue.relu ? '_relu' : ''}`;
  const name = `${plan.name}_winograd2x2_${tileName(tile)}${suffix}`;
  const matmul = emitMatmulModule(shape, { name: `${name}_matmul`, tile, maxKc: DEFAULT_KC, relaxed, epilogue: IDENTITY, shared, accumulate: filterGradient }).funcs[0];
  const scratch = winogradLayout(spec, lay.scratchBytes);
  const mod = emitWinogradModule(spec, { name, epilogue, shared, matmul, panels, layout: scratch });
  const perThread = align16(scratch.bytes);
  // The transformed filter, shared by the threads; the filter gradient has none.
  const filterBytes = filterGradient ? 0 : align16(WINOGRAD_POINTS * spec.Cin * spec.Cout * 4);

  // The chunks as a range kernel: what the worker pool splits, as it splits a matmul's panels.
  // Compiled on first use: on the native tier a C twin loaded from its cache may take its place first.
  const chunks = rangeKernel(name, () => new WA.Module(encodeModule(mod)), spec.chunks, perThread, shared);
  const kernel: WasmConvKernel = {
    name, plan, epilogue, shared,
    scratchBytes: filterBytes + perThread,
    // The direct convolution's count, so the runtime's threading threshold and the profile's
    // GFLOP/s compare with the im2col kernel's.
    flops: 2 * spec.N * spec.OH * spec.OW * 9 * spec.Cin * spec.Cout,
    panels: spec.chunks,
    winograd: spec,
    ...(filterGradient ? { partials: { stride: perThread, at: scratch.partialAt } } : {}),
    scratchBytesFor: (threads) => filterBytes + perThread * Math.max(1, threads),
    wat: () => printWat(mod),
    instantiate: (memory, scratchOffset, parallel) => filterGradient
      ? bindFilterGradient(spec, chunks, memory, scratchOffset, scratch.partialAt, parallel)
      : bindWinograd(spec, chunks, memory, scratchOffset, filterBytes, parallel),
  };
  cache.set(key, kernel);
  return kernel;
}

function bindWinograd(spec: WinogradSpec, chunks: RangeKernel, memory: WasmMemory, scratchOffset: number, filterBytes: number, parallel?: ParallelProducts) {
  const uAt = scratchOffset;
  const threadsAt = scratchOffset + filterBytes;
  const run = parallel !== undefined && parallel.threads > 1 ? parallel.bind(chunks, threadsAt) : chunks.instantiate(memory, threadsAt);
  let buffer: ArrayBufferLike | undefined, F32: Float32Array<ArrayBufferLike> = new Float32Array(0);
  return (out: number, in0: number, in1: number, bias = 0): void => {
    if (buffer !== memory.buffer) { buffer = memory.buffer; F32 = new Float32Array(buffer); }
    transformFilter(F32, in1 / 4, uAt / 4, spec);
    run(out, in0, uAt, bias);
  };
}

/**
 * The filter gradient: every thread's partial sums zeroed, the chunks run, the partials added in
 * thread order into thread 0's, then the output transform Gᵀ S G into dw.
 */
function bindFilterGradient(spec: WinogradSpec, chunks: RangeKernel, memory: WasmMemory, scratchOffset: number, partialAt: number, parallel?: ParallelProducts) {
  const threads = parallel !== undefined && parallel.threads > 1 ? parallel.threads : 1;
  const run = threads > 1 && parallel !== undefined ? parallel.bind(chunks, scratchOffset) : chunks.instantiate(memory, scratchOffset);
  // A thread that got no chunks leaves its zeros.
  const partials = Array.from({ length: threads }, (_, t) => (scratchOffset + t * chunks.scratchBytes + partialAt) / 4);
  const floats = WINOGRAD_POINTS * spec.Cin * spec.Cout;
  let buffer: ArrayBufferLike | undefined, F32: Float32Array<ArrayBufferLike> = new Float32Array(0);
  return (out: number, in0: number, in1: number): void => {
    if (buffer !== memory.buffer) { buffer = memory.buffer; F32 = new Float32Array(buffer); }
    for (const p of partials) F32.fill(0, p, p + floats);
    run(out, in0, in1, 0);
    const sum = partials[0];
    for (let t = 1; t < threads; t++) {
      const p = partials[t];
      for (let i = 0; i < floats; i++) F32[sum + i] += F32[p + i];
    }
    filterGradientOut(F32, sum, out / 4, spec);
  };
}
