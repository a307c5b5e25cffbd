/**
 * Bidirectional: gradients of the input and of both directions' weights by finite differences
 * (float64 interpreter), the names Keras gives the two copies, weights given at construction,
 * and the errors Keras raises, with its wording.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Input, layers, tensor } from '../src/index.js';
import { layerGradCheck } from './support/layer-gradcheck.js';

const bias = { biasInitializer: 'random_uniform' } as const;

for (const [label, make] of [
  ['LSTM concat sequences', () => new layers.Bidirectional(new layers.LSTM(3, { returnSequences: true, ...bias }))],
  ['LSTM mul last', () => new layers.Bidirectional(new layers.LSTM(2, bias), { mergeMode: 'mul' })],
  ['GRU ave sequences', () => new layers.Bidirectional(new layers.GRU(2, { returnSequences: true, ...bias }), { mergeMode: 'ave' })],
] as const) {
  test(`Bidirectional ${label}: gradients of the input and every weight by finite differences`, () => {
    const layer = make();
    const report = layerGradCheck(layer, [[2, 4, 3]], { atol: 1e-6, rtol: 1e-5 });
    const weights = layer.weights.reduce((n, w) => n + w.size, 0);
    assert.is(report.checked, 2 * 4 * 3 + weights);
  });
}

test('the copies are named forward_<layer> and backward_<layer>; the layer passed in is not used', () => {
  const lstm = new layers.LSTM(3, { name: 'enc' });
  const b = new layers.Bidirectional(lstm, { name: 'bi' });
  assert.is(b.forwardLayer.name, 'forward_enc');
  assert.is(b.backwardLayer.name, 'backward_enc');
  assert.is(b.backwardLayer.goBackwards, true);
  assert.is(b.forwardLayer.goBackwards, false);
  b(Input({ shape: [4, 2] }));
  assert.is(lstm.built, false);
  assert.is(b.countParams(), 2 * 4 * (3 * (2 + 3) + 3));
});

test('weights given at construction: first half forward, second half backward', () => {
  const shapes = [[2, 3], [3, 3], [3]];
  const values = [...shapes, ...shapes].map((s, k) => tensor(Float32Array.from({ length: s.reduce((a, b) => a * b, 1) }, (_, i) => k + i / 10), s));
  const b = new layers.Bidirectional(new layers.SimpleRNN(3), { weights: values });
  b(Input({ shape: [4, 2] }));
  b.getWeights().forEach((w, i) => assert.equal([...w.data], [...values[i].data]));
});

test('errors with Keras wording', () => {
  assert.throws(() => new layers.Bidirectional('lstm' as never), /Please initialize `Bidirectional` layer with a `keras.layers.Layer` instance. Received: lstm/);
  assert.throws(() => new layers.Bidirectional(new layers.Dense(3)), /`layer` must be a recurrent layer \(SimpleRNN, LSTM, GRU or RNN\).*Received: Dense/);
  assert.throws(() => new layers.Bidirectional(new layers.LSTM(3), { mergeMode: 'max' as never }), /Invalid merge mode. Received: max. Merge mode should be one of \{"sum", "mul", "ave", "concat", None\}/);
  assert.throws(() => new layers.Bidirectional(new layers.LSTM(3), { backwardLayer: new layers.LSTM(3) }),
    /Forward layer and backward layer should have different `go_backwards` value. Received: forward_layer.go_backwards False, backward_layer.go_backwards=False/);
  assert.throws(() => new layers.Bidirectional(new layers.LSTM(3, { goBackwards: true })),
    /forward_layer.go_backwards True, backward_layer.go_backwards=True/);
  assert.throws(() => new layers.Bidirectional(new layers.LSTM(3), { backwardLayer: new layers.LSTM(3, { goBackwards: true, returnSequences: true }) }),
    /Forward layer and backward layer are expected to have the same value for attribute "return_sequences", got "False" for forward layer and "True" for backward layer/);
  assert.throws(() => new layers.Bidirectional(new layers.LSTM(3), { backwardLayer: new layers.Dense(3) }), /`backward_layer` must be a recurrent layer.*Received: Dense/);
  assert.throws(() => new layers.Bidirectional(new layers.LSTM(3), { merge_mode: 'sum' } as never), /merge_mode/);
});

test.run();
