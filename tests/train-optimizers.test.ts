/**
 * Optimizer steps against TensorFlow.js from identical weights: a linear layer trained on mean
 * squared error, several full-batch steps, the weights compared after every step. TF.js's
 * optimizers have their own defaults, so Keras 3's hyperparameters are passed to both.
 * Adam differs from TF.js only in where epsilon sits, so it is also checked against Keras 3's
 * formula directly (float64, in this file).
 */
import * as tf from '@tensorflow/tfjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { setSession } from '../src/api/backend.js';
import * as optimizers from '../src/api/optimizers.js';
import { tensor } from '../src/api/tensor.js';
import { compileModel, fitModel } from '../src/api/training/index.js';
import { Session } from '../src/runtime/session.js';
import { TinyDense, values } from './support/tiny-model.js';

await tf.setBackend('cpu');

const N = 8, IN = 3, OUT = 2, STEPS = 5;
const X = values(N * IN, 1);
const Y = values(N * OUT, 2);
const K0 = values(IN * OUT, 3, 0.5);
const B0 = values(OUT, 4, 0.1);

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    if (!(err <= tol * Math.max(1, Math.abs(expected[i])))) assert.unreachable(`${what}[${i}]: got ${actual[i]}, expected ${expected[i]}`);
  }
}

/** Our weights after each of STEPS full-batch steps. */
async function ours(optimizer: optimizers.Optimizer): Promise<number[][]> {
  const session = new Session({ seed: 1 });
  setSession(session);
  const model = new TinyDense(session, { inputs: IN, units: OUT, kernel: K0, bias: B0 });
  compileModel(model, { optimizer, loss: 'mse' });
  const x = tensor(new Float32Array(X), [N, IN]), y = tensor(new Float32Array(Y), [N, OUT]);
  const out: number[][] = [];
  for (let s = 0; s < STEPS; s++) {
    await fitModel(model, x, y, { epochs: 1, batchSize: N, shuffle: false, verbose: 0 });
    out.push([...session.read(model.kernel), ...session.read(model.bias)]);
  }
  return out;
}

/** TF.js's weights after each step, minimising the same mean squared error. */
function theirs(optimizer: tf.Optimizer): number[][] {
  const k = tf.variable(tf.tensor2d(K0, [IN, OUT]));
  const bias = tf.variable(tf.tensor1d(B0));
  const x = tf.tensor2d(X, [N, IN]), y = tf.tensor2d(Y, [N, OUT]);
  const out: number[][] = [];
  for (let s = 0; s < STEPS; s++) {
    optimizer.minimize(() => tf.losses.meanSquaredError(y, tf.add(tf.matMul(x, k), bias)) as tf.Scalar, false, [k, bias]);
    out.push([...k.dataSync(), ...bias.dataSync()]);
  }
  return out;
}

/**
 * Checks our per-step weights against Keras 3's update written out in float64 here, with TF.js
 * computing the gradients at our previous weights.
 */
function kerasReference(mine: number[][], update: (w: number[], g: number[]) => void, name: string): void {
  const x = tf.tensor2d(X, [N, IN]), y = tf.tensor2d(Y, [N, OUT]);
  const w = [...K0, ...B0];
  const lossOf = (k: tf.Tensor, bias: tf.Tensor) => tf.losses.meanSquaredError(y, tf.add(tf.matMul(x, k), bias)) as tf.Scalar;
  mine.forEach((ws, s) => {
    const g = tf.grads(lossOf)([tf.tensor2d(w.slice(0, IN * OUT), [IN, OUT]), tf.tensor1d(w.slice(IN * OUT))]);
    update(w, [...g[0].dataSync(), ...g[1].dataSync()]);
    close(ws, w, 2e-5, `${name} (Keras formula) step ${s + 1}`);
  });
}

async function compare(name: string, mine: optimizers.Optimizer, ref: tf.Optimizer, tol = 2e-5): Promise<void> {
  const a = await ours(mine);
  const r = theirs(ref);
  a.forEach((w, s) => close(w, r[s], tol, `${name} step ${s + 1}`));
  // The weights did move.
  assert.ok(Math.abs(a[STEPS - 1][0] - K0[0]) > 1e-6, `${name}: weights unchanged`);
}

test('SGD (Keras defaults: learningRate 0.01)', async () => {
  await compare('sgd', new optimizers.SGD(), tf.train.sgd(0.01));
});

test('SGD with momentum', async () => {
  await compare('momentum', new optimizers.SGD({ learningRate: 0.1, momentum: 0.9 }), tf.train.momentum(0.1, 0.9, false));
});

test('SGD with Nesterov momentum', async () => {
  await compare('nesterov', new optimizers.SGD({ learningRate: 0.1, momentum: 0.9, nesterov: true }), tf.train.momentum(0.1, 0.9, true));
});

test('RMSprop (Keras defaults: 1e-3, rho 0.9, epsilon 1e-7)', async () => {
  await compare('rmsprop', new optimizers.RMSprop(), tf.train.rmsprop(0.001, 0.9, 0, 1e-7, false));
});

test('RMSprop with momentum, centered', async () => {
  await compare('rmsprop centered', new optimizers.RMSprop({ learningRate: 0.01, momentum: 0.5, centered: true }), tf.train.rmsprop(0.01, 0.9, 0.5, 1e-7, true));
});

test('Adagrad (Keras defaults: 1e-3, initial accumulator 0.1, epsilon 1e-7)', async () => {
  await compare('adagrad', new optimizers.Adagrad({ learningRate: 0.1 }), tf.train.adagrad(0.1, 0.1));
});

test("Adadelta matches Keras 3's formula (TF.js's adadelta divides by the previous accumulator)", async () => {
  const lr = 1.0, rho = 0.95, eps = 1e-7;
  const a = await ours(new optimizers.Adadelta({ learningRate: lr }));
  const accGrad = new Array(K0.length + B0.length).fill(0), accDelta = new Array(K0.length + B0.length).fill(0);
  kerasReference(a, (w, g) => {
    for (let i = 0; i < w.length; i++) {
      accGrad[i] = rho * accGrad[i] + (1 - rho) * g[i] * g[i];
      const delta = -(Math.sqrt(accDelta[i] + eps) * g[i]) / Math.sqrt(accGrad[i] + eps);
      accDelta[i] = rho * accDelta[i] + (1 - rho) * delta * delta;
      w[i] += lr * delta;
    }
  }, 'adadelta');
});

test('Adam vs TF.js (epsilon placement differs by O(epsilon))', async () => {
  await compare('adam', new optimizers.Adam({ learningRate: 0.01 }), tf.train.adam(0.01, 0.9, 0.999, 1e-7), 1e-4);
});

test("Adam matches Keras 3's formula exactly (epsilon hat)", async () => {
  const lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-3; // a large epsilon makes the Keras form observable
  const a = await ours(new optimizers.Adam({ learningRate: lr, epsilon: eps }));
  const m = new Array(K0.length + B0.length).fill(0), v = new Array(K0.length + B0.length).fill(0);
  let t = 0;
  kerasReference(a, (w, g) => {
    t++;
    const alpha = lr * Math.sqrt(1 - b2 ** t) / (1 - b1 ** t);
    for (let i = 0; i < w.length; i++) {
      m[i] += (g[i] - m[i]) * (1 - b1);
      v[i] += (g[i] * g[i] - v[i]) * (1 - b2);
      w[i] -= (m[i] * alpha) / (Math.sqrt(v[i]) + eps);
    }
  }, 'adam');
});

test('Adam with amsgrad keeps the maximum velocity', async () => {
  const a = await ours(new optimizers.Adam({ learningRate: 0.01, amsgrad: true }));
  assert.is(a.length, STEPS);
  for (const w of a) for (const v of w) assert.ok(Number.isFinite(v));
});

test('clipvalue and clipnorm limit the step', async () => {
  const plain = await ours(new optimizers.SGD({ learningRate: 1 }));
  const clipped = await ours(new optimizers.SGD({ learningRate: 1, clipvalue: 1e-3 }));
  for (let i = 0; i < K0.length; i++) assert.ok(Math.abs(clipped[0][i] - K0[i]) <= 1e-3 + 1e-7);
  assert.ok(Math.abs(plain[0][0] - K0[0]) > 1e-3);
  const normed = await ours(new optimizers.SGD({ learningRate: 1, clipnorm: 1e-2 }));
  let sq = 0;
  for (let i = 0; i < K0.length; i++) sq += (normed[0][i] - K0[i]) ** 2;
  assert.ok(Math.sqrt(sq) <= 1e-2 + 1e-6);
});

test('the learning rate is a variable: changing it between steps needs no recompilation', async () => {
  const session = new Session({ seed: 1 });
  setSession(session);
  const model = new TinyDense(session, { inputs: IN, units: OUT, kernel: K0, bias: B0 });
  const opt = new optimizers.SGD({ learningRate: 0.1 });
  compileModel(model, { optimizer: opt, loss: 'mse' });
  const x = tensor(new Float32Array(X), [N, IN]), y = tensor(new Float32Array(Y), [N, OUT]);
  await fitModel(model, x, y, { batchSize: N, shuffle: false, verbose: 0 });
  const programs = session.programCount;
  const before = session.read(model.kernel);
  opt.learningRate = 0;
  await fitModel(model, x, y, { batchSize: N, shuffle: false, verbose: 0 });
  assert.equal([...session.read(model.kernel)], [...before], 'a zero learning rate leaves the weights');
  assert.is(session.programCount, programs, 'no new program');
  assert.is(opt.iterations, 2);
  assert.is(opt.learningRate, 0);
});

test('string identifiers and Keras 3 defaults', () => {
  const adam = optimizers.getOptimizer('Adam') as optimizers.Adam;
  assert.ok(adam instanceof optimizers.Adam);
  assert.is(adam.learningRate, 0.001);
  assert.is(adam.beta1, 0.9);
  assert.is(adam.beta2, 0.999);
  assert.is(adam.epsilon, 1e-7);
  const sgd = optimizers.getOptimizer('sgd') as optimizers.SGD;
  assert.is(sgd.learningRate, 0.01);
  assert.is(sgd.momentum, 0);
  const rms = optimizers.getOptimizer('rmsprop') as optimizers.RMSprop;
  assert.is(rms.rho, 0.9);
  assert.is((optimizers.getOptimizer('adagrad') as optimizers.Adagrad).initialAccumulatorValue, 0.1);
  assert.is((optimizers.getOptimizer('Adadelta') as optimizers.Adadelta).rho, 0.95);
  assert.throws(() => optimizers.getOptimizer('adamw2'), /Unknown optimizer 'adamw2'.*'sgd'/);
});

test.run();
