/**
 * Runs the memory-bound WebAssembly passes (elementwise loops, multi-tensor updates, the
 * epilogue after a raw product, pooling and its gradient, sums) on the worker pool: a kernel's
 * units (ranged-kernel.ts) are split into contiguous chunks, a few per thread (chunksFor), or one
 * per thread for kernels whose every range sweeps the whole input. Each range writes
 * its own part of the outputs, computed exactly as one thread would, so results do not depend
 * on the thread count.
 */
import type { RangedKernel } from '../../codegen/wasm/ranged-kernel.js';
import type { Memory } from '../memory.js';
import { defaultPool } from './default-pool.js';
import { chunksFor, splitPanels } from './parallel-matmul.js';
import type { ThreadPool } from './pool.js';
import { MAX_ARGS } from './protocol.js';

/**
 * A pass of less work (ir/cost.ts kernelWork: its bytes, plus its random draws and transcendentals
 * in bytes-equivalent) stays on the calling thread: bench/passes.ts measures where a second thread
 * starts to pay for handing out a job.
 */
export const PARALLEL_MIN_BYTES = 1 << 20;

/** Threads worth giving a pass of `work` (bytes-equivalent) with `units` to split (1: the calling thread alone). */
export function passThreads(work: number, units: number, shared: boolean): number {
  if (!shared || units <= 1 || work < PARALLEL_MIN_BYTES) return 1;
  // Only now, so a process whose passes are all small never starts a worker.
  const pool = defaultPool();
  return pool === undefined ? 1 : Math.min(pool.size, units);
}

/** What a lowering hands the run loop: a function and the arguments it is applied to. */
export interface PassCall {
  readonly run: (...args: number[]) => void;
  readonly args: number[];
}

/**
 * `kernel` over `memory` with `args` (its offsets, then any scratch offset), on `threads`
 * threads. One thread: the kernel itself over its whole range, called with no wrapper. Falls
 * back to that when the memory is not shared or there is no pool.
 */
export function bindPass(kernel: RangedKernel, memory: Memory, args: readonly number[], threads: number, pool: ThreadPool | undefined = defaultPool()): PassCall {
  const fn = kernel.instantiate(memory.wasm);
  const used = Math.min(threads, pool?.size ?? 1, kernel.units);
  if (used <= 1 || pool === undefined || !memory.shared || args.length > MAX_ARGS) return { run: fn, args: [...args, 0, kernel.units] };
  const chunks = kernel.oneRangePerThread === true ? splitPanels(kernel.units, used) : chunksFor(kernel.units, used);
  const run = (): void => { pool.run(id, args, chunks, fn, used); };
  // Passes need no per-thread scratch (a sum's accumulators are per channel, so disjoint).
  const id = pool.register(kernel.module(true), kernel.name, memory.wasm, new Array<number>(pool.size).fill(0), run);
  return { run, args: [] };
}
