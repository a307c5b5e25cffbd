/**
 * Training recurrent models with fit: the whole step (the forward scan, backpropagation through
 * time as the reverse scan, the optimizer) is one compiled program, on whichever tier runs
 * (KERAS_JIT_BACKEND=js for the JavaScript tier).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Input, Model, layers, optimizers, tensor } from '../src/index.js';
import type { KerasTensor } from '../src/api/layers/keras-tensor.js';
import type { Layer } from '../src/api/layers/layer.js';

const N = 64, T = 8, F = 2;

/** The label is whether the first feature's running sum ends positive: it needs memory over the sequence. */
function data(): { x: Float32Array; y: Float32Array } {
  let s = 12345;
  const rand = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  const x = new Float32Array(N * T * F);
  const y = new Float32Array(N);
  for (let n = 0; n < N; n++) {
    let sum = 0;
    for (let t = 0; t < T; t++) {
      for (let f = 0; f < F; f++) x[(n * T + t) * F + f] = rand();
      sum += x[(n * T + t) * F];
    }
    y[n] = sum > 0 ? 1 : 0;
  }
  return { x, y };
}

const recurrent: [string, () => Layer][] = [
  ['LSTM', () => new layers.LSTM(8)],
  ['LSTM with dropout and recurrentDropout', () => new layers.LSTM(8, { dropout: 0.1, recurrentDropout: 0.1 })],
  ['GRU', () => new layers.GRU(8)],
  ['SimpleRNN goBackwards', () => new layers.SimpleRNN(8, { goBackwards: true })],
];

for (const [name, make] of recurrent) {
  test(`${name}: fit lowers the loss and learns the task`, async () => {
    const { x, y } = data();
    const input = Input({ shape: [T, F] });
    const out = new layers.Dense(1, { activation: 'sigmoid' }).apply(make()(input) as KerasTensor) as KerasTensor;
    const model = new Model({ inputs: input, outputs: out });
    model.compile({ optimizer: new optimizers.Adam({ learningRate: 0.02 }), loss: 'binary_crossentropy', metrics: ['accuracy'] });
    const h = await model.fit(tensor(x, [N, T, F]), tensor(y, [N, 1]), { epochs: 40, batchSize: 16, verbose: 0 });
    const loss = h.history.loss;
    assert.ok(loss.every(Number.isFinite), 'finite losses');
    assert.ok(loss[loss.length - 1] < 0.6 * loss[0], `loss ${loss[0]} -> ${loss[loss.length - 1]}`);
    assert.ok(h.history.accuracy[h.history.accuracy.length - 1] > 0.85, `accuracy ${h.history.accuracy.at(-1)}`);
  });
}

test.run();
