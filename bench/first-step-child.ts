/**
 * One cold start, run in a fresh process by first-step.ts (a process that has compiled the model
 * once would find its kernels cached): builds mnist_mlp, trains its first batch and then the
 * rest of a first epoch, and prints the times as one JSON line. Modules are imported and the
 * digits loaded before the clock starts; the clock covers building the model, compiling it
 * (keras-jit: the whole training step; jax-js: its jit tracing and kernel compiles) and running.
 *
 *   node dist/bench/first-step-child.js keras-jit|jax-js
 */
import { backend, Sequential, Session, layers, optimizers, tensor } from '../src/index.js';
import { NUM_CLASSES, PIXELS, digits } from './data.js';
import { installNavigator, jaxMlp, loadJax } from './jaxjs.js';
import { since } from './measure.js';

export interface ColdStart {
  /** Building the model, compiling, and the first training step, in ms. */
  readonly firstStepMs: number;
  /** The same plus the remaining steps of the first epoch. */
  readonly firstEpochMs: number;
  readonly steps: number;
  readonly batch: number;
}

export const BATCH = 128;
export const STEPS = 10;

async function kerasJit(): Promise<ColdStart> {
  const data = digits(BATCH * STEPS);
  const first = tensor(data.x.subarray(0, BATCH * PIXELS), [BATCH, PIXELS]), firstY = tensor(data.y.subarray(0, BATCH * NUM_CLASSES), [BATCH, NUM_CLASSES]);
  const rest = tensor(data.x.subarray(BATCH * PIXELS), [BATCH * (STEPS - 1), PIXELS]), restY = tensor(data.y.subarray(BATCH * NUM_CLASSES), [BATCH * (STEPS - 1), NUM_CLASSES]);
  const start = performance.now();
  backend.setSession(new Session({ seed: 1 }));
  const model = new Sequential([
    new layers.Dense(512, { activation: 'relu', inputShape: [PIXELS] }), new layers.Dropout(0.2),
    new layers.Dense(512, { activation: 'relu' }), new layers.Dropout(0.2),
    new layers.Dense(NUM_CLASSES, { activation: 'softmax' }),
  ]);
  model.compile({ optimizer: new optimizers.RMSprop(), loss: 'categorical_crossentropy', metrics: ['accuracy'] });
  await model.fit(first, firstY, { batchSize: BATCH, epochs: 1, verbose: 0 });
  const firstStepMs = since(start);
  await model.fit(rest, restY, { batchSize: BATCH, epochs: 1, verbose: 0 });
  return { firstStepMs, firstEpochMs: since(start), steps: STEPS, batch: BATCH };
}

async function jaxJs(): Promise<ColdStart> {
  installNavigator();
  const data = digits(BATCH * STEPS);
  const jax = await loadJax();
  const start = performance.now();
  const mlp = jaxMlp(jax, data, BATCH);
  await mlp.epoch(1);
  const firstStepMs = since(start);
  // The remaining steps run the compiled step on the next batches; epoch(n) starts at batch 0,
  // which is the same work on other digits.
  await mlp.epoch(STEPS - 1);
  return { firstStepMs, firstEpochMs: since(start), steps: STEPS, batch: BATCH };
}

const which = process.argv[2];
if (which !== 'keras-jit' && which !== 'jax-js') throw new Error(`first-step-child: expected 'keras-jit' or 'jax-js', got ${JSON.stringify(which)}`);
const result = which === 'keras-jit' ? await kerasJit() : await jaxJs();
process.stdout.write(`${JSON.stringify(result)}\n`);
