/**
 * Metrics against TensorFlow.js per sample, and how 'accuracy' and other identifiers resolve.
 */
import * as tf from '@tensorflow/tfjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { evalEager } from '../src/api/eager.js';
import * as metrics from '../src/api/metrics.js';
import { tensor } from '../src/api/tensor.js';

await tf.setBackend('cpu');

const probs = [[0.1, 0.7, 0.2], [0.5, 0.3, 0.2], [0.2, 0.2, 0.6], [0.3, 0.4, 0.3], [0.4, 0.4, 0.2]];
const onehot = [[0, 1, 0], [1, 0, 0], [0, 0, 1], [1, 0, 0], [0, 1, 0]];
const labels = [1, 0, 2, 0, 1];
const arr = (t: tf.Tensor) => Array.from(t.dataSync());

test('categorical accuracy matches TF.js (ties pick the first maximum)', () => {
  assert.equal(Array.from(metrics.categoricalAccuracy(tensor(onehot), tensor(probs)).data), arr(tf.metrics.categoricalAccuracy(tf.tensor2d(onehot), tf.tensor2d(probs))));
});

test('sparse categorical accuracy matches TF.js, labels (N,) and (N, 1)', () => {
  const ref = arr(tf.metrics.sparseCategoricalAccuracy(tf.tensor2d(labels.map((l) => [l])), tf.tensor2d(probs)));
  assert.equal(Array.from(metrics.sparseCategoricalAccuracy(tensor(labels), tensor(probs)).data), ref);
  const column = metrics.sparseCategoricalAccuracy(tensor(labels.map((l) => [l])), tensor(probs));
  assert.equal([...column.shape], [5, 1]);
  assert.equal(Array.from(column.data), ref);
});

test('binary accuracy matches TF.js (threshold 0.5)', () => {
  const yt = [[1], [0], [1], [0]], yp = [[0.7], [0.2], [0.4], [0.51]];
  assert.equal(Array.from(metrics.binaryAccuracy(tensor(yt), tensor(yp)).data), arr(tf.metrics.binaryAccuracy(tf.tensor2d(yt), tf.tensor2d(yp))));
});

test("'accuracy' resolves by shapes as Keras: binary, sparse categorical, categorical", () => {
  const same = (a: metrics.MetricFunction, b: metrics.MetricFunction, t: number[] | number[][], p: number[][]) => {
    const tt = tensor(t), pp = tensor(p);
    return assert.equal(Array.from(evalEager(a, [tt, pp]).data), Array.from(evalEager(b, [tt, pp]).data));
  };
  // binary: one unit
  same(metrics.resolveAccuracy([null, 1], [null, 1]), (t, p) => metrics.binaryAccuracy(t, p), [[1], [0]], [[0.9], [0.7]]);
  // sparse: labels of lower rank, or a unit last axis against several classes
  same(metrics.resolveAccuracy([null], [null, 3]), (t, p) => metrics.sparseCategoricalAccuracy(t, p), [1, 2], [[0.1, 0.8, 0.1], [0.7, 0.2, 0.1]]);
  same(metrics.resolveAccuracy([null, 1], [null, 3]), (t, p) => metrics.sparseCategoricalAccuracy(t, p), [[1], [0]], [[0.1, 0.8, 0.1], [0.7, 0.2, 0.1]]);
  // categorical otherwise
  same(metrics.resolveAccuracy([null, 3], [null, 3]), (t, p) => metrics.categoricalAccuracy(t, p), [[0, 1, 0], [0, 0, 1]], [[0.1, 0.8, 0.1], [0.7, 0.2, 0.1]]);
});

test('identifiers: names are logged as given; unknown names list valid ones', () => {
  assert.is(metrics.getMetric('acc', [null], [null, 3]).name, 'acc');
  assert.is(metrics.getMetric('mse', [null, 1], [null, 1]).name, 'mse');
  assert.is(metrics.getMetric('mean_absolute_error', [null, 1], [null, 1]).name, 'mean_absolute_error');
  assert.is(metrics.getMetric('categoricalAccuracy', [null, 3], [null, 3]).name, 'categoricalAccuracy');
  assert.is(metrics.getMetric(new metrics.BinaryAccuracy({ threshold: 0.7 }), [null, 1], [null, 1]).name, 'binary_accuracy');
  assert.throws(() => metrics.getMetric('f1', [null, 1], [null, 1]), /Unknown metric 'f1'. Valid names: 'accuracy'/);
});

test.run();
