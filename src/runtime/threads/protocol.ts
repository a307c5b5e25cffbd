/**
 * The hand-off between the calling thread and the pool's workers: one Int32Array over a small
 * SharedArrayBuffer (not the session memory, so growing that never touches it). A job is a
 * kernel, its arguments and a list of chunks (ranges of its units, several per thread). The
 * caller writes them, opens the job's claim word (NEXT: the job's epoch and the next chunk),
 * bumps SEQ and notifies; then every thread, the caller included, claims chunks one at a time
 * (a compare-exchange on NEXT) and runs them, counting each in FINISHED; the caller waits until
 * FINISHED reaches the chunk count. A booting, descheduled or dead worker thus delays a job by at
 * most the one chunk it has claimed, never by the chunks it has not: the caller runs those.
 * The epoch in NEXT makes a worker that wakes late fail its claim instead of taking a chunk of a
 * later job with this job's kernel and arguments. Kernels are registered over a MessagePort that
 * workers read synchronously when they wake.
 */
import type { MessagePort } from 'node:worker_threads';
import type { CompiledModule, WasmMemory } from '../../codegen/wasm/engine.js';

export const SEQ = 0;
/** The job's epoch (high bits) and the next unclaimed chunk (low CHUNK_BITS). */
export const NEXT = 1;
/** Chunks done (run, failed or withdrawn); the caller waits for all of them. */
export const FINISHED = 2;
/** Workers whose kernel threw in the current job; their messages wait on the port. */
export const FAILED = 3;
export const KERNEL = 4;
export const CHUNKS = 5;
/** Threads that may take part (the caller is thread 0): a kernel may have scratch for fewer than the pool. */
export const THREADS = 6;
export const ARGC = 7;
export const ARGS = 8;
/** A multi-tensor kernel takes an offset per buffer of every member; larger ones run on one thread. */
export const MAX_ARGS = 512;
/** Chunk c is [RANGES + 2c, RANGES + 2c + 1]. */
export const RANGES = ARGS + MAX_ARGS;
export const CHUNK_BITS = 8;
export const MAX_CHUNKS = (1 << CHUNK_BITS) - 1;
export const CONTROL_LENGTH = RANGES + 2 * MAX_CHUNKS;

/** The epoch of job `seq`, as it sits in NEXT's high bits (it wraps; a job spans far fewer). */
export const epochOf = (seq: number): number => (seq << CHUNK_BITS) | 0;

/**
 * Claims the next chunk of the job whose epoch is `epoch`: its index, or -1 when every chunk is
 * claimed or the job is over (NEXT holds another epoch).
 */
export function claim(ctrl: Int32Array, epoch: number): number {
  for (;;) {
    const w = Atomics.load(ctrl, NEXT);
    const chunk = w & MAX_CHUNKS;
    if ((w & ~MAX_CHUNKS) !== epoch || chunk >= Atomics.load(ctrl, CHUNKS)) return -1;
    if (Atomics.compareExchange(ctrl, NEXT, w, w + 1) === w) return chunk;
  }
}

/** What a worker is started with (its workerData). */
export interface WorkerInit {
  readonly control: SharedArrayBuffer;
  /** This worker's thread index, 1 and up. */
  readonly thread: number;
  /** The pool's size, the calling thread included. */
  readonly threads: number;
  readonly port: MessagePort;
}

/** Caller to worker, over the port. */
export type ToWorker =
  | {
      readonly kind: 'register';
      readonly id: number;
      /** A WebAssembly.Module, structured-cloned: compiled once, shared by every thread. */
      readonly module: CompiledModule;
      /** The shared WebAssembly.Memory the module imports as env.memory. */
      readonly memory: WasmMemory;
      /** This worker's scratch byte offset, imported as env.scratch. */
      readonly scratch: number;
      readonly exportName: string;
    }
  | {
      /** A native kernel (tiers/native): the addon's shared object, loaded into the worker's context, and the kernel's index in it. */
      readonly kind: 'registerNative';
      readonly id: number;
      readonly addon: string;
      readonly index: number;
      readonly memory: WasmMemory;
    }
  | { readonly kind: 'drop'; readonly id: number };

/** Worker to caller, over the port: why a kernel failed. */
export interface FromWorker {
  readonly thread: number;
  readonly message: string;
}
