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
import type { Node } from '../src/ir/node.js';
import { OPS } from '../src/ir/optable.js';
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

export interface PassCostRow {
  readonly op: string;
  /** OpRule.passCost: what the record says an element costs, in bytes-equivalent. */
  readonly recorded: number;
  /** Measured: (µs of the op's pass − µs of a scaling pass) × the scaling pass's bytes per µs / elements. */
  readonly measured: number;
  readonly nsPerElement: number;
}

/** The pass that measures each op's passCost (randomUniform as dropout computes it: a draw, a compare, a where). */
const PASS_OF: Readonly<Record<string, (x: Node, seed: Node) => Node>> = {
  exp: B.exp, log: B.log, sqrt: B.sqrt, tanh: B.tanh, sigmoid: B.sigmoid, divide: (x) => B.divide(1.5, x),
  randomUniform: (x, seed) => B.where(B.greaterEqual(B.randomUniform(seed, x.shape), 0.5), x, 0),
};

/** One-thread µs per call of the SIMD pass computing `build(x, seed)` over n elements. */
function passMicros(session: Session, n: number, build: (x: Node, seed: Node) => Node, maxTime: number): number | undefined {
  const x = B.input('x', [n]), seed = B.input('seed', [], 'int32');
  const out = build(x, seed);
  const inputs = out.op === 'where' ? [x, seed] : [x];
  const program = compiledProgram({ name: 'cost', inputs, graph: { outputs: [out], updates: [] } }, session, 'wasm');
  const kernel = compileWasmElementwise(program.parts.calls[0].kernel);
  if (kernel === undefined) return undefined;
  const memory = new Memory(1 << 22, true);
  const offsets = kernel.buffers.map(() => memory.alloc(n * 4));
  // Positive values, so log and sqrt take their usual path.
  for (const at of offsets) for (let i = 0; i < n; i++) memory.f32[at / 4 + i] = 0.5 + Math.random();
  const one = bindPass(kernel, memory, offsets, 1);
  return best(out.op, () => { one.run(...one.args); }, maxTime) * 1e6;
}

/**
 * Measures OpRule.passCost for each op that records one: one-thread passes of 64 Ki elements,
 * each op's against a pass that only scales its input (the memory-bound baseline), interleaved.
 */
export function benchPassCosts(maxTime = 0.3, n = 1 << 16): PassCostRow[] {
  const session = new Session({ seed: 1 });
  const baseline = (x: Node) => B.multiply(x, 2);
  const rows: PassCostRow[] = [];
  try {
    for (const [op, rule] of Object.entries(OPS)) {
      if (rule.passCost === undefined) continue;
      const build = PASS_OF[op];
      if (build === undefined) throw new Error(`bench passes: ${op} records a passCost but no pass here measures it`);
      const base1 = passMicros(session, n, baseline, maxTime), t = passMicros(session, n, build, maxTime), base2 = passMicros(session, n, baseline, maxTime);
      if (base1 === undefined || base2 === undefined || t === undefined) throw new Error(`bench passes: the pass of ${op} is not a SIMD loop, so its passCost means nothing`);
      const base = Math.min(base1, base2);
      // The baseline moves 8 bytes an element (4 in, 4 out).
      const bytesPerMicro = (8 * n) / base;
      rows.push({ op, recorded: rule.passCost, measured: ((t - base) * bytesPerMicro) / n, nsPerElement: (t * 1e3) / n });
    }
  } finally {
    session.clear();
  }
  return rows;
}
