/**
 * Training throughput of the four example models on keras-jit and its peers, in one process and
 * one run so that the ratios share the machine's load. Each trainer: an untimed warm-up epoch of
 * one step (keras-jit compiles there) and a second one to time a step, then epochs sized from
 * that step to take about half a second (at least one step, at most the batches prepared), timed by Benchmark.js for
 * `maxTime` seconds with at least two samples. A trainer that cannot train a model (a missing
 * kernel) is reported with its error instead of failing the run.
 */
import { threadCount } from '../src/runtime/threads/config.js';
import { breathe, secondsPerCall, since } from './measure.js';
import { inTrainerEnv, jaxTrainer, kerasJitTrainer, MODELS, tfTrainer, type ModelId, type Trainer } from './models.js';

export interface TrainingRow {
  readonly trainer: Trainer;
  /** Samples per second, or why it could not run. */
  readonly result: { readonly samplesPerSecond: number; readonly steps: number; readonly samples: number; readonly rme: number } | { readonly error: string };
}

const EPOCH_TARGET_MS = 500;
const CALIBRATE_BELOW_MS = 5000;

export function trainers(): Trainer[] {
  const threads = threadCount();
  const plural = (n: number) => `${n} thread${n === 1 ? '' : 's'}`;
  const ours = (id: ModelId) => kerasJitTrainer(id, { tier: 'wasm', label: `keras-jit, wasm tier, ${plural(threads)}` });
  const list: Trainer[] = [];
  for (const id of Object.keys(MODELS) as ModelId[]) {
    list.push(ours(id));
    if (id === 'mnist_mlp') {
      if (threads > 1) list.push(kerasJitTrainer(id, { tier: 'wasm', threads: 1, label: 'keras-jit, wasm tier, 1 thread' }));
      list.push(kerasJitTrainer(id, { tier: 'js', threads: 1, label: 'keras-jit, JS tier' }));
      list.push(jaxTrainer());
    }
    list.push(tfTrainer(id, 'cpu'), tfTrainer(id, 'wasm'));
  }
  return list;
}

/** The first line of an error, without TensorFlow.js's stack. */
function reason(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0].slice(0, 160);
}

export async function measureTrainer(trainer: Trainer, maxTime: number): Promise<TrainingRow> {
  return inTrainerEnv(trainer, async () => {
    let prepared;
    try {
      prepared = await trainer.prepare();
      const warm = performance.now();
      await prepared.epoch(1);
      let stepMs = since(warm);
      // The warm-up includes compiling, so it says little about a step unless the step is slow
      // anyway: time one more step, except for trainers whose step alone takes seconds.
      if (stepMs < CALIBRATE_BELOW_MS) {
        const again = performance.now();
        await prepared.epoch(1);
        stepMs = since(again);
      }
      const steps = Math.max(1, Math.min(prepared.maxSteps, Math.floor(EPOCH_TARGET_MS / stepMs)));
      const p = prepared;
      const timing = await secondsPerCall(() => p.epoch(steps), maxTime);
      return { trainer, result: { samplesPerSecond: (steps * trainer.batch) / timing.mean, steps, samples: timing.samples, rme: timing.rme } };
    } catch (e) {
      return { trainer, result: { error: reason(e) } };
    } finally {
      prepared?.dispose();
      await breathe();
    }
  });
}

export async function benchTraining(maxTime = 3, log: (line: string) => void = () => {}): Promise<TrainingRow[]> {
  const rows: TrainingRow[] = [];
  for (const t of trainers()) {
    const row = await measureTrainer(t, maxTime);
    const r = row.result;
    log(`  ${t.model} ${t.label}: ${'error' in r ? `cannot run (${r.error})` : `${r.samplesPerSecond.toFixed(1)} samples/s`}`);
    rows.push(row);
  }
  return rows;
}
