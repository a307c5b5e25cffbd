/**
 * Weight and activity regularizers and weight constraints against real Keras 3
 * (tests/fixtures/regularizers.py writes regularizers.json): the same Dense, Embedding, Conv2D
 * and recurrent (LSTM, SimpleRNN, GRU, cells in RNN, Bidirectional) models from the same weights, SGD over several epochs of two batches; model.losses
 * before training, the logged loss (regularization included) and every weight after each epoch.
 */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Input, Sequential, backend, constraints, layers, optimizers, regularizers, tensor } from '../src/index.js';
import { Callback } from '../src/api/callbacks.js';
import type { Logs } from '../src/api/callbacks.js';

interface ModelJson {
  readonly x: number[]; readonly xShape: number[]; readonly y: number[]; readonly yShape: number[];
  readonly initial: number[][]; readonly shapes: number[][];
  readonly lossesBefore: number[]; readonly loss: number[]; readonly weights: number[][][];
}
// Compiled to dist/tests/, the fixture stays in tests/fixtures/.
const fixture = JSON.parse(readFileSync(new URL('../../tests/fixtures/regularizers.json', import.meta.url), 'utf8')) as { keras: string; models: Record<string, ModelJson> };

const { Dense, Embedding, Flatten, Conv2D, LSTM, GRU, SimpleRNN, RNN, LSTMCell, GRUCell, Bidirectional } = layers;
const R = regularizers, C = constraints;

/** The fixture's models, layer for layer. */
const builders: Record<string, () => Sequential> = {
  dense: () => new Sequential([
    Input({ shape: [3] }),
    new Dense(4, { activation: 'tanh', kernelRegularizer: R.l1L2({ l1: 0.01, l2: 0.02 }), biasRegularizer: R.l2(0.05), activityRegularizer: R.l1(0.01), kernelConstraint: C.maxNorm(0.6), biasConstraint: C.nonNeg() }),
    new Dense(2, { kernelRegularizer: R.orthogonal({ factor: 0.1, mode: 'columns' }), kernelConstraint: C.unitNorm(0), biasRegularizer: R.l1(0.02) }),
  ]),
  embedding: () => new Sequential([
    Input({ shape: [2], dtype: 'int32' }),
    new Embedding(5, 3, { embeddingsRegularizer: R.l2(0.03), embeddingsConstraint: C.minMaxNorm({ minValue: 0.5, maxValue: 0.8, rate: 0.5, axis: 1 }) }),
    new Flatten(),
    new Dense(1, { kernelRegularizer: R.orthogonal({ factor: 0.2, mode: 'rows' }), activityRegularizer: R.l2(0.1) }),
  ]),
  conv: () => new Sequential([
    Input({ shape: [4, 4, 1] }),
    new Conv2D(2, 2, { kernelRegularizer: R.l1(0.01), biasRegularizer: 'l2', kernelConstraint: C.maxNorm(0.5, [0, 1, 2]) }),
    new Flatten(),
    new Dense(1, { kernelConstraint: 'non_neg' }),
  ]),
  recurrent: () => new Sequential([
    Input({ shape: [3, 2] }),
    new LSTM(3, {
      returnSequences: true, kernelRegularizer: R.l1L2({ l1: 0.01, l2: 0.02 }), recurrentRegularizer: R.l2(0.03), biasRegularizer: R.l2(0.02),
      activityRegularizer: R.l2(0.05), kernelConstraint: C.maxNorm(0.6), recurrentConstraint: C.unitNorm(0), biasConstraint: C.nonNeg(),
    }),
    new SimpleRNN(2, { returnSequences: true, kernelRegularizer: 'l1', recurrentRegularizer: R.l2(0.02), recurrentConstraint: 'non_neg', biasConstraint: C.maxNorm(0.3) }),
    new GRU(2, {
      kernelRegularizer: R.l2(0.02), recurrentRegularizer: R.l1L2({ l1: 0.01, l2: 0.01 }), biasRegularizer: R.l2(0.04),
      kernelConstraint: C.minMaxNorm({ minValue: 0.2, maxValue: 0.5, rate: 0.5 }), recurrentConstraint: C.maxNorm(0.5), biasConstraint: C.nonNeg(),
    }),
  ]),
  cells: () => new Sequential([
    Input({ shape: [3, 2] }),
    new RNN(new LSTMCell(2, { kernelRegularizer: R.l2(0.02), recurrentRegularizer: R.l1(0.01), biasRegularizer: R.l2(0.03), recurrentConstraint: C.maxNorm(0.4), biasConstraint: C.nonNeg() }) as unknown as layers.RNNCell, { returnSequences: true }),
    new Bidirectional(new GRU(2, { resetAfter: false, returnSequences: true, kernelRegularizer: R.l1(0.02), biasRegularizer: R.l2(0.05), kernelConstraint: C.unitNorm(0) })),
    new RNN(new GRUCell(2, { kernelConstraint: C.maxNorm(0.5), recurrentRegularizer: R.l2(0.02), biasConstraint: C.nonNeg() }) as unknown as layers.RNNCell),
  ]),
};

const worst = new Map<string, number>();
function compare(name: string, actual: ArrayLike<number>, expected: readonly number[], tol: number, what: string): void {
  assert.is(actual.length, expected.length, `${name} ${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i]));
    worst.set(name, Math.max(worst.get(name) ?? 0, err));
    if (!(err <= tol)) assert.unreachable(`${name} ${what}[${i}]: got ${actual[i]}, Keras ${expected[i]}`);
  }
}

for (const [name, m] of Object.entries(fixture.models)) {
  test(`${name}: regularizers and constraints match Keras ${fixture.keras} epoch by epoch`, async () => {
    backend.clearSession();
    const model = builders[name]();
    model.setWeights(m.initial.map((w, i) => tensor(new Float32Array(w), m.shapes[i])));
    model.compile({ optimizer: new optimizers.SGD({ learningRate: 0.1 }), loss: 'mse' });
    compare(name, model.losses.map((l) => Number(l.data[0])), m.lossesBefore, 1e-5, 'model.losses');
    const seen: number[][][] = [];
    const logged: number[] = [];
    class Record extends Callback {
      override onEpochEnd(_epoch: number, logs: Logs = {}): void {
        seen.push(model.getWeights().map((w) => Array.from(w.data, Number)));
        logged.push(logs.loss);
      }
    }
    const x = tensor(name === 'embedding' ? new Int32Array(m.x) : new Float32Array(m.x), m.xShape);
    const y = tensor(new Float32Array(m.y), m.yShape);
    await model.fit(x, y, { epochs: m.weights.length, batchSize: 4, shuffle: false, verbose: 0, callbacks: [new Record()] });
    compare(name, logged, m.loss, 2e-5, 'logged loss');
    m.weights.forEach((ws, epoch) => ws.forEach((w, k) => compare(name, seen[epoch][k], w, 2e-5, `weight ${k} after epoch ${epoch + 1}`)));
  });
}

test('bad regularizer and constraint names say what is valid', () => {
  assert.throws(() => new Dense(2, { kernelRegularizer: 'l3' }), /regularizer identifier: 'l3'. Valid names: .*'l1'/);
  assert.throws(() => new Dense(2, { kernelConstraint: 'maxnorm' }), /constraint identifier: 'maxnorm'. Valid names: .*'max_norm'/);
  assert.throws(() => new optimizers.Adam({ beta_1: 0.8 } as never), /argument not recognized: 'beta_1'. Did you mean 'beta1'\?/);
  assert.throws(() => new optimizers.schedules.ExponentialDecay({ initialLearningRate: 0.1, decaySteps: 0, decayRate: 0.5 }), /decaySteps` must be > 0/);
  assert.throws(() => { new optimizers.SGD({ learningRate: new optimizers.schedules.CosineDecay({ initialLearningRate: 0.1, decaySteps: 5 }) }).learningRate = 0.5; }, /not settable/);
});

test.after(() => {
  if (process.env.KERAS_JIT_REPORT_DIFFS) for (const [name, err] of worst) console.log(`${name}\t${err.toExponential(2)}`);
});

test.run();
