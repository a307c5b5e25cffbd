/**
 * How many threads kernels may use, and whether session memories are shared. Read from the
 * environment on every call (cheap), so a test can change KERAS_JIT_THREADS before it creates
 * the pool; the pool itself is created once, with the count of that moment.
 */
import { availableParallelism } from 'node:os';
import { wasmFeatures } from '../../codegen/wasm/features.js';
import { threadsFromEnv } from '../env.js';

/** KERAS_JIT_THREADS if set to a positive integer, else the cores this process may use. */
export function threadCount(): number {
  return threadsFromEnv() ?? availableParallelism();
}

/**
 * Session memories are shared whenever the engine can share them, whatever the thread count:
 * generated JS kernels run as fast over a SharedArrayBuffer (bench/shared-memory.ts measures it),
 * and one memory kind means one compiled form of each wasm kernel and dumps that do not vary by
 * machine. Typed-array bulk operations are slower on shared buffers (V8 copies them with relaxed
 * atomics), but they only feed inputs and release blocks, off the per-kernel path.
 */
export function defaultSharedMemory(): boolean {
  return wasmFeatures().sharedMemory;
}
