/**
 * Streaming Precision, Recall and R2Score against TensorFlow.js's metrics computed once on all
 * the samples: fed in batches of different sizes, our states must add up to the whole-data value.
 */
import * as tf from '@tensorflow/tfjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as metrics from '../src/api/metrics.js';
import { tensor } from '../src/api/tensor.js';

await tf.setBackend('cpu');

const pseudo = (seed: number, n: number): number[] => Array.from({ length: n }, (_, i) => ((Math.sin(seed * 12.9898 + i * 78.233) * 43758.5453) % 1 + 1) % 1);
const SIZES = [7, 2, 1, 5];
const total = SIZES.reduce((a, b) => a + b, 0);
function batches<T>(rows: T[]): T[][] {
  let at = 0;
  return SIZES.map((n) => rows.slice(at, (at += n)));
}
let worst = 0;
function close(actual: number, expected: number, what: string): void {
  const err = Math.abs(actual - expected);
  if (!(err <= 1e-6)) assert.unreachable(`${what}: got ${actual}, TF.js ${expected} (difference ${err})`);
  worst = Math.max(worst, err);
}

test('Precision and Recall over batches of 7, 2, 1 and 5 equal TF.js on all samples (binary predictions)', () => {
  const labels = pseudo(1, total * 3).map((v) => (v > 0.6 ? 1 : 0));
  const preds = pseudo(2, total * 3).map((v) => (v > 0.45 ? 1 : 0));
  const rows = (flat: number[]) => Array.from({ length: total }, (_, i) => flat.slice(i * 3, i * 3 + 3));
  const p = new metrics.Precision(), r = new metrics.Recall();
  const lb = batches(rows(labels)), pb = batches(rows(preds));
  lb.forEach((l, i) => {
    p.updateState(tensor(l), tensor(pb[i]));
    r.updateState(tensor(l), tensor(pb[i]));
  });
  const yt = tf.tensor2d(rows(labels)), yp = tf.tensor2d(rows(preds));
  close(p.result() as number, tf.metrics.precision(yt, yp).dataSync()[0], 'precision');
  close(r.result() as number, tf.metrics.recall(yt, yp).dataSync()[0], 'recall');
});

test('R2Score of one output over batches equals TF.js r2Score on all samples', () => {
  const yTrue = pseudo(3, total).map((v) => [4 * v - 1]);
  const yPred = pseudo(4, total).map((v, i) => [yTrue[i][0] + 0.6 * (v - 0.5)]);
  const m = new metrics.R2Score();
  batches(yTrue).forEach((t, i) => m.updateState(tensor(t), tensor(batches(yPred)[i])));
  close(m.result() as number, tf.metrics.r2Score(tf.tensor2d(yTrue), tf.tensor2d(yPred)).dataSync()[0], 'r2');
});

test('worst difference against TF.js (reported)', () => {
  assert.ok(worst < 1e-6);
  console.log(`  metrics vs TF.js: worst difference ${worst.toExponential(2)}`);
});

test.run();
