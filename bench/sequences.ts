/**
 * Training samples/s of the sequence models (bench/sequences-model.ts) on keras-jit and its peers,
 * every trainer in a fresh process of its own: keras-jit and TensorFlow.js cpu through
 * sequences-child.js, Keras 3 on JAX and PyTorch through peers/sequences.py in the venv. Rounds
 * are interleaved (each round runs every trainer once) so a burst of load on the shared machine
 * hits all alike; each trainer keeps its best round. A peer that cannot run (no venv, no torch)
 * is reported with why, never as a number. A TensorFlow.js trainer whose first step does not end
 * within its time limit (its cpu backend's embedding gradient, unsortedSegmentSum, loops over every
 * row of the 20000-row vocabulary) is reported as a bound: at most one batch in the time that step ran.
 */
import { execFile } from 'node:child_process';
import { benchPython } from './native-peers.js';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { SEQ_BATCH, type SequenceModelId } from './sequences-model.js';

const run = promisify(execFile);

export const SEQUENCE_MODELS: readonly SequenceModelId[] = ['imdb_lstm', 'imdb_gru', 'text_transformer'];
export type SequenceTrainer = 'keras-jit' | 'Keras 3 / JAX' | 'PyTorch' | 'TF.js cpu';
export const SEQUENCE_TRAINERS: readonly SequenceTrainer[] = ['keras-jit', 'Keras 3 / JAX', 'PyTorch', 'TF.js cpu'];


export interface SequenceRow {
  readonly model: SequenceModelId;
  readonly trainer: SequenceTrainer;
  readonly result: { readonly samplesPerSecond: number; readonly rounds: number } | { readonly error: string } | SequenceBound;
}

/** A trainer stopped inside its first step: it trains at most `samplesPerSecond`. */
export interface SequenceBound { readonly atMostSamplesPerSecond: number; readonly stepSeconds: number }
type Once = { samplesPerSecond: number } | { error: string } | SequenceBound;

/** TensorFlow.js's time limit per run: long enough for a step of its LSTM on an idle machine, a bound otherwise. */
const TFJS_LIMIT_MS = 240_000;
const LIMIT_MS = 600_000;

/** The bound a stopped child's output gives: its first step began at firstStepAtMs and had not ended at the limit. */
function boundOf(stdout: string, limitMs: number): SequenceBound | undefined {
  const started = stdout.split('\n').map((line) => {
    try { return (JSON.parse(line) as { firstStepAtMs?: number }).firstStepAtMs; } catch { return undefined; }
  }).find((v) => typeof v === 'number');
  if (started === undefined || started >= limitMs) return undefined;
  const stepSeconds = (limitMs - started) / 1000;
  return { atMostSamplesPerSecond: SEQ_BATCH / stepSeconds, stepSeconds };
}

async function once(trainer: SequenceTrainer, model: SequenceModelId, seconds: number): Promise<Once> {
  const node = (framework: string) => [process.execPath, [fileURLToPath(new URL('./sequences-child.js', import.meta.url)), framework, model, String(seconds)]] as const;
  const python = (framework: string) => [benchPython(), [fileURLToPath(new URL('../../bench/peers/sequences.py', import.meta.url)), framework, model, String(seconds)]] as const;
  const [command, args] = trainer === 'keras-jit' ? node('keras-jit') : trainer === 'TF.js cpu' ? node('tfjs-cpu')
    : python(trainer === 'PyTorch' ? 'torch' : 'keras-jax');
  const limitMs = trainer === 'TF.js cpu' ? TFJS_LIMIT_MS : LIMIT_MS;
  try {
    const { stdout } = await run(command, args, { env: { ...process.env, KERAS_BACKEND: 'jax' }, timeout: limitMs, maxBuffer: 1 << 24 });
    return JSON.parse(stdout.trim().split('\n').pop() ?? '') as Once;
  } catch (e) {
    const stopped = e as { killed?: boolean; stdout?: string };
    const bound = stopped.killed === true && typeof stopped.stdout === 'string' ? boundOf(stopped.stdout, limitMs) : undefined;
    return bound ?? { error: (e instanceof Error ? e.message : String(e)).split('\n')[0].slice(0, 160) };
  }
}

/** Every model on every trainer, `rounds` interleaved rounds, each run training for `seconds`. */
export async function benchSequences(rounds = 2, seconds = 5, log: (line: string) => void = () => {}): Promise<SequenceRow[]> {
  const best = new Map<string, Once[]>();
  for (let r = 0; r < rounds; r++) {
    for (const model of SEQUENCE_MODELS) {
      for (const trainer of SEQUENCE_TRAINERS) {
        // TensorFlow.js takes seconds a step: one round of it is enough.
        if (trainer === 'TF.js cpu' && r > 0) continue;
        const o = await once(trainer, model, seconds);
        log(`  ${model} ${trainer} round ${r + 1}: ${'error' in o ? `cannot run (${o.error})` : 'atMostSamplesPerSecond' in o ? `first step unfinished after ${o.stepSeconds.toFixed(0)} s` : `${o.samplesPerSecond.toFixed(1)} samples/s`}`);
        best.set(`${model}/${trainer}`, [...(best.get(`${model}/${trainer}`) ?? []), o]);
      }
    }
  }
  return SEQUENCE_MODELS.flatMap((model) => SEQUENCE_TRAINERS.map((trainer): SequenceRow => {
    const all = best.get(`${model}/${trainer}`) ?? [];
    const ok = all.filter((o): o is { samplesPerSecond: number } => 'samplesPerSecond' in o);
    const bound = all.find((o): o is SequenceBound => 'atMostSamplesPerSecond' in o);
    if (ok.length === 0 && bound !== undefined) return { model, trainer, result: bound };
    if (ok.length === 0) return { model, trainer, result: { error: all.map((o) => ('error' in o ? o.error : '')).find((e) => e !== '') ?? 'not run' } };
    return { model, trainer, result: { samplesPerSecond: Math.max(...ok.map((o) => o.samplesPerSecond)), rounds: ok.length } };
  }));
}
