/**
 * Programs specialised to a batch of one (the last partial batch of fit, evaluate or predict):
 * one-element row values of multi-stage reductions (the crossentropies' log-sum-exp) must be read
 * back from their registers as at any other batch size. Each loss is evaluated at batch 1 against
 * the same model at batch 3 and against TF.js on the predicted values; a step at batch 1 must
 * give the weights of a step at batch 2 on two copies of the sample (the same mean gradient).
 */
import * as tf from '@tensorflow/tfjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Sequential } from '../src/api/models/index.js';
import { Dense } from '../src/api/layers/index.js';
import { tensor, type Tensor } from '../src/api/tensor.js';

await tf.setBackend('cpu');

const x = [[0.5, -1, 2], [1.5, 0.25, -0.75], [-2, 1, 0.5]];
const sparse = [1, 3, 0];
const onehot = sparse.map((l) => [0, 1, 2, 3].map((c) => (c === l ? 1 : 0)));
const binary = [[1, 0, 1, 0], [0, 0, 1, 1], [1, 1, 0, 0]];

interface Case {
  readonly loss: string;
  readonly activation: 'softmax' | 'sigmoid' | 'linear';
  readonly y: number[] | number[][];
  readonly oracle: (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor;
}

const cases: Case[] = [
  { loss: 'sparse_categorical_crossentropy', activation: 'softmax', y: sparse, oracle: (t, p) => tf.metrics.categoricalCrossentropy(tf.oneHot(tf.cast(t, 'int32'), 4), p) },
  { loss: 'categorical_crossentropy', activation: 'softmax', y: onehot, oracle: (t, p) => tf.metrics.categoricalCrossentropy(t, p) },
  { loss: 'binary_crossentropy', activation: 'sigmoid', y: binary, oracle: (t, p) => tf.metrics.binaryCrossentropy(t, p) },
  { loss: 'mean_squared_error', activation: 'linear', y: binary, oracle: (t, p) => tf.metrics.meanSquaredError(t, p) },
];

function model(c: Case): Sequential {
  const m = new Sequential([new Dense(4, { inputShape: [3], activation: c.activation })]);
  m.compile({ optimizer: 'sgd', loss: c.loss });
  return m;
}

function lossOf(result: number | number[]): number {
  return Array.isArray(result) ? result[0] : result;
}

for (const c of cases) {
  test(`${c.loss}: evaluate at batch size 1 equals batch size 3 and TF.js`, () => {
    const m = model(c);
    const xs = tensor(x), ys = tensor(c.y);
    const atOne = lossOf(m.evaluate(xs, ys, { batchSize: 1, verbose: 0 }));
    const atThree = lossOf(m.evaluate(xs, ys, { batchSize: 3, verbose: 0 }));
    const predicted = m.predict(xs, { batchSize: 1, verbose: 0 }) as Tensor;
    const ref = tf.mean(c.oracle(tf.tensor(c.y), tf.tensor(Array.from(predicted.data), [3, 4]))).dataSync()[0];
    assert.ok(Math.abs(atOne - atThree) <= 1e-5 * Math.max(1, Math.abs(ref)), `batch 1 ${atOne} vs batch 3 ${atThree}`);
    assert.ok(Math.abs(atOne - ref) <= 1e-5 * Math.max(1, Math.abs(ref)), `batch 1 ${atOne} vs TF.js ${ref}`);
  });

  test(`${c.loss}: a training step at batch size 1 equals one at batch size 2 on two copies`, async () => {
    const one = model(c), two = model(c);
    const initial = one.getWeights().map((w) => Array.from(w.data));
    two.setWeights(one.getWeights());
    const y0 = (c.y as (number | number[])[])[0];
    await one.fit(tensor([x[0]]), tensor([y0] as number[] | number[][]), { batchSize: 1, epochs: 1, verbose: 0, shuffle: false });
    await two.fit(tensor([x[0], x[0]]), tensor([y0, y0] as number[] | number[][]), { batchSize: 2, epochs: 1, verbose: 0, shuffle: false });
    const a = one.getWeights(), b = two.getWeights();
    let change = 0;
    a.forEach((w, i) => w.data.forEach((v, j) => {
      assert.ok(Math.abs(v - b[i].data[j]) <= 1e-6, `weight ${i}[${j}]: ${v} vs ${b[i].data[j]}`);
      change = Math.max(change, Math.abs(v - initial[i][j]));
    }));
    assert.ok(change > 1e-4, 'the step moved the weights');
  });
}

test('dump traces a sparse crossentropy model with one class index per row, and compiles it at batch 1', () => {
  const m = model(cases[0]);
  assert.match(m.dump({ graph: 'evaluate', stage: 'ir', batchSize: 1 }), /f32\[1\] "y:dense(_\d+)?"/);
  assert.match(m.dump({ graph: 'train', stage: 'ir', batchSize: 5 }), /f32\[5\] "y:dense(_\d+)?"/);
  assert.match(m.dump({ graph: 'evaluate', stage: 'fused', batchSize: 1 }), /sum/);
});

test.run();
