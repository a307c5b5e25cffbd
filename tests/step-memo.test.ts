/**
 * The step cache (api/training/last-step.ts, programs.ts): a model's last program is reused only
 * while nothing it depends on changed. Each edit below must reach the next call: a weightless
 * layer added or popped (the trainable-variable count stays the same, so a key built only from
 * it reused the old graph), frozen layers swapped (same count, other variables), a cleared
 * session. And a repeated call must not walk the model's weights again (what made a
 * single-sample predict allocate kilobytes).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Sequential, Session, backend as K, layers, optimizers, tensor, type Tensor } from '../src/index.js';
const values = (t: Tensor): number[] => Array.from(t.data as ArrayLike<number>);

const x = tensor(new Float32Array([0.5, -1.5, 2, -0.25]), [1, 4]);
const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

/** One Dense layer whose outputs on x have both signs whatever the seed: small kernel, biases -3, 0.5, 3. */
function dense(seed: number): Sequential {
  K.setSession(new Session({ seed }));
  const m = new Sequential([new layers.Dense(3, { inputShape: [4] })]);
  const kernel = values(m.getWeights()[0]).map((v) => v / 10);
  m.setWeights([tensor(new Float32Array(kernel), [4, 3]), tensor(new Float32Array([-3, 0.5, 3]), [3])]);
  return m;
}

test('a weightless layer added or popped after predict changes the next prediction', () => {
  const m = dense(3);
  const plain = values(m.predictOnBatch(x) as Tensor);
  m.add(new layers.Activation('sigmoid'));
  const squashed = values(m.predictOnBatch(x) as Tensor);
  plain.forEach((v, i) => assert.ok(Math.abs(squashed[i] - sigmoid(v)) < 1e-6, `output ${i}: ${squashed[i]} is not sigmoid(${v})`));
  m.pop();
  assert.equal(values(m.predictOnBatch(x) as Tensor), plain);
  m.add(new layers.Activation('relu'));
  assert.equal(values(m.predictOnBatch(x) as Tensor), plain.map((v) => Math.max(v, 0)));
});

test('swapping which of two layers is frozen trains the other one', async () => {
  K.setSession(new Session({ seed: 5 }));
  const a = new layers.Dense(4, { inputShape: [4] });
  const b = new layers.Dense(2);
  const m = new Sequential([a, b]);
  m.compile({ optimizer: new optimizers.SGD({ learningRate: 0.1 }), loss: 'mse' });
  const y = tensor(new Float32Array([1, -1]), [1, 2]);
  const kernels = (): number[][] => [values(a.getWeights()[0]), values(b.getWeights()[0])];
  a.trainable = false;
  let before = kernels();
  await m.trainOnBatch(x, y);
  let after = kernels();
  assert.equal(after[0], before[0], 'frozen a must not change');
  assert.not.equal(after[1], before[1], 'b must train');
  a.trainable = true;
  b.trainable = false;
  before = after;
  await m.trainOnBatch(x, y);
  after = kernels();
  assert.not.equal(after[0], before[0], 'a must train once unfrozen');
  assert.equal(after[1], before[1], 'frozen b must not change');
});

test('a repeated predict reuses its program without walking the weights; an edit walks them once more', () => {
  const m = dense(7);
  m.predictOnBatch(x);
  let walks = 0;
  const original = m.trainableVariables.bind(m);
  m.trainableVariables = () => { walks++; return original(); };
  for (let i = 0; i < 5; i++) m.predictOnBatch(x);
  assert.is(walks, 0);
  m.layers[0].trainable = false;
  m.predictOnBatch(x);
  m.predictOnBatch(x);
  assert.is(walks, 1);
  m.predictOnBatch(tensor(new Float32Array(8), [2, 4]));
  assert.is(walks, 2, 'another batch size is another program');
});

test('after clearSession the model builds its program again in the new session', () => {
  const m = dense(9);
  const first = values(m.predictOnBatch(x) as Tensor);
  const weights = m.getWeights();
  K.clearSession();
  const again = new Sequential([new layers.Dense(3, { inputShape: [4] })]);
  again.setWeights(weights);
  assert.equal(values(again.predictOnBatch(x) as Tensor), first);
  assert.throws(() => m.predictOnBatch(x), /session/);
});

test.run();
