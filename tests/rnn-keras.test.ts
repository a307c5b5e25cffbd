/**
 * SimpleRNN, LSTM and GRU against real Keras 3 (tests/fixtures/rnn_keras.json, written by
 * rnn_keras.py) with Keras's own defaults: GRU with resetAfter and its (2, 3u) bias, sigmoid
 * recurrent activation, every output of returnState; compiled and on the interpreter.
 */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Input, Model, layers, tensor, type Tensor } from '../src/index.js';
import type { KerasTensor } from '../src/api/layers/keras-tensor.js';
import type { Layer } from '../src/api/layers/layer.js';
import { evalModel, maxAbsDiff } from './support/api-eval.js';
import { printReport, record } from './support/zoo-report.js';

interface Stored { readonly shape: number[]; readonly data: number[] }
interface Case {
  readonly label: string;
  readonly className: 'SimpleRNN' | 'LSTM' | 'GRU';
  readonly units: number;
  readonly args: Record<string, unknown>;
  readonly input: Stored;
  readonly weights: Stored[];
  readonly outputs: Stored[];
  readonly countParams: number;
}
const fixture = JSON.parse(readFileSync(new URL('../../tests/fixtures/rnn_keras.json', import.meta.url), 'utf8')) as { keras: string; cases: Case[] };
const toTensor = (s: Stored): Tensor => tensor(Float32Array.from(s.data), s.shape);

function makeLayer(c: Case): Layer {
  switch (c.className) {
    case 'SimpleRNN': return new layers.SimpleRNN(c.units, c.args);
    case 'LSTM': return new layers.LSTM(c.units, c.args);
    case 'GRU': return new layers.GRU(c.units, c.args);
  }
}

for (const c of fixture.cases) {
  test(`${c.label} matches Keras ${fixture.keras}`, () => {
    const layer = makeLayer(c);
    const x = toTensor(c.input);
    const input = Input({ shape: x.shape.slice(1) });
    const out = layer(input) as KerasTensor | KerasTensor[];
    const model = new Model({ inputs: input, outputs: Array.isArray(out) ? out : [out] });
    assert.is(layer.countParams(), c.countParams, 'parameter count');
    assert.equal(layer.getWeights().map((w) => [...w.shape]), c.weights.map((w) => w.shape), 'weight shapes');
    layer.setWeights(c.weights.map(toTensor));
    const compiled = model.predict(x, { verbose: 0 }) as Tensor | Tensor[];
    const compiledList = Array.isArray(compiled) ? compiled : [compiled];
    const interpreted = evalModel(model, [x]).outputs;
    assert.is(compiledList.length, c.outputs.length, 'number of outputs');
    c.outputs.forEach((expected, i) => {
      assert.equal([...compiledList[i].shape], expected.shape, `output ${i} shape`);
      const diff = Math.max(maxAbsDiff(compiledList[i].data, expected.data), maxAbsDiff(interpreted[i].data, expected.data));
      record(c.className, 'Keras 3', diff);
      assert.ok(diff < 2e-5, `output ${i}: max |diff| ${diff}`);
    });
  });
}

test.after(printReport);
test.run();
