/**
 * Optimizers, weight decay, amsgrad, EMA, gradient accumulation, clipping and learning-rate
 * schedules against real Keras 3 (tests/fixtures/optimizers.py writes optimizers.json): the
 * same Dense weights and data, fit() for several epochs of two batches, the weights and the
 * optimizer's learning rate compared after every epoch, and the weights after fit() (EMA's
 * final overwrite).
 */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { setSession } from '../src/api/backend.js';
import { Callback } from '../src/api/callbacks.js';
import * as optimizers from '../src/api/optimizers.js';
import * as schedules from '../src/api/schedules.js';
import { tensor } from '../src/api/tensor.js';
import { compileModel, fitModel } from '../src/api/training/index.js';
import { Session } from '../src/runtime/session.js';
import { TinyDense } from './support/tiny-model.js';

interface ScheduleJson { readonly schedule: keyof typeof scheduleClasses; readonly options: Record<string, unknown> }
interface CaseJson {
  readonly optimizer: keyof typeof optimizerClasses;
  readonly options: Record<string, unknown>;
  readonly excludeVarNames: string[] | null;
  readonly weights: number[][];
  readonly learningRates: number[];
  readonly final: number[];
}
interface FixtureJson {
  readonly keras: string;
  readonly x: number[]; readonly y: number[]; readonly kernel: number[]; readonly bias: number[];
  readonly n: number; readonly inputs: number; readonly units: number;
  readonly cases: Record<string, CaseJson>;
}

// Compiled to dist/tests/, the fixture stays in tests/fixtures/.
const fixture = JSON.parse(readFileSync(new URL('../../tests/fixtures/optimizers.json', import.meta.url), 'utf8')) as FixtureJson;

const optimizerClasses = {
  SGD: optimizers.SGD, Adam: optimizers.Adam, RMSprop: optimizers.RMSprop, AdamW: optimizers.AdamW,
  Nadam: optimizers.Nadam, Adamax: optimizers.Adamax, Lion: optimizers.Lion, Ftrl: optimizers.Ftrl,
} as const;
const scheduleClasses = {
  ExponentialDecay: schedules.ExponentialDecay, PiecewiseConstantDecay: schedules.PiecewiseConstantDecay,
  PolynomialDecay: schedules.PolynomialDecay, InverseTimeDecay: schedules.InverseTimeDecay,
  CosineDecay: schedules.CosineDecay, CosineDecayRestarts: schedules.CosineDecayRestarts,
} as const;

function isSchedule(value: unknown): value is ScheduleJson {
  return typeof value === 'object' && value !== null && 'schedule' in value;
}

function makeOptimizer(c: CaseJson): optimizers.Optimizer {
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(c.options)) {
    options[key] = isSchedule(value) ? new (scheduleClasses[value.schedule] as new (o: unknown) => schedules.LearningRateSchedule)(value.options) : value;
  }
  const optimizer = new (optimizerClasses[c.optimizer] as new (o: unknown) => optimizers.Optimizer)(options);
  if (c.excludeVarNames !== null) optimizer.excludeFromWeightDecay({ varNames: c.excludeVarNames });
  return optimizer;
}

/** Worst relative difference (absolute below 1) per case, for the report. */
const worst = new Map<string, number>();

function compare(name: string, actual: ArrayLike<number>, expected: readonly number[], tol: number, what: string): void {
  assert.is(actual.length, expected.length, `${name} ${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i]));
    worst.set(name, Math.max(worst.get(name) ?? 0, err));
    if (!(err <= tol)) assert.unreachable(`${name} ${what}[${i}]: got ${actual[i]}, Keras ${expected[i]}`);
  }
}

class Recorder extends Callback {
  readonly weights: number[][] = [];
  readonly rates: number[] = [];
  constructor(private readonly session: Session, private readonly dense: TinyDense, private readonly optimizer: optimizers.Optimizer) {
    super();
  }
  override onEpochEnd(): void {
    this.weights.push([...this.session.read(this.dense.kernel), ...this.session.read(this.dense.bias)]);
    this.rates.push(this.optimizer.learningRate);
  }
}

for (const [name, c] of Object.entries(fixture.cases)) {
  test(`${name} (${c.optimizer}) matches Keras ${fixture.keras} epoch by epoch`, async () => {
    const session = new Session({ seed: 1 });
    setSession(session);
    const model = new TinyDense(session, { inputs: fixture.inputs, units: fixture.units, kernel: fixture.kernel, bias: fixture.bias });
    const optimizer = makeOptimizer(c);
    compileModel(model, { optimizer, loss: 'mse' });
    const x = tensor(new Float32Array(fixture.x), [fixture.n, fixture.inputs]);
    const y = tensor(new Float32Array(fixture.y), [fixture.n, fixture.units]);
    const recorder = new Recorder(session, model, optimizer);
    await fitModel(model, x, y, { epochs: c.weights.length, batchSize: 4, shuffle: false, verbose: 0, callbacks: [recorder] });
    // Lion moves by lr * sign(.), so float32 rounding of a near-zero argument could flip a step; it did not here.
    c.weights.forEach((w, epoch) => compare(name, recorder.weights[epoch], w, 2e-5, `weights after epoch ${epoch + 1}`));
    compare(name, recorder.rates, c.learningRates, 1e-6, 'learning rates');
    compare(name, [...session.read(model.kernel), ...session.read(model.bias)], c.final, 2e-5, 'weights after fit()');
    assert.ok(Math.abs(c.final[0] - fixture.kernel[0]) > 1e-3, `${name}: the fixture's weights did not move`);
  });
}

test.after(() => {
  if (process.env.KERAS_JIT_REPORT_DIFFS) for (const [name, err] of worst) console.log(`${name}\t${err.toExponential(2)}`);
});

test.run();
