/**
 * How a loaded native kernel is called on several threads: on the addon's own pthreads (it splits
 * the panels itself), or as a job of the worker pool that runs the WebAssembly kernels, each
 * worker calling the kernel's share of panels through the addon loaded into its own context.
 * One pool means one set of threads polling for work; two pools on a machine with as many cores
 * as threads poll against each other between the kernels of a step. KERAS_JIT_NATIVE_THREADS
 * picks one (bench/native-tier.ts measures both).
 */
import { nativeThreadsFromEnv, type NativeThreads } from '../../env.js';
import type { WasmMemory } from '../../../codegen/wasm/engine.js';
import { defaultPool } from '../../threads/default-pool.js';
import { splitPanels } from '../../threads/parallel-matmul.js';
import type { ThreadPool } from '../../threads/pool.js';
import { addonPath, type NativeAddon } from './addon.js';

/** What a native call needs of a session memory (runtime/memory.ts Memory has it): a view re-read per call, the memory for workers. */
export interface NativeMemory {
  readonly u8: Uint8Array;
  readonly wasm: WasmMemory;
  readonly shared: boolean;
}

export const DEFAULT_NATIVE_THREADS: NativeThreads = 'pool';

/** Counts calls by the threads that ran them (tests check which path ran). */
export const nativeThreadStats = { addon: 0, pool: 0 };

/** The threads KERAS_JIT_NATIVE_THREADS asks for: read when a program binds its kernels, so programs compiled under either setting can run side by side. */
export const nativeThreadsNow = (): NativeThreads => nativeThreadsFromEnv(DEFAULT_NATIVE_THREADS);

/** A native kernel's call: its byte offsets, as many as the kernel reads. */
export type NativeFn = (...byteOffsets: number[]) => void;

/** Kernel `index` of `addon` over `memory` on `threads` threads of the kind `via` names. */
export function nativeCall(addon: NativeAddon, index: number, memory: NativeMemory, threads: number, via: NativeThreads, pool: ThreadPool | undefined = defaultPool()): NativeFn {
  const panels = addon.panels(index);
  const used = Math.min(threads, panels, pool?.size ?? 1);
  const path = addonPath();
  if (via === 'addon' || used <= 1 || pool === undefined || path === undefined || !memory.shared) {
    return (...offsets) => {
      nativeThreadStats.addon++;
      addon.call(index, memory.u8, threads, ...offsets);
    };
  }
  // One range per thread, as the addon splits them: each range packs its own operands once.
  const chunks = splitPanels(panels, used);
  // The pool calls our share with the job's arguments, then the range.
  const own = (...args: number[]): void => {
    const p1 = args.pop() as number, p0 = args.pop() as number;
    addon.range(index, memory.u8, p0, p1, ...args);
  };
  const run: NativeFn = (...offsets) => {
    nativeThreadStats.pool++;
    pool.run(id, offsets, chunks, own, used);
  };
  const id = pool.registerNative(path, index, memory.wasm, run);
  return run;
}
