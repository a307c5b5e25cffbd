/**
 * keras-jit beside the native peers a user would otherwise pick: PyTorch on the CPU and Keras 3
 * on JAX, each in its own Python process (bench/native_peers.py), on mnist_mlp (batch 128 and
 * 32), mnist_cnn (batch 128) and a 10-20-10 tabular MLP (batch 32). Every model trains on random
 * data of its shapes, the same protocol on both sides: epochs of 20 steps, two untimed, then the
 * best epoch of those run in `seconds`. The trainers of one model take turns (ours, torch,
 * Keras/JAX, twice) so that the machine's load falls on all of them; each keeps its better round.
 * The interpreter is KERAS_JIT_BENCH_PYTHON (default `python3`); a peer whose framework does not
 * import is reported as missing, never as a number.
 *
 * One row is latency rather than training: single-sample predict of mnist_mlp (task 'predict',
 * batch 1), as samples/s = 1 / the call's time. keras-jit times model.predictOnBatch on one
 * 1×784 sample, PyTorch the module call under torch.no_grad() in eval mode, Keras 3/JAX a jitted
 * stateless_call (its fastest inference path; predict_on_batch adds Python data handling). Each
 * keeps the best mean of 20 consecutive calls over the run, so load bursts fall out.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { backend, Sequential, Session, layers, optimizers, tensor, type Tensor } from '../src/index.js';
import { kerasModel } from './models.js';
import { breathe } from './measure.js';
import { nativeCompilesSettled } from '../src/runtime/tiers/native/kernels.js';
import { defaultTier } from '../src/runtime/tiers/index.js';

export type NativeModel = 'mnist_mlp' | 'mnist_cnn' | 'tabular_mlp';
export type NativePeer = 'torch' | 'keras-jax';

export type NativeTask = 'train' | 'predict';

export interface NativeCase {
  readonly model: NativeModel;
  readonly batch: number;
  /** Default 'train'. */
  readonly task?: NativeTask;
}

export const NATIVE_CASES: readonly NativeCase[] = [
  { model: 'mnist_mlp', batch: 128 }, { model: 'mnist_mlp', batch: 32 },
  { model: 'mnist_cnn', batch: 128 }, { model: 'tabular_mlp', batch: 32 },
  { model: 'mnist_mlp', batch: 1, task: 'predict' },
];

export const NATIVE_PEERS: readonly NativePeer[] = ['torch', 'keras-jax'];

/** Samples/s, or why there is no number. */
export type Rate = { readonly samplesPerSecond: number; readonly label: string } | { readonly missing: string };

export interface NativeRow {
  readonly model: NativeModel;
  readonly batch: number;
  readonly task: NativeTask;
  readonly ours: Rate;
  readonly peers: Readonly<Record<NativePeer, Rate>>;
}

const STEPS_PER_EPOCH = 20;
const ROUNDS = 2;
const SCRIPT = fileURLToPath(new URL('../../bench/native_peers.py', import.meta.url));

export const benchPython = (): string => process.env.KERAS_JIT_BENCH_PYTHON ?? 'python3';

/** Why `peer` cannot run here, or undefined when its framework imports. */
function whyMissing(peer: NativePeer): string | undefined {
  const probe = peer === 'torch' ? 'import torch' : 'import keras, jax';
  const r = spawnSync(benchPython(), ['-c', probe], { env: { ...process.env, KERAS_BACKEND: 'jax' }, encoding: 'utf8', timeout: 120_000 });
  if (r.error !== undefined) return `${benchPython()} cannot start (${r.error.message}); set KERAS_JIT_BENCH_PYTHON`;
  if (r.status === 0) return undefined;
  const last = r.stderr.trim().split('\n').pop() ?? '';
  return `\`${probe}\` fails in ${benchPython()}: ${last.slice(0, 120)}`;
}

export function runPeer(peer: NativePeer, c: NativeCase, seconds: number): Rate {
  const r = spawnSync(benchPython(), [SCRIPT, peer, c.model, String(c.batch), String(seconds), c.task ?? 'train'], {
    env: { ...process.env, KERAS_BACKEND: 'jax' }, encoding: 'utf8', timeout: 600_000,
  });
  if (r.status !== 0) return { missing: `failed (status ${r.status}): ${(r.stderr ?? '').trim().split('\n').pop()?.slice(0, 120) ?? ''}` };
  const out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { samplesPerSecond: number; version: string };
  return { samplesPerSecond: out.samplesPerSecond, label: out.version };
}

function tabularModel(): Sequential {
  const m = new Sequential([new layers.Dense(20, { activation: 'relu', inputShape: [10] }), new layers.Dense(10, { activation: 'softmax' })]);
  m.compile({ optimizer: new optimizers.Adam({ learningRate: 1e-3 }), loss: 'categorical_crossentropy', metrics: ['accuracy'] });
  return m;
}

/** Uniform [0, 1) floats from a fixed linear congruential stream: the values do not matter, only the shapes. */
function uniforms(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s / 2 ** 32;
  }
  return a;
}

/** Calls per timed sample of a latency measurement: the best sample's mean is the figure. */
const CALLS_PER_SAMPLE = 20;

/** Samples/s of single-batch predict: the best mean over CALLS_PER_SAMPLE calls in `seconds`, after a warm-up. */
function predictRate(call: () => unknown, batch: number, seconds: number): number {
  const warm = performance.now() + 300;
  while (performance.now() < warm) call();
  let best = Infinity;
  const deadline = performance.now() + seconds * 1000;
  for (let samples = 0; samples < 10 || performance.now() < deadline; samples++) {
    const t = performance.now();
    for (let i = 0; i < CALLS_PER_SAMPLE; i++) call();
    best = Math.min(best, (performance.now() - t) / CALLS_PER_SAMPLE);
  }
  return batch / (best / 1000);
}

export async function runOurs(c: NativeCase, seconds: number): Promise<Rate> {
  const session = new Session({ seed: 1 });
  backend.setSession(session);
  try {
    const model = c.model === 'tabular_mlp' ? tabularModel() : kerasModel(c.model);
    const tier = `keras-jit, ${defaultTier()} tier`;
    if (c.task === 'predict') {
      const sample = c.model === 'mnist_mlp' ? [c.batch, 784] : c.model === 'mnist_cnn' ? [c.batch, 28, 28, 1] : [c.batch, 10];
      const x1 = tensor(uniforms(sample.reduce((p, d) => p * d, 1), 3), sample);
      return { samplesPerSecond: predictRate(() => model.predictOnBatch(x1), c.batch, seconds), label: `${tier}, predictOnBatch` };
    }
    const rows = STEPS_PER_EPOCH * c.batch;
    const shape = c.model === 'mnist_mlp' ? [rows, 784] : c.model === 'mnist_cnn' ? [rows, 28, 28, 1] : [rows, 10];
    const x: Tensor = tensor(uniforms(shape.reduce((p, d) => p * d, 1), 1), shape);
    const labels = uniforms(rows, 2), oneHot = new Float32Array(rows * 10);
    for (let i = 0; i < rows; i++) oneHot[i * 10 + Math.floor(labels[i] * 10)] = 1;
    const y = tensor(oneHot, [rows, 10]);
    const epoch = () => model.fit(x, y, { batchSize: c.batch, epochs: 1, verbose: 0 });
    await epoch();
    await epoch();
    // On the native tier, time the C kernels rather than the WebAssembly twins they replace.
    await nativeCompilesSettled();
    let best = Infinity;
    const deadline = performance.now() + seconds * 1000;
    for (let epochs = 0; epochs < 2 || performance.now() < deadline; epochs++) {
      const t = performance.now();
      await epoch();
      best = Math.min(best, performance.now() - t);
    }
    return { samplesPerSecond: rows / (best / 1000), label: tier };
  } catch (e) {
    return { missing: `cannot run: ${(e instanceof Error ? e.message : String(e)).split('\n')[0].slice(0, 120)}` };
  } finally {
    session.clear();
    await breathe();
  }
}

const better = (a: Rate | undefined, b: Rate): Rate => {
  if (a === undefined || !('samplesPerSecond' in a)) return b;
  if (!('samplesPerSecond' in b)) return a;
  return b.samplesPerSecond > a.samplesPerSecond ? b : a;
};

export async function benchNativePeers(seconds = 2, cases: readonly NativeCase[] = NATIVE_CASES, log: (line: string) => void = () => {}): Promise<NativeRow[]> {
  const missing = new Map<NativePeer, string | undefined>(NATIVE_PEERS.map((p) => [p, whyMissing(p)]));
  const rows: NativeRow[] = [];
  for (const c of cases) {
    let ours: Rate | undefined;
    const peers: Partial<Record<NativePeer, Rate>> = {};
    for (let round = 0; round < ROUNDS; round++) {
      ours = better(ours, await runOurs(c, seconds));
      for (const p of NATIVE_PEERS) {
        const why = missing.get(p);
        peers[p] = why !== undefined ? { missing: why } : better(peers[p], runPeer(p, c, seconds));
      }
    }
    const row: NativeRow = { model: c.model, batch: c.batch, task: c.task ?? 'train', ours: ours as Rate, peers: peers as Record<NativePeer, Rate> };
    const show = (r: Rate) => ('samplesPerSecond' in r ? `${r.samplesPerSecond.toFixed(0)} samples/s` : r.missing);
    log(`  ${c.model} ${row.task} batch ${c.batch}: keras-jit ${show(row.ours)}; ${NATIVE_PEERS.map((p) => `${p} ${show(row.peers[p])}`).join('; ')}`);
    rows.push(row);
  }
  return rows;
}

/** keras-jit's samples/s over the peer's, or why there is no ratio. */
export function nativeRatio(ours: Rate, theirs: Rate): string {
  if (!('samplesPerSecond' in theirs)) return `peer missing: ${theirs.missing}`;
  if (!('samplesPerSecond' in ours)) return ours.missing;
  const r = ours.samplesPerSecond / theirs.samplesPerSecond;
  return `${r >= 10 ? r.toFixed(0) : r.toFixed(2)}x`;
}
