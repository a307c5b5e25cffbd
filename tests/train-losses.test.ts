/**
 * Losses against TensorFlow.js (cpu backend) on the same values: per-sample values and the
 * batch reduction, with probabilities and with logits, plus identifiers and stability.
 */
import * as tf from '@tensorflow/tfjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as b from '../src/ir/build.js';
import * as losses from '../src/api/losses.js';
import { tensor } from '../src/api/tensor.js';

await tf.setBackend('cpu');

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-5, what = ''): void {
  assert.is(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    if (!(err <= tol * Math.max(1, Math.abs(expected[i])))) {
      assert.unreachable(`${what}[${i}]: got ${actual[i]}, expected ${expected[i]} (error ${err})`);
    }
  }
}

const rows = (t: number[][]) => tensor(t);
const tfData = (t: tf.Tensor) => Array.from(t.dataSync());

// Probabilities (rows sum to 1) and one-hot labels.
const probs = [[0.1, 0.7, 0.2], [0.3, 0.3, 0.4], [0.98, 0.01, 0.01], [1e-9, 1 - 2e-9, 1e-9]];
const onehot = [[0, 1, 0], [1, 0, 0], [0, 0, 1], [1, 0, 0]];
const labels = [1, 0, 2, 0];
const logits = [[2.0, -1.0, 0.5], [100.0, -100.0, 3.0], [-50.0, 20.0, 19.5], [0.0, 0.0, 0.0]];

test('mean_squared_error and mean_absolute_error match TF.js per sample', () => {
  const yt = [[1, 2, 3], [0, -1, 4]], yp = [[1.5, 1, 2], [0.25, -3, 5]];
  close(losses.meanSquaredError(rows(yt), rows(yp)).data, tfData(tf.metrics.meanSquaredError(tf.tensor2d(yt), tf.tensor2d(yp))), 1e-6, 'mse');
  close(losses.meanAbsoluteError(rows(yt), rows(yp)).data, tfData(tf.metrics.meanAbsoluteError(tf.tensor2d(yt), tf.tensor2d(yp))), 1e-6, 'mae');
});

test('categorical_crossentropy from probabilities matches TF.js (clipped at 1e-7)', () => {
  const mine = losses.categoricalCrossentropy(rows(onehot), rows(probs));
  close(mine.data, tfData(tf.metrics.categoricalCrossentropy(tf.tensor2d(onehot), tf.tensor2d(probs))), 1e-5, 'cce');
  assert.is(mine.shape.join(), '4');
});

test('categorical_crossentropy renormalises predictions that do not sum to 1, as Keras', () => {
  const p = [[0.2, 1.4, 0.4]];
  close(losses.categoricalCrossentropy(rows([[0, 1, 0]]), rows(p)).data, [-Math.log(0.7)], 1e-6, 'renormalised');
});

test('categorical_crossentropy from logits matches TF.js softmaxCrossEntropy and is stable', () => {
  const mine = losses.categoricalCrossentropy(rows(onehot), rows(logits), { fromLogits: true });
  const ref = tf.losses.softmaxCrossEntropy(tf.tensor2d(onehot), tf.tensor2d(logits), undefined, undefined, tf.Reduction.NONE);
  close(mine.data, tfData(ref), 1e-5, 'cce logits');
  for (const v of mine.data) assert.ok(Number.isFinite(v));
});

test('sparse_categorical_crossentropy matches categorical on one-hot labels (TF.js), labels (N,) and (N, 1)', () => {
  const ref = tfData(tf.metrics.categoricalCrossentropy(tf.tensor2d(onehot), tf.tensor2d(probs)));
  close(losses.sparseCategoricalCrossentropy(tensor(labels), rows(probs)).data, ref, 1e-5, 'sparse (N,)');
  close(losses.sparseCategoricalCrossentropy(tensor(labels.map((l) => [l])), rows(probs)).data, ref, 1e-5, 'sparse (N,1)');
  const int = tensor(new Int32Array(labels), [4], 'int32');
  close(losses.sparseCategoricalCrossentropy(int, rows(probs)).data, ref, 1e-5, 'sparse int32');
});

test('sparse_categorical_crossentropy from logits matches TF.js', () => {
  const ref = tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(labels, 'int32'), 3), tf.tensor2d(logits), undefined, undefined, tf.Reduction.NONE);
  close(losses.sparseCategoricalCrossentropy(tensor(labels), rows(logits), { fromLogits: true }).data, tfData(ref), 1e-5, 'sparse logits');
});

test('binary_crossentropy from probabilities matches TF.js, with Keras clipping', () => {
  const yt = [[1], [0], [1], [0], [1]];
  // (A prediction of exactly 1 clips to 1 - 1e-7, whose complement depends on float32 rounding
  // of the constant: compiled kernels match TF.js there, the float64 interpreter does not.)
  const yp = [[0.9], [0.2], [0.0], [0.999], [0.5]];
  close(losses.binaryCrossentropy(rows(yt), rows(yp)).data, tfData(tf.metrics.binaryCrossentropy(tf.tensor2d(yt), tf.tensor2d(yp))), 1e-4, 'bce');
  // Clipped at 1e-7: -log(1e-7) for a confident wrong prediction.
  close(losses.binaryCrossentropy(rows([[1]]), rows([[0]])).data, [-Math.log(1e-7)], 1e-5, 'bce clip');
});

test('binary_crossentropy from logits matches TF.js sigmoidCrossEntropy, stable at large logits', () => {
  const yt = [[1, 0], [0, 1], [1, 1]];
  const x = [[3.0, -2.0], [200.0, -200.0], [-0.5, 0.25]];
  const ref = tf.mean(tf.losses.sigmoidCrossEntropy(tf.tensor2d(yt), tf.tensor2d(x), undefined, undefined, tf.Reduction.NONE), -1);
  const mine = losses.binaryCrossentropy(rows(yt), rows(x), { fromLogits: true });
  close(mine.data, tfData(ref), 1e-5, 'bce logits');
  for (const v of mine.data) assert.ok(Number.isFinite(v));
});

test('binary labels of shape (N,) meet predictions of shape (N, 1)', () => {
  const a = losses.binaryCrossentropy(tensor([1, 0]), rows([[0.8], [0.3]]));
  const c = losses.binaryCrossentropy(rows([[1], [0]]), rows([[0.8], [0.3]]));
  close(a.data, c.data, 1e-7, 'rank match');
  close(losses.meanSquaredError(tensor([1, 0]), rows([[0.5], [0.5]])).data, [0.25, 0.25], 1e-7, 'mse rank');
});

test('label smoothing matches TF.js', () => {
  const ref = tf.losses.softmaxCrossEntropy(tf.tensor2d(onehot), tf.tensor2d(logits), undefined, 0.1, tf.Reduction.NONE);
  close(losses.categoricalCrossentropy(rows(onehot), rows(logits), { fromLogits: true, labelSmoothing: 0.1 }).data, tfData(ref), 1e-5, 'smoothing');
});

test('Loss objects reduce by the mean over the batch (sum_over_batch_size)', () => {
  const perSample = tfData(tf.metrics.categoricalCrossentropy(tf.tensor2d(onehot), tf.tensor2d(probs)));
  const mean = perSample.reduce((a, v) => a + v, 0) / perSample.length;
  close([new losses.CategoricalCrossentropy().compute(tensor(onehot), tensor(probs))], [mean], 1e-5, 'reduction');
  const yt = [[[1, 2], [3, 4]]], yp = [[[0, 0], [0, 0]]];
  // Per-sample values of shape (1, 2) are averaged over every element.
  close([new losses.MeanSquaredError().compute(tensor(yt), tensor(yp))], [(2.5 + 12.5) / 2], 1e-6, 'rank 3');
});

test('losses on graph nodes build graph values', () => {
  const t = b.input('t', [4, 3]), p = b.input('p', [4, 3]);
  const out = losses.categoricalCrossentropy(t, p);
  assert.equal([...out.shape], [4]);
  assert.is(out.dtype, 'float32');
});

test('identifiers: snake_case, camelCase, aliases; unknown names list valid ones', () => {
  for (const name of ['mse', 'mean_squared_error', 'meanSquaredError', 'MeanSquaredError']) assert.is(losses.getLoss(name).name, 'mean_squared_error');
  assert.is(losses.getLoss('mae').name, 'mean_absolute_error');
  assert.is(losses.getLoss('categoricalCrossentropy').name, 'categorical_crossentropy');
  assert.is(losses.getLoss('sparse_categorical_crossentropy').name, 'sparse_categorical_crossentropy');
  assert.is(losses.getLoss('binaryCrossentropy').name, 'binary_crossentropy');
  assert.throws(() => losses.getLoss('categorical_cross_entropy'), (e: Error) => /Unknown loss 'categorical_cross_entropy'/.test(e.message) && /'mean_squared_error'/.test(e.message) && /'binaryCrossentropy'/.test(e.message));
  const myLoss: losses.LossFunction = (t, p) => b.abs(b.subtract(p, t));
  assert.is(losses.getLoss(myLoss).name, 'myLoss', 'a custom function is named after itself');
});

test('mismatched label and prediction shapes are reported with both shapes', () => {
  assert.throws(() => losses.categoricalCrossentropy(rows([[0, 1]]), rows([[0.2, 0.5, 0.3]])), /\(1, 2\).*\(1, 3\)/);
});

test.run();

