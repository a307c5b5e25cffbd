/**
 * The hand-off between the calling thread and the pool's workers: one Int32Array over a small
 * SharedArrayBuffer (not the session memory, so growing that never touches it). The caller
 * writes a job's kernel, arguments and per-thread ranges, marks each worker with a range POSTED,
 * sets PENDING, bumps SEQ and notifies; a worker claims its range (POSTED -> CLAIMED, a
 * compare-exchange), runs it, decrements PENDING, and the last one notifies the caller. Ranges
 * still unclaimed when the caller's own is done the caller claims and runs itself, so a slow,
 * booting or dead worker never makes it wait for more than the ranges already running.
 * Kernels are registered over a MessagePort that workers read synchronously when they wake.
 */
import type { MessagePort } from 'node:worker_threads';
import type { CompiledModule, WasmMemory } from '../../codegen/wasm/engine.js';

export const SEQ = 0;
export const PENDING = 1;
/** Workers whose kernel threw in the current job; their messages wait on the port. */
export const FAILED = 2;
export const KERNEL = 3;
export const ARGC = 4;
export const ARGS = 5;
/** A multi-tensor kernel takes an offset per buffer of every member; larger ones run on one thread. */
export const MAX_ARGS = 512;
/** Thread t's range is [RANGES + 2t, RANGES + 2t + 1]; thread 0 is the caller. */
export const RANGES = ARGS + MAX_ARGS;

export const IDLE = 0;
export const POSTED = 1;
export const CLAIMED = 2;

export const controlLength = (threads: number) => RANGES + 3 * threads;
/** Where thread t's claim word (IDLE, POSTED or CLAIMED) is, in a pool of `threads`. */
export const stateIndex = (threads: number, t: number) => RANGES + 2 * threads + t;

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
  | { readonly kind: 'drop'; readonly id: number };

/** Worker to caller, over the port: why a kernel failed. */
export interface FromWorker {
  readonly thread: number;
  readonly message: string;
}
