/**
 * The new losses against TensorFlow.js (cpu backend) where it has the same semantics: huber,
 * hinge (0/1 labels), cosine similarity (TF.js's cosine distance of normalised rows, minus 1) and
 * mean absolute percentage error, per sample, through the compiled path.
 */
import * as tf from '@tensorflow/tfjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as losses from '../src/api/losses.js';
import { tensor } from '../src/api/tensor.js';

await tf.setBackend('cpu');

const N = 6, C = 4;
const grid = (seed: number, lo: number, hi: number): number[][] =>
  Array.from({ length: N }, (_, i) => Array.from({ length: C }, (_, j) => lo + (hi - lo) * ((Math.sin(seed * 12.9898 + i * 78.233 + j * 37.719) * 43758.5453) % 1 + 1) % 1));
const yTrue = grid(1, -2, 2), yPred = grid(2, -2, 2);
const binary = grid(3, 0, 1).map((r) => r.map((v) => (v > 0.5 ? 1 : 0)));
const positive = grid(4, 0.5, 3);

function rowMeans(t: tf.Tensor): number[] {
  return Array.from(tf.mean(t, -1).dataSync());
}
let worst = 0;
function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  assert.is(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i]));
    if (!(err <= tol)) assert.unreachable(`${what}[${i}]: got ${actual[i]}, TF.js ${expected[i]} (relative error ${err})`);
    worst = Math.max(worst, err);
  }
}

test('huber matches tf.losses.huberLoss per element, averaged over the last axis', () => {
  for (const delta of [1, 0.4]) {
    const ref = rowMeans(tf.losses.huberLoss(tf.tensor2d(yTrue), tf.tensor2d(yPred), undefined, delta, tf.Reduction.NONE));
    close(losses.huber(tensor(yTrue), tensor(yPred), { delta }).data, ref, 1e-5, `huber delta ${delta}`);
  }
});

test('hinge with 0/1 labels matches tf.losses.hingeLoss (which maps labels to -1/1)', () => {
  const ref = rowMeans(tf.losses.hingeLoss(tf.tensor2d(binary), tf.tensor2d(yPred), undefined, tf.Reduction.NONE));
  close(losses.hinge(tensor(binary), tensor(yPred)).data, ref, 1e-5, 'hinge');
});

test('cosine_similarity is TF.js cosineDistance of normalised rows minus 1', () => {
  const unit = (t: tf.Tensor2D) => tf.div(t, tf.norm(t, 'euclidean', -1, true));
  const ref = Array.from(tf.losses.cosineDistance(unit(tf.tensor2d(yTrue)), unit(tf.tensor2d(yPred)), 1, undefined, tf.Reduction.NONE).dataSync()).map((d) => d - 1);
  close(losses.cosineSimilarity(tensor(yTrue), tensor(yPred)).data, ref, 1e-5, 'cosine');
});

test('mean_absolute_percentage_error matches tf.metrics.meanAbsolutePercentageError', () => {
  const ref = Array.from(tf.metrics.meanAbsolutePercentageError(tf.tensor2d(positive), tf.tensor2d(yPred)).dataSync());
  close(losses.meanAbsolutePercentageError(tensor(positive), tensor(yPred)).data, ref, 1e-5, 'mape');
});

test('worst relative difference against TF.js (reported)', () => {
  assert.ok(worst < 1e-5);
  console.log(`  losses vs TF.js: worst relative difference ${worst.toExponential(2)}`);
});

test.run();
