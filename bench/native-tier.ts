/**
 * The native tier (issue 14) beside the WebAssembly tier it sits behind, in one run:
 * - matmul GFLOP/s of the mnist_mlp shapes: the WebAssembly kernel and the C kernel, each on one
 *   thread and on two (the worker pool's split for wasm, the addon's threads for C), interleaved;
 * - training samples/s of mnist_mlp and mnist_cnn (batch 128) on the wasm tier, the native tier
 *   and PyTorch, taking turns twice, each keeping its better round;
 * - compile latency per kernel: a cold compile (its cache entry removed first), and loading the
 *   cached object (hash check and dlopen).
 * Rates are from the fastest call, not the mean: on a shared machine the mean measures the neighbours.
 */
import { emitMatmulC } from '../src/codegen/native/matmul-c.js';
import { matmulName, type MatmulShape } from '../src/codegen/matmul-shape.js';
import { compileWasmMatmul } from '../src/codegen/wasm/matmul-kernel.js';
import { Memory } from '../src/runtime/memory.js';
import { bindMatmul } from '../src/runtime/threads/parallel-matmul.js';
import { ThreadPool } from '../src/runtime/threads/pool.js';
import { addonSync } from '../src/runtime/tiers/native/addon.js';
import { buildSync, cacheDir, entryFor, evict, isCached } from '../src/runtime/tiers/native/cache.js';
import { nativeTier } from '../src/runtime/tiers/native/index.js';
import { nativeCompilesSettled, nativeKernel, nativeKernelsCreated } from '../src/runtime/tiers/native/kernels.js';
import { compiler } from '../src/runtime/tiers/native/toolchain.js';
import { backend, Session, tensor } from '../src/index.js';
import { MATMUL_CASES } from './matmul.js';
import { kerasModel } from './models.js';
import { runOurs, runPeer, type NativeCase, type Rate } from './native-peers.js';

/** Weight gradients (Aᵀ·dY): mnist_cnn's dense layer, tall with few panels, and a 10-class classifier's, one vector wide. */
const WEIGHT_GRADIENT_CASES: readonly (typeof MATMUL_CASES)[number][] = [
  { M: 9216, K: 128, N: 128, transposeA: true, transposeB: false },
  { M: 512, K: 128, N: 10, transposeA: true, transposeB: false },
  { M: 128, K: 512, N: 10, transposeA: false, transposeB: false },
  { M: 128, K: 10, N: 512, transposeA: false, transposeB: true },
];

export interface NativeMatmulRow {
  readonly name: string;
  readonly wasm1: number; readonly wasm2: number;
  readonly native1: number; readonly native2: number;
}

/**
 * Calls per second of the fastest single call in `seconds` of calls: on a machine shared with
 * other work, a call that ran without being descheduled measures the kernel, the rest the load.
 */
function hz(fn: () => void, seconds: number): number {
  for (let i = 0; i < 5; i++) fn();
  let best = Infinity;
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    const t = performance.now();
    fn();
    best = Math.min(best, performance.now() - t);
  }
  return 1000 / best;
}

export async function benchNativeMatmul(maxTime = 1): Promise<NativeMatmulRow[]> {
  if (nativeTier.unavailable() !== undefined) return [];
  const addon = addonSync();
  const pool = new ThreadPool(2);
  const rows: NativeMatmulRow[] = [];
  try {
    for (const c of [...MATMUL_CASES, ...WEIGHT_GRADIENT_CASES]) {
      const shape: MatmulShape = { batch: 1, ...c };
      const wasm = compileWasmMatmul(shape, { shared: true });
      const native = nativeKernel(matmulName(shape), emitMatmulC(shape, { bias: false, relu: false }).source, true);
      const index = native.index;
      if (index === undefined) throw new Error(`${matmulName(shape)}: the C kernel did not build (KERAS_JIT_DEBUG=1 says why)`);
      const memory = new Memory(1 << 20, true);
      const [out, a, b] = [c.M * c.N, c.M * c.K, c.K * c.N].map((n) => memory.alloc(n * 4));
      const scratch = memory.alloc(2 * wasm.scratchBytes);
      for (const [at, n] of [[a, c.M * c.K], [b, c.K * c.N]]) for (let i = 0; i < n; i++) memory.f32[at / 4 + i] = Math.random() - 0.5;
      const gflops = (rate: number) => (rate * 2 * c.M * c.K * c.N) / 1e9;
      const w1 = bindMatmul(wasm, memory, scratch, 1, pool), w2 = bindMatmul(wasm, memory, scratch, 2, pool);
      const variants: [string, () => void][] = [
        ['wasm1', () => w1(out, a, b)], ['wasm2', () => w2(out, a, b)],
        ['native1', () => addon.call(index, memory.u8, 1, out, a, b, 0)], ['native2', () => addon.call(index, memory.u8, 2, out, a, b, 0)],
      ];
      const best = new Map<string, number>();
      // In order, then in reverse, so a change of load falls on every variant alike.
      for (const order of [variants, [...variants].reverse()]) {
        for (const [name, fn] of order) best.set(name, Math.max(best.get(name) ?? 0, gflops(hz(fn, maxTime))));
        await new Promise((resolve) => setImmediate(resolve));
      }
      const g = (k: string) => best.get(k) ?? NaN;
      rows.push({ name: matmulName(shape), wasm1: g('wasm1'), wasm2: g('wasm2'), native1: g('native1'), native2: g('native2') });
    }
  } finally {
    await pool.terminate();
  }
  return rows;
}

export interface NativeTrainingRow {
  readonly model: NativeCase['model'];
  readonly batch: number;
  readonly wasm: Rate;
  readonly native: Rate;
  readonly torch: Rate;
}

const better = (a: Rate | undefined, b: Rate): Rate => (a === undefined || !('samplesPerSecond' in a) ? b : !('samplesPerSecond' in b) || a.samplesPerSecond >= b.samplesPerSecond ? a : b);

async function onBackend(name: string, run: () => Promise<Rate>): Promise<Rate> {
  const saved = process.env.KERAS_JIT_BACKEND;
  process.env.KERAS_JIT_BACKEND = name;
  try {
    return await run();
  } finally {
    if (saved === undefined) delete process.env.KERAS_JIT_BACKEND;
    else process.env.KERAS_JIT_BACKEND = saved;
  }
}

export async function benchNativeTraining(seconds = 2, log: (line: string) => void = () => {}): Promise<NativeTrainingRow[]> {
  if (nativeTier.unavailable() !== undefined) return [];
  const rows: NativeTrainingRow[] = [];
  for (const c of [{ model: 'mnist_mlp', batch: 128 }, { model: 'mnist_cnn', batch: 128 }] as const) {
    let wasm: Rate | undefined, native: Rate | undefined, torch: Rate | undefined;
    for (let round = 0; round < 2; round++) {
      wasm = better(wasm, await onBackend('wasm', () => runOurs(c, seconds)));
      native = better(native, await onBackend('native', () => runOurs(c, seconds)));
      torch = better(torch, runPeer('torch', c, seconds));
    }
    const row = { model: c.model, batch: c.batch, wasm: wasm as Rate, native: native as Rate, torch: torch as Rate };
    const show = (r: Rate) => ('samplesPerSecond' in r ? r.samplesPerSecond.toFixed(0) : r.missing);
    log(`  ${c.model}: wasm ${show(row.wasm)}, native ${show(row.native)}, torch ${show(row.torch)} samples/s`);
    rows.push(row);
  }
  return rows;
}

export interface NativeCompileRow {
  readonly name: string;
  readonly coldMs: number;
  readonly cachedMs: number;
}

/** The mnist_mlp training step's matmuls (forward with bias and relu, and both backward products). */
export function benchNativeCompile(): NativeCompileRow[] {
  const cc = compiler(), cache = cacheDir();
  if ('missing' in cc || typeof cache !== 'string') return [];
  const addon = addonSync();
  const rows: NativeCompileRow[] = [];
  const shapes: [MatmulShape, { bias: boolean; relu: boolean }][] = [
    [{ batch: 1, M: 128, K: 784, N: 512, transposeA: false, transposeB: false }, { bias: true, relu: true }],
    [{ batch: 1, M: 784, K: 128, N: 512, transposeA: true, transposeB: false }, { bias: false, relu: false }],
    [{ batch: 1, M: 128, K: 10, N: 512, transposeA: false, transposeB: true }, { bias: false, relu: false }],
  ];
  for (const [shape, epilogue] of shapes) {
    const { source } = emitMatmulC(shape, epilogue);
    // A source the runtime never loads (a comment makes it its own cache entry), so dlopen really opens it.
    const fresh = `${source}\n/* compile-latency bench ${process.pid} ${Date.now()} */\n`;
    const entry = entryFor(cache, cc, fresh);
    evict(entry);
    const t0 = performance.now();
    buildSync(cache, entry, fresh);
    const t1 = performance.now();
    if (!isCached(entry)) throw new Error('the entry just built is not cached');
    addon.load(entry.so);
    const t2 = performance.now();
    evict(entry);
    rows.push({ name: `${matmulName(shape)}${epilogue.bias ? '_bias' : ''}${epilogue.relu ? '_relu' : ''}`, coldMs: t1 - t0, cachedMs: t2 - t1 });
  }
  return rows;
}

export interface NativeStepRow {
  readonly model: 'mnist_mlp' | 'mnist_cnn';
  readonly batch: number;
  /** Samples/s of the fastest training step, and of the median one. */
  readonly wasm: { readonly best: number; readonly median: number };
  readonly native: { readonly best: number; readonly median: number };
  /** The native tier with its kernels on the worker pool's threads (KERAS_JIT_NATIVE_THREADS=pool) instead of the addon's. */
  readonly nativePool: { readonly best: number; readonly median: number };
}

type StepCopy = 'wasm' | 'native' | 'nativePool';
const STEP_COPIES: readonly StepCopy[] = ['wasm', 'native', 'nativePool'];
const backendOf = (copy: StepCopy) => (copy === 'wasm' ? 'wasm' : 'native');

/** Runs `f` with KERAS_JIT_NATIVE_THREADS set for `copy` (read when the program binds its kernels). */
async function withNativeThreads<T>(copy: StepCopy, f: () => Promise<T>): Promise<T> {
  const saved = process.env.KERAS_JIT_NATIVE_THREADS;
  process.env.KERAS_JIT_NATIVE_THREADS = copy === 'nativePool' ? 'pool' : 'addon';
  try {
    return await f();
  } finally {
    if (saved === undefined) delete process.env.KERAS_JIT_NATIVE_THREADS;
    else process.env.KERAS_JIT_NATIVE_THREADS = saved;
  }
}

/**
 * Training steps (trainOnBatch) of three copies of a model in one process, one compiled on the wasm
 * tier and two on the native tier (after its C kernels loaded), one calling them on the addon's
 * threads and one on the worker pool's, taking turns step by step (in rotating order), so that
 * whatever else the machine runs falls on all alike.
 */
export async function benchNativeSteps(steps = 60): Promise<NativeStepRow[]> {
  if (nativeTier.unavailable() !== undefined) return [];
  const rows: NativeStepRow[] = [];
  for (const model of ['mnist_mlp', 'mnist_cnn'] as const) {
    const batch = 128;
    const session = new Session({ seed: 1 });
    backend.setSession(session);
    try {
      const shape = model === 'mnist_mlp' ? [batch, 784] : [batch, 28, 28, 1];
      const x = tensor(Float32Array.from({ length: shape.reduce((p, d) => p * d, 1) }, (_, i) => (i % 255) / 255), shape);
      const oneHot = new Float32Array(batch * 10);
      for (let i = 0; i < batch; i++) oneHot[i * 10 + (i % 10)] = 1;
      const y = tensor(oneHot, [batch, 10]);
      const copies = { wasm: kerasModel(model), native: kerasModel(model), nativePool: kerasModel(model) };
      const mark = nativeKernelsCreated();
      for (const copy of STEP_COPIES) {
        await withNativeThreads(copy, () => onBackend(backendOf(copy), async () => { await copies[copy].trainOnBatch(x, y); return { missing: '' }; }));
      }
      await nativeCompilesSettled(mark);
      const times = { wasm: [] as number[], native: [] as number[], nativePool: [] as number[] };
      for (let i = 0; i < steps; i++) {
        for (let j = 0; j < STEP_COPIES.length; j++) {
          const copy = STEP_COPIES[(i + j) % STEP_COPIES.length];
          const t = performance.now();
          await copies[copy].trainOnBatch(x, y);
          times[copy].push(performance.now() - t);
        }
      }
      const rate = (ts: number[]) => {
        const sorted = [...ts].sort((p, q) => p - q);
        return { best: batch / (sorted[0] / 1000), median: batch / (sorted[sorted.length >> 1] / 1000) };
      };
      rows.push({ model, batch, wasm: rate(times.wasm), native: rate(times.native), nativePool: rate(times.nativePool) });
    } finally {
      session.clear();
    }
  }
  return rows;
}

/** `node dist/bench/native-tier.js`: all three, printed. */
if (import.meta.url === `file://${process.argv[1]}`) {
  const fmt = (x: number) => x.toFixed(1);
  for (const r of await benchNativeMatmul()) console.log(`${r.name}: wasm ${fmt(r.wasm1)} / ${fmt(r.wasm2)} GFLOP/s (1 / 2 threads), native ${fmt(r.native1)} / ${fmt(r.native2)}; native/wasm ${(r.native1 / r.wasm1).toFixed(2)}x / ${(r.native2 / r.wasm2).toFixed(2)}x`);
  for (const r of benchNativeCompile()) console.log(`${r.name}: cold compile ${r.coldMs.toFixed(0)} ms, cached load ${r.cachedMs.toFixed(2)} ms`);
  for (const r of await benchNativeSteps()) console.log(`${r.model} batch ${r.batch} steps: wasm ${r.wasm.best.toFixed(0)} (median ${r.wasm.median.toFixed(0)}), native ${r.native.best.toFixed(0)} (median ${r.native.median.toFixed(0)}) samples/s; native/wasm ${(r.native.best / r.wasm.best).toFixed(2)}x best, ${(r.native.median / r.wasm.median).toFixed(2)}x median; kernels on the worker pool ${r.nativePool.best.toFixed(0)} (median ${r.nativePool.median.toFixed(0)}), ${(r.nativePool.best / r.wasm.best).toFixed(2)}x / ${(r.nativePool.median / r.wasm.median).toFixed(2)}x`);
  if (process.argv.includes('--training')) await benchNativeTraining(2, (line) => console.log(line));
}
