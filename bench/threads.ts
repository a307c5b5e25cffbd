/**
 * GFLOP/s of the WebAssembly matmul kernel on the calling thread alone and split over a pool of
 * two threads (the caller and one worker), over one shared memory in the same run. The shapes
 * are the MLP's forward product and its two backward ones.
 */
import Benchmark from 'benchmark';
import { compileWasmMatmul } from '../src/codegen/wasm/matmul-kernel.js';
import { wasmFeatures } from '../src/codegen/wasm/features.js';
import { matmulName, type MatmulShape } from '../src/codegen/matmul-shape.js';
import { Memory } from '../src/runtime/memory.js';
import { bindMatmul } from '../src/runtime/threads/parallel-matmul.js';
import { ThreadPool } from '../src/runtime/threads/pool.js';
import { MATMUL_CASES } from './matmul.js';

export interface ThreadsRow {
  readonly name: string;
  readonly oneThread: number;
  readonly twoThreads: number;
}

/**
 * Runs per second in the fastest of benchmark.js's samples, not their mean: a second thread is
 * only as fast as the second core is free, and on a shared machine neighbours come and go, so
 * the mean measures them; the best sample measures the kernel.
 */
function hz(name: string, fn: () => void, maxTime: number): number {
  const end = performance.now() + 300;
  do fn(); while (performance.now() < end);
  const bench = new Benchmark(name, fn, { maxTime, minSamples: 10 });
  bench.run({ async: false });
  if (bench.error !== undefined) throw bench.error;
  return 1 / Math.min(...bench.stats.sample);
}

export async function benchThreads(maxTime = 2): Promise<ThreadsRow[]> {
  if (!wasmFeatures().simd || !wasmFeatures().sharedMemory) return [];
  const pool = new ThreadPool(2);
  const rows: ThreadsRow[] = [];
  try {
    for (const c of MATMUL_CASES) {
      const shape: MatmulShape = { batch: 1, ...c };
      const kernel = compileWasmMatmul(shape, { shared: true });
      const memory = new Memory(1 << 20, true);
      const [out, a, b] = [c.M * c.N, c.M * c.K, c.K * c.N].map((n) => memory.alloc(n * 4));
      const scratch = memory.alloc(2 * kernel.scratchBytes);
      for (const [at, n] of [[a, c.M * c.K], [b, c.K * c.N]]) for (let i = 0; i < n; i++) memory.f32[at / 4 + i] = Math.random() - 0.5;
      const gflops = (rate: number) => (rate * 2 * c.M * c.K * c.N) / 1e9;
      const one = bindMatmul(kernel, memory, scratch, 1, pool);
      const two = bindMatmul(kernel, memory, scratch, 2, pool);
      // Interleaved, so a noisy neighbour hits both alike; the better of two runs each.
      const t1 = hz('1 thread', () => one(out, a, b), maxTime), t2 = hz('2 threads', () => two(out, a, b), maxTime);
      const t3 = hz('2 threads', () => two(out, a, b), maxTime), t4 = hz('1 thread', () => one(out, a, b), maxTime);
      rows.push({ name: matmulName(shape), oneThread: gflops(Math.max(t1, t4)), twoThreads: gflops(Math.max(t2, t3)) });
      await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    await pool.terminate();
  }
  return rows;
}
