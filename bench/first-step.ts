/**
 * Time to the first training step of mnist_mlp, compile included, from cold processes: each
 * measurement is a fresh `node first-step-child.js` (kernels and V8's optimised code are per
 * process, so only a new process shows what a user waits for). Several runs, the median kept.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { ColdStart } from './first-step-child.js';
import { median } from './measure.js';

const run = promisify(execFile);

export type ColdTrainer = 'keras-jit' | 'keras-jit, JS tier' | 'jax-js';

export interface FirstStepRow {
  readonly trainer: ColdTrainer;
  readonly firstStepMs: number;
  readonly firstEpochMs: number;
  readonly steps: number;
  readonly batch: number;
  readonly runs: number;
}

async function once(trainer: ColdTrainer): Promise<ColdStart> {
  const script = fileURLToPath(new URL('./first-step-child.js', import.meta.url));
  const env = { ...process.env };
  if (trainer === 'keras-jit, JS tier') env.KERAS_JIT_BACKEND = 'js';
  else delete env.KERAS_JIT_BACKEND;
  const { stdout } = await run(process.execPath, [script, trainer === 'jax-js' ? 'jax-js' : 'keras-jit'], { env, timeout: 120_000 });
  return JSON.parse(stdout.trim().split('\n').pop() ?? '') as ColdStart;
}

export async function benchFirstStep(runs = 3): Promise<FirstStepRow[]> {
  const trainers: ColdTrainer[] = ['keras-jit', 'keras-jit, JS tier', 'jax-js'];
  const results = new Map<ColdTrainer, ColdStart[]>(trainers.map((t) => [t, []]));
  // Interleaved, so a burst of load on the shared machine hits every trainer alike.
  for (let r = 0; r < runs; r++) for (const t of trainers) results.get(t)?.push(await once(t));
  return trainers.map((trainer) => {
    const all = results.get(trainer) ?? [];
    return {
      trainer, runs: all.length, steps: all[0].steps, batch: all[0].batch,
      firstStepMs: median(all.map((c) => c.firstStepMs)), firstEpochMs: median(all.map((c) => c.firstEpochMs)),
    };
  });
}
