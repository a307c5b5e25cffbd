/**
 * Gradients through SimpleRNN, LSTM and GRU (input and every weight) by central finite
 * differences on the float64 interpreter, forwards and backwards, last output and sequences.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { layers } from '../src/index.js';
import type { Layer } from '../src/api/layers/layer.js';
import { layerGradCheck } from './support/layer-gradcheck.js';

const shape = [2, 4, 3] as const;
const bias = { biasInitializer: 'random_uniform' } as const;
const cases: [string, () => Layer][] = [
  ['SimpleRNN', () => new layers.SimpleRNN(3, { returnSequences: true, ...bias })],
  ['SimpleRNN goBackwards', () => new layers.SimpleRNN(3, { goBackwards: true, ...bias })],
  ['LSTM', () => new layers.LSTM(3, { ...bias })],
  ['LSTM sequences goBackwards', () => new layers.LSTM(3, { returnSequences: true, goBackwards: true, ...bias })],
  ['GRU resetAfter', () => new layers.GRU(3, { returnSequences: true, ...bias })],
  ['GRU resetAfter false goBackwards', () => new layers.GRU(3, { resetAfter: false, goBackwards: true, ...bias })],
];

for (const [name, make] of cases) {
  test(`${name}: gradients of the input and every weight by finite differences`, () => {
    const layer = make();
    const report = layerGradCheck(layer, [shape], { atol: 1e-6, rtol: 1e-5 });
    const weights = layer.weights.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1), 0);
    assert.is(report.checked, 2 * 4 * 3 + weights);
  });
}

test('LSTM while training with dropout and recurrentDropout: gradients through the masked loop', () => {
  const layer = new layers.LSTM(3, { dropout: 0.3, recurrentDropout: 0.3, returnSequences: true, ...bias });
  const report = layerGradCheck(layer, [shape], { training: true });
  assert.ok(report.checked > 0);
});

test.run();
