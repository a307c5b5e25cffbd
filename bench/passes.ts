/**
 * A memory-bound pass (an RMSprop-like update: three float32 inputs, one output) on the calling
 * thread alone and split over a pool of two threads, at sizes around PARALLEL_MIN_BYTES, in the
 * same run and interleaved: where the second thread starts to pay for handing out a job is the
 * threshold runtime/threads/parallel-pass.ts uses.
 */
import Benchmark from 'benchmark';
import { compileWasmElementwise } from '../src/codegen/wasm/elementwise-kernel.js';
import { wasmFeatures } from '../src/codegen/wasm/features.js';
import { kernelBytes } from '../src/ir/cost.js';
import * as B from '../src/ir/build.js';
import { compiledProgram } from '../src/runtime/compiled.js';
import { Memory } from '../src/runtime/memory.js';
import { Session } from '../src/runtime/session.js';
import { bindPass } from '../src/runtime/threads/parallel-pass.js';
import { ThreadPool } from '../src/runtime/threads/pool.js';

export interface PassRow {
  readonly name: string;
  readonly bytes: number;
  /** Microseconds per call. */
  readonly oneThreadUs: number;
  readonly twoThreadsUs: number;
}

/** Seconds of the fastest sample: the kernel, not the neighbours (as bench/threads.ts). */
function best(name: string, fn: () => void, maxTime: number): number {
  const end = performance.now() + 100;
  do fn(); while (performance.now() < end);
  const bench = new Benchmark(name, fn, { maxTime, minSamples: 10 });
  bench.run({ async: false });
  if (bench.error !== undefined) throw bench.error;
  return Math.min(...bench.stats.sample);
}

export async function benchPasses(maxTime = 0.5, sizes: readonly number[] = [1 << 12, 1 << 14, 1 << 16, 1 << 18, 1 << 20]): Promise<PassRow[]> {
  if (!wasmFeatures().simd || !wasmFeatures().sharedMemory) return [];
  const pool = new ThreadPool(2);
  const session = new Session({ seed: 1 });
  const rows: PassRow[] = [];
  try {
    for (const n of sizes) {
      const [x, g, v] = ['x', 'g', 'v'].map((name) => B.input(name, [n]));
      const out = B.subtract(x, B.divide(B.multiply(g, 0.01), B.add(B.sqrt(v), 1e-7)));
      const program = compiledProgram({ name: 'pass', inputs: [x, g, v], graph: { outputs: [out], updates: [] } }, session, 'wasm');
      const k = program.parts.calls[0].kernel;
      const kernel = compileWasmElementwise(k);
      if (kernel === undefined) throw new Error('bench passes: the update is not a SIMD loop');
      const memory = new Memory(1 << 20, true);
      const offsets = kernel.buffers.map(() => memory.alloc(n * 4));
      for (const at of offsets) for (let i = 0; i < n; i++) memory.f32[at / 4 + i] = 1 + Math.random();
      const one = bindPass(kernel, memory, offsets, 1, pool), two = bindPass(kernel, memory, offsets, 2, pool);
      const call = (c: typeof one) => () => { c.run(...c.args); };
      const t1 = best('1 thread', call(one), maxTime), t2 = best('2 threads', call(two), maxTime);
      const t3 = best('2 threads', call(two), maxTime), t4 = best('1 thread', call(one), maxTime);
      rows.push({ name: kernel.name, bytes: kernelBytes(k), oneThreadUs: Math.min(t1, t4) * 1e6, twoThreadsUs: Math.min(t2, t3) * 1e6 });
      await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    await pool.terminate();
    session.clear();
  }
  return rows;
}
