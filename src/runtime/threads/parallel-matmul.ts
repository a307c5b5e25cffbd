/**
 * Runs a WebAssembly matmul on several threads: its column panels are split into contiguous
 * chunks, a few per thread, each thread packing B into its own scratch panel (so they share no
 * state but the inputs they read and the disjoint columns of C they write).
 */
import type { MatmulFn, WasmMatmulKernel } from '../../codegen/wasm/matmul-kernel.js';
import type { RangeKernel } from '../../codegen/wasm/range-kernel.js';
import type { Memory } from '../memory.js';
import { defaultPool } from './default-pool.js';
import type { ThreadPool } from './pool.js';
import { MAX_CHUNKS } from './protocol.js';

/**
 * Products of at least this many FLOPs split over the pool. Workers poll a while before they
 * sleep, so a product that follows other kernels closely (a recurrent step's matmul, a small
 * batch's layers) finds them awake and gains from the split; below this a thread's share is
 * too short to cover handing it over and packing its own panels (bench/sequences-profile.ts
 * and the mnist_mlp batch-32 step measured where).
 */
export const PARALLEL_MIN_FLOPS = 3e6;

/** Threads worth giving `kernel` (1: run it on the calling thread alone). */
export function matmulThreads(kernel: WasmMatmulKernel): number {
  const { batch, M, K, N } = kernel.shape;
  return parallelThreads(2 * batch * M * K * N, kernel.panels, kernel.shared);
}

/**
 * Threads worth giving a kernel of `flops` whose work splits into `panels` units, over a shared
 * memory or not (1: the calling thread alone). Shared by the matmul and convolution paths so
 * both go parallel at the same size.
 */
export function parallelThreads(flops: number, panels: number, shared: boolean): number {
  if (!shared || panels <= 1 || flops < PARALLEL_MIN_FLOPS) return 1;
  // Only now, so a process whose products are all small never starts a worker.
  const pool = defaultPool();
  return pool === undefined ? 1 : Math.max(1, Math.min(pool.size, panels));
}

/**
 * Chunks per thread a job is cut into: threads claim them one at a time, so a thread the machine
 * deschedules holds back one chunk, not its whole share, and the others take the rest.
 */
export const CHUNKS_PER_THREAD = 4;

/** The chunks of a job over `units` for `threads` threads. */
export function chunksFor(units: number, threads: number): [number, number][] {
  return splitPanels(units, Math.min(units, threads * CHUNKS_PER_THREAD, MAX_CHUNKS));
}

/** `threads` contiguous ranges covering [0, panels), sizes differing by at most one. */
export function splitPanels(panels: number, threads: number): [number, number][] {
  return Array.from({ length: threads }, (_, t) => [Math.floor((t * panels) / threads), Math.floor(((t + 1) * panels) / threads)]);
}

/**
 * Binds `kernel` (a matmul, or any kernel that splits into ranges of units the same way) over
 * `memory` for `threads` threads, thread t using the scratch panel at
 * `scratchOffset + t·kernel.scratchBytes` (the caller reserved `threads` of them). Falls back to
 * the calling thread alone when the memory is not shared or there is no pool.
 */
export function bindMatmul(kernel: RangeKernel, memory: Memory, scratchOffset: number, threads: number, pool: ThreadPool | undefined = defaultPool()): MatmulFn {
  const used = Math.min(threads, pool?.size ?? 1, kernel.panels);
  if (used <= 1 || pool === undefined || !memory.shared || !kernel.shared) return kernel.instantiate(memory.wasm, scratchOffset);
  const own = kernel.instantiatePanels(memory.wasm, scratchOffset);
  const chunks = chunksFor(kernel.panels, used);
  // Workers past `used` take no chunk; their scratch offset is never used.
  const scratch = Array.from({ length: pool.size }, (_, t) => scratchOffset + (t < used ? t : 0) * kernel.scratchBytes);
  const args = [0, 0, 0, 0];
  const run: MatmulFn = (c, a, b, bias = 0) => {
    args[0] = c; args[1] = a; args[2] = b; args[3] = bias;
    pool.run(id, args, chunks, own as (...args: number[]) => void, used);
  };
  const id = pool.register(kernel.module, kernel.name, memory.wasm, scratch, run);
  return run;
}
