/**
 * The process's pool, created on first use with `threadCount()` threads; none when that is 1
 * (KERAS_JIT_THREADS=1) or the engine cannot share memory. Re-read on each call, so changing
 * KERAS_JIT_THREADS affects kernels compiled afterwards (the old pool idles, costing nothing).
 */
import { wasmFeatures } from '../../codegen/wasm/features.js';
import { threadCount } from './config.js';
import { ThreadPool } from './pool.js';

let pool: ThreadPool | undefined;

export function defaultPool(): ThreadPool | undefined {
  const n = threadCount();
  if (n <= 1 || !wasmFeatures().sharedMemory) return undefined;
  if (pool === undefined || pool.size !== n) pool = new ThreadPool(n);
  return pool;
}
