/**
 * Matmuls on the native tier, as a contraction family over the WebAssembly one: every kernel is
 * both, the WebAssembly kernel compiled at once (so the first step runs without waiting) and the
 * C kernel in the background; the bound call runs the WebAssembly twin until the C one is
 * loaded, then switches. The switch happens in a promise callback, so between steps, never
 * inside one. Both apply the same epilogues (bias, relu) and write the same raw product for the
 * epilogue passes the contraction lowering adds, so the rest of the lowering is shared.
 */
import { emitMatmulC } from '../../../codegen/native/matmul-c.js';
import { matmulName, shapeOfMatmul } from '../../../codegen/matmul-shape.js';
import { IDENTITY } from '../../../codegen/wasm/matmul-emit.js';
import type { WasmMatmulKernel } from '../../../codegen/wasm/matmul-kernel.js';
import type { Node } from '../../../ir/node.js';
import { threadCount } from '../../threads/config.js';
import type { ContractionFamily, ContractionKernel } from '../wasm/contraction.js';
import { matmulFamily } from '../wasm/matmul.js';
import { addonNow } from './addon.js';
import { nativeKernel, type NativeKernel } from './kernels.js';

/**
 * Below this many FLOPs a native matmul runs on the calling thread alone: waking the addon's
 * second thread and splitting fewer panels costs more than it saves.
 */
export const NATIVE_PARALLEL_MIN_FLOPS = 2e7;

/** Native matmul calls so far (tests check that the C kernels, not their twins, ran). */
export const nativeStats = { calls: 0 };

export interface NativeMatmulKernel extends ContractionKernel {
  readonly wasm: WasmMatmulKernel;
  readonly native: NativeKernel;
  readonly flops: number;
}

/** Threads the native kernel of `flops` gets: KERAS_JIT_THREADS or the cores, past the threshold. */
export function nativeThreads(flops: number): number {
  return flops < NATIVE_PARALLEL_MIN_FLOPS ? 1 : threadCount();
}

export const nativeMatmulFamily: ContractionFamily<Node<'matmul'>, NativeMatmulKernel> = {
  anchor: matmulFamily.anchor,
  appliesInKernel: matmulFamily.appliesInKernel,
  compile(node, options) {
    const wasm = matmulFamily.compile(node, options);
    const shape = shapeOfMatmul(node);
    const epilogue = options.epilogue ?? IDENTITY;
    const name = `${matmulName(shape)}${epilogue.bias ? '_bias' : ''}${epilogue.relu ? '_relu' : ''}_native`;
    const c = emitMatmulC(shape, epilogue);
    return {
      name, shared: wasm.shared, wasm, native: nativeKernel(name, c.source),
      flops: 2 * shape.batch * shape.M * shape.K * shape.N,
      wat: () => `${wasm.wat()}\n/* and, once compiled, in place of the module above: */\n${c.source}`,
    };
  },
  threads: (kernel) => matmulFamily.threads(kernel.wasm),
  scratchBytes: (kernel, threads) => matmulFamily.scratchBytes(kernel.wasm, threads),
  bind(kernel, memory, scratchOffset, threads) {
    let run = matmulFamily.bind(kernel.wasm, memory, scratchOffset, threads);
    const nThreads = nativeThreads(kernel.flops);
    kernel.native.whenLoaded((index) => {
      // Loaded implies the addon is; the view is re-read per call, since growing may replace it.
      const addon = addonNow();
      if (addon === undefined) return;
      run = (c, a, b, bias = 0) => {
        nativeStats.calls++;
        addon.call(index, memory.u8, nThreads, c, a, b, bias);
      };
    });
    return (c, a, b, bias) => run(c, a, b, bias);
  },
};
