/**
 * A one-GEMM convolution (conv2d, the filter gradient, a stride-1 input gradient) as one module
 * whose chunks of patches split over threads as ranges (conv-chunks-emit.ts): each thread gathers
 * and multiplies its own chunks, where the column-panel split of conv-kernel.ts gathers every
 * chunk on the calling thread while the workers wait. The filter gradient's threads each sum
 * their chunks into a partial dw in their own scratch, which the call then adds up in thread order.
 *
 * Scratch: [repacked filter | per thread: B panel, patch chunk, partial dw].
 */
import { align16 } from '../align.js';
import type { CompiledGemm, ParallelProducts, WasmConvKernel } from './conv-kernel.js';
import type { ConvPlan } from './conv-plan.js';
import { emitChunkDriver } from './conv-chunks-emit.js';
import { WebAssemblyApi as WA, type WasmMemory } from './engine.js';
import { emitMatmulModule, type NativeEpilogue } from './matmul-emit.js';
import type { WasmMatmulKernel } from './matmul-kernel.js';
import { encodeModule, type Func } from './module.js';
import { emitPatchModule } from './patch-emit.js';
import { rangeKernel, type RangeKernel } from './range-kernel.js';
import { printWat } from './wat.js';

/** The JS side of a call before the chunks run: the stride-1 input gradient's filter repack. */
export type Prepare = (F32: Float32Array<ArrayBufferLike>, in1: number, dst: number) => void;

const matmulFunc = (k: WasmMatmulKernel, accumulate: boolean): Func => emitMatmulModule(k.shape, {
  name: k.name, tile: k.tile, maxKc: k.maxKc, relaxed: k.relaxed, epilogue: k.epilogue, shared: k.shared, accumulate,
}).funcs[0];

export function compileChunkedConv(plan: ConvPlan, g: CompiledGemm, name: string, epilogue: NativeEpilogue, shared: boolean, prepare: Prepare | undefined): WasmConvKernel {
  const { gemm, chunks } = g;
  if (g.matmul === undefined) throw new Error(`wasm: ${name} has no matmul kernel to split by chunks`);
  const { main, tail } = g.matmul;
  const panel = align16(Math.max(main.scratchBytes, tail.scratchBytes));
  const patchAt = panel;
  const partialAt = patchAt + (gemm.inPlace ? 0 : align16(chunks.rows * gemm.K * 4));
  const partialFloats = plan.accumulate ? gemm.K * gemm.N : 0;
  const perThread = align16(partialAt + partialFloats * 4);
  const filterBytes = prepare !== undefined ? align16(gemm.K * gemm.N * 4) : 0;
  const gather = gemm.inPlace ? undefined : emitPatchModule(`${name}_im2col`, gemm.gather, 'gather', shared).funcs[0];
  const mod = emitChunkDriver({
    name, shared, ...(gather !== undefined ? { gather } : {}),
    main: matmulFunc(main, plan.accumulate), ...(tail !== main ? { tail: matmulFunc(tail, plan.accumulate) } : {}),
    mainPanels: main.panels, tailPanels: tail.panels, chunks,
    patchDims: gemm.gather.patchDims, K: gemm.K, N: gemm.N, accumulate: plan.accumulate, patchAt, partialAt,
  });
  // Compiled on first use: on the native tier a C twin loaded from its cache may take its place first.
  const ranges = rangeKernel(name, () => new WA.Module(encodeModule(mod)), chunks.chunks, perThread, shared);
  return {
    name, plan, epilogue, shared,
    scratchBytes: filterBytes + perThread,
    flops: 2 * gemm.patches * gemm.K * gemm.N,
    panels: chunks.chunks,
    ...(plan.accumulate ? { partials: { stride: perThread, at: partialAt } } : {}),
    scratchBytesFor: (threads) => filterBytes + perThread * Math.max(1, threads),
    wat: () => printWat(mod),
    instantiate: (memory, scratchOffset, parallel) => bindChunked(ranges, memory, scratchOffset, filterBytes, partialAt, partialFloats, prepare, parallel),
  };
}

/**
 * A range kernel bound for one call of the convolution: the filter repacked first (`prepare`),
 * and for a filter gradient each thread's partial dw (at `partialAt` in its scratch, of
 * `partialFloats`) zeroed before and summed into the output after, in thread order.
 */
export function bindChunked(ranges: RangeKernel, memory: WasmMemory, scratchOffset: number, filterBytes: number, partialAt: number, partialFloats: number, prepare: Prepare | undefined, parallel?: ParallelProducts) {
  const threadsAt = scratchOffset + filterBytes;
  const threads = parallel !== undefined && parallel.threads > 1 ? parallel.threads : 1;
  const run = threads > 1 && parallel !== undefined ? parallel.bind(ranges, threadsAt) : ranges.instantiate(memory, threadsAt);
  // Thread t's partial dw, as a float index; a thread that got no chunks leaves its zeros.
  const partials = Array.from({ length: threads }, (_, t) => (threadsAt + t * ranges.scratchBytes + partialAt) / 4);
  let buffer: ArrayBufferLike | undefined, F32: Float32Array<ArrayBufferLike> = new Float32Array(0);
  return (out: number, in0: number, in1: number, bias = 0): void => {
    if (buffer !== memory.buffer) { buffer = memory.buffer; F32 = new Float32Array(buffer); }
    let b = in1;
    if (prepare !== undefined) { prepare(F32, in1, scratchOffset); b = scratchOffset; }
    if (partialFloats === 0) { run(out, in0, b, bias); return; }
    for (const p of partials) F32.fill(0, p, p + partialFloats);
    run(out, in0, b, bias);
    const o = out / 4;
    F32.copyWithin(o, partials[0], partials[0] + partialFloats);
    for (let t = 1; t < threads; t++) {
      const p = partials[t];
      for (let i = 0; i < partialFloats; i++) F32[o + i] += F32[p + i];
    }
  };
}
