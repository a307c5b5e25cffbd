/**
 * The native tier's one mechanism: a WebAssembly matmul's bound call that becomes its C twin's
 * once that is loaded. The switch happens in a promise callback, so between steps, never inside
 * one; a C kernel that fails to build leaves the WebAssembly call in place.
 */
import { emitMatmulC } from '../../../codegen/native/matmul-c.js';
import { matmulName } from '../../../codegen/matmul-shape.js';
import type { MatmulFn, WasmMatmulKernel } from '../../../codegen/wasm/matmul-kernel.js';
import type { Memory } from '../../memory.js';
import type { BindContext, Call, Lowered } from '../tier.js';
import { threadCount } from '../../threads/config.js';
import { addonNow } from './addon.js';
import { nativeKernel, type NativeKernel } from './kernels.js';
import { nativeCall, nativeThreadsNow, type NativeMemory } from './threads.js';

/**
 * Below this many FLOPs a native matmul runs on the calling thread alone. The pool's workers are
 * still polling from the previous kernel inside a step, so splitting pays down to products of a
 * few MFLOP, as for the wasm kernels (PARALLEL_MIN_FLOPS): an LSTM's recurrent 32x128x512 step.
 */
export const NATIVE_PARALLEL_MIN_FLOPS = 3e6;

/** Native kernel calls so far, and of those the convolutions' whole-chunk kernels and the elementwise ones (tests check that the C kernels, not their twins, ran). */
export const nativeStats = { calls: 0, convCalls: 0, elementwiseCalls: 0 };

/** Threads the native kernel of `flops` gets: KERAS_JIT_THREADS or the cores, past the threshold. */
export function nativeThreads(flops: number): number {
  return flops < NATIVE_PARALLEL_MIN_FLOPS ? 1 : threadCount();
}

/**
 * The call `bindWasm` makes, bound on first use, until `twin` loads; then the C kernel over the
 * memory `view` reads (re-read per call: growing may replace it) on `threads`: for kernels other
 * than a matmul's (a convolution's chunks). As for `swapping`, a twin loaded at once leaves the
 * wasm call never bound.
 */
export function swappingRange(bindWasm: () => MatmulFn, twin: NativeKernel, memory: NativeMemory, threads: number): MatmulFn {
  let run: MatmulFn = (c, a, b, bias) => { run = bindWasm(); run(c, a, b, bias); };
  const via = nativeThreadsNow();
  twin.whenLoaded((index) => {
    const addon = addonNow();
    if (addon === undefined) return;
    const call = nativeCall(addon, index, memory, threads, via);
    run = (c, a, b, bias = 0) => {
      nativeStats.calls++;
      nativeStats.convCalls++;
      call(c, a, b, bias);
    };
  });
  return (c, a, b, bias) => run(c, a, b, bias);
}

/** The C twin of a WebAssembly matmul kernel: same shape, epilogue and accumulation. */
export function nativeTwin(wasm: WasmMatmulKernel): NativeKernel {
  const { bias, relu } = wasm.epilogue;
  const name = `${matmulName(wasm.shape)}${bias ? '_bias' : ''}${relu ? '_relu' : ''}${wasm.accumulate ? '_acc' : ''}_c`;
  return nativeKernel(name, emitMatmulC(wasm.shape, { bias, relu, accumulate: wasm.accumulate }).source);
}

/**
 * The call `bindWasm` makes, bound on first use, until `twin` loads; then the C kernel over
 * `memory` (its view re-read per call: growing may replace it), on `threads` (default: by the
 * product's own size). A twin that loads from its cache at once leaves the wasm call never bound,
 * so its module is never compiled.
 */
export function swapping(bindWasm: () => MatmulFn, twin: NativeKernel, wasm: WasmMatmulKernel, memory: Memory, threads?: number): MatmulFn {
  let run: MatmulFn = (c, a, b, bias) => { run = bindWasm(); run(c, a, b, bias); };
  const { batch, M, K, N } = wasm.shape;
  const nThreads = threads ?? nativeThreads(2 * batch * M * K * N);
  const via = nativeThreadsNow();
  twin.whenLoaded((index) => {
    const addon = addonNow();
    if (addon === undefined) return;
    const call = nativeCall(addon, index, memory, nThreads, via);
    run = (c, a, b, bias = 0) => {
      nativeStats.calls++;
      call(c, a, b, bias);
    };
  });
  return (c, a, b, bias) => run(c, a, b, bias);
}

/**
 * A lowered kernel whose call is `wasm`'s until `twin` loads, then the C kernel's over the byte
 * offsets `offsetsOf` gives (`count` notes each C call; the C kernel may need more scratch than
 * the wasm one): for kernels lowered whole rather than as a matmul function (elementwise groups,
 * a matmul with its epilogue pass). The wasm call is
 * bound (its module compiled) only if it runs before the twin loads.
 */
export function loweredWithTwin(wasm: Lowered, twin: NativeKernel, threads: number, offsetsOf: (ctx: BindContext) => readonly number[], count: () => void, scratchBytes = wasm.scratchBytes): Lowered {
  // Fields copied one by one: spreading `wasm` would evaluate its `source` getter, printing the
  // module's text on every compile instead of only when a dump asks.
  return {
    kernel: wasm.kernel, name: wasm.name, buffers: wasm.buffers, scratchBytes,
    get source() { return `${wasm.source}\n/* C twin, swapped in once compiled */\n${twin.source}`; },
    bind: (ctx): Call => {
      const offsets = offsetsOf(ctx);
      const via = nativeThreadsNow();
      let run = (): void => {
        const call = wasm.bind(ctx);
        run = () => { (call.run as (...args: unknown[]) => void).apply(undefined, call.args); };
        run();
      };
      twin.whenLoaded((index) => {
        const addon = addonNow();
        if (addon === undefined) return;
        const native = nativeCall(addon, index, ctx.memory, threads, via);
        run = () => {
          nativeStats.calls++;
          count();
          native(...offsets);
        };
      });
      return { run: () => run(), args: [], takesViews: false, label: null };
    },
  };
}
