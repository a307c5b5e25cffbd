/**
 * Dropout in recurrent layers while training: the input mask and the recurrent mask are drawn
 * once per sequence (every step drops the same features and units), kept values are scaled by
 * 1/(1 - rate), and without training nothing is dropped. Read through a SimpleRNN whose weights
 * make the masks visible in its outputs.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Input, Model, layers, tensor } from '../src/index.js';
import type { KerasTensor } from '../src/api/layers/keras-tensor.js';
import { evalModel } from './support/api-eval.js';

const N = 40, T = 6, U = 5;
const identity = Array.from({ length: U * U }, (_, i) => (i % (U + 1) === 0 ? 1 : 0));

function linearRnn(args: { dropout?: number; recurrentDropout?: number }, recurrent: number[]) {
  const layer = new layers.SimpleRNN(U, { activation: 'linear', returnSequences: true, ...args });
  const input = Input({ shape: [T, U] });
  const model = new Model({ inputs: input, outputs: layer(input) as KerasTensor });
  layer.setWeights([tensor(Float32Array.from(identity), [U, U]), tensor(Float32Array.from(recurrent), [U, U]), tensor(new Float32Array(U), [U])]);
  return model;
}

test('dropout: one input mask per sequence, shared by every step, scaled by 1/(1 - rate)', () => {
  const rate = 0.4;
  // No recurrence: each output is the step's input times its mask.
  const model = linearRnn({ dropout: rate }, new Array(U * U).fill(0));
  const x = tensor(Float32Array.from({ length: N * T * U }, (_, i) => 1 + (i % 7)), [N, T, U]);
  const y = evalModel(model, [x], { training: true, seed: 99 }).outputs[0].data;
  let dropped = 0;
  for (let n = 0; n < N; n++) for (let f = 0; f < U; f++) {
    const factors = Array.from({ length: T }, (_, t) => y[(n * T + t) * U + f] / x.data[(n * T + t) * U + f]);
    const kept = factors[0] !== 0;
    if (!kept) dropped++;
    for (const v of factors) assert.ok(Math.abs(v - (kept ? 1 / (1 - rate) : 0)) < 1e-5, `sequence ${n}, feature ${f}: factors ${factors}`);
  }
  const fraction = dropped / (N * U);
  assert.ok(fraction > 0.25 && fraction < 0.55, `dropped fraction ${fraction}`);
  const inference = evalModel(model, [x], { training: false }).outputs[0].data;
  assert.equal([...inference], [...x.data]);
});

test('recurrentDropout: one state mask per sequence, applied at every step', () => {
  const rate = 0.3;
  // Input only at the first step, identity recurrence: h_t = x_0 * (mask / (1 - rate))^t.
  const model = linearRnn({ recurrentDropout: rate }, identity);
  const x = tensor(Float32Array.from({ length: N * T * U }, (_, i) => (Math.floor(i / U) % T === 0 ? 2 : 0)), [N, T, U]);
  const y = evalModel(model, [x], { training: true, seed: 7 }).outputs[0].data;
  let dropped = 0;
  for (let n = 0; n < N; n++) for (let u = 0; u < U; u++) {
    const h = Array.from({ length: T }, (_, t) => y[(n * T + t) * U + u]);
    const kept = h[1] !== 0;
    if (!kept) dropped++;
    h.forEach((v, t) => {
      const expected = t === 0 ? 2 : kept ? 2 / (1 - rate) ** t : 0;
      assert.ok(Math.abs(v - expected) < 1e-4 * Math.abs(expected) + 1e-6, `sequence ${n}, unit ${u}, step ${t}: ${v} vs ${expected}`);
    });
  }
  const fraction = dropped / (N * U);
  assert.ok(fraction > 0.15 && fraction < 0.45, `dropped fraction ${fraction}`);
});

test.run();
