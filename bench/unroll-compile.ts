/**
 * What `unroll: true` costs to compile (docs/ARCHITECTURE.md, "Recurrence as a scan"): the cold
 * first training step (building, compiling the whole step, running it once) and a warm step of
 * Input(steps × 32), LSTM(128), Dense(1) with Adam at batch 32, scanned and unrolled. Each
 * measurement runs in a fresh process (a process that compiled once finds its kernels cached),
 * the configurations interleaved and repeated, so load drifts hit them alike.
 *
 *   node dist/bench/unroll-compile.js [steps...]        (default: 10 200)
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { backend, Sequential, Session, layers, optimizers, tensor } from '../src/index.js';
import { since } from './measure.js';

const BATCH = 32, FEATURES = 32, UNITS = 128, REPEATS = 3;

async function child(steps: number, unroll: boolean): Promise<void> {
  const x = tensor(Float32Array.from({ length: BATCH * steps * FEATURES }, (_, i) => Math.sin(i)), [BATCH, steps, FEATURES]);
  const y = tensor(Float32Array.from({ length: BATCH }, (_, i) => Math.cos(i)), [BATCH, 1]);
  const start = performance.now();
  backend.setSession(new Session({ seed: 1 }));
  const model = new Sequential([new layers.LSTM(UNITS, { unroll, inputShape: [steps, FEATURES] }), new layers.Dense(1)]);
  model.compile({ optimizer: new optimizers.Adam(), loss: 'mse' });
  await model.trainOnBatch(x, y);
  const firstStepMs = since(start);
  const warm = performance.now();
  await model.trainOnBatch(x, y);
  console.log(JSON.stringify({ steps, unroll, firstStepMs, warmStepMs: since(warm) }));
}

function driver(stepsList: readonly number[]): void {
  const self = fileURLToPath(import.meta.url);
  const rows = new Map<string, Array<{ firstStepMs: number; warmStepMs: number }>>();
  for (let r = 0; r < REPEATS; r++) {
    for (const steps of stepsList) for (const unroll of [false, true]) {
      const out = execFileSync(process.execPath, [self, '--child', String(steps), String(unroll)], { encoding: 'utf8' });
      const m = JSON.parse(out.trim().split('\n').at(-1)!) as { firstStepMs: number; warmStepMs: number };
      const key = `${steps} steps, ${unroll ? 'unrolled' : 'scan'}`;
      rows.set(key, [...(rows.get(key) ?? []), m]);
    }
  }
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
  for (const [key, ms] of rows) {
    console.log(`${key}: cold first step ${median(ms.map((m) => m.firstStepMs)).toFixed(0)} ms, warm step ${median(ms.map((m) => m.warmStepMs)).toFixed(1)} ms (median of ${ms.length})`);
  }
}

const args = process.argv.slice(2);
if (args[0] === '--child') await child(Number(args[1]), args[2] === 'true');
else driver(args.length > 0 ? args.map(Number) : [10, 200]);
