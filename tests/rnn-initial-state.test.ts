/**
 * Initial states (Keras's `layer(x, initial_state=[...])`) against real Keras 3
 * (tests/fixtures/keras3/bidirectional/initial_state.json, keras_bidirectional.py): SimpleRNN,
 * LSTM, GRU and Bidirectional (first half of the states forward, second half backward) in a
 * functional model whose states are further Inputs; compiled and on the interpreter. Bad states
 * are refused by name.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Input, Model, Session, backend, layers, models, type Tensor } from '../src/index.js';
import type { KerasTensor } from '../src/api/layers/keras-tensor.js';
import { evalModel } from './support/api-eval.js';
import { makeLayer, readFixture, relDiff, toTensor, type Spec, type Stored } from './support/bidirectional-fixture.js';

interface Case { readonly label: string; readonly layer: Spec; readonly modelConfig: { layers: { inbound_nodes: unknown }[] }; readonly input: Stored; readonly states: Stored[]; readonly weights: Stored[]; readonly outputs: Stored[] }
const fixture = readFixture<{ cases: Case[] }>('initial_state.json');

let previous = backend.getSession();
test.before.each(() => { previous = backend.getSession(); backend.setSession(new Session()); });
test.after.each(() => backend.setSession(previous));

for (const c of fixture.cases) {
  test(`${c.label} with initial states matches Keras ${fixture.keras}`, () => {
    backend.clearSession();
    const x = Input({ shape: c.input.shape.slice(1) });
    const states = c.states.map((s) => Input({ shape: s.shape.slice(1) }));
    const layer = makeLayer(c.layer);
    const out = layer(x, { initialState: states } as never) as KerasTensor | KerasTensor[];
    const model = new Model({ inputs: [x, ...states], outputs: Array.isArray(out) ? out : [out] });
    // Keras records the states as the call's `initial_state` keyword; the config reads back into the same call.
    const nodes = (model.getConfig() as { layers: { inbound_nodes: unknown }[] }).layers.at(-1)!.inbound_nodes;
    assert.equal(nodes, c.modelConfig.layers.at(-1)!.inbound_nodes, 'inbound node as Keras writes it');
    const again = models.modelFromConfig({ class_name: "Functional", config: c.modelConfig } as never);
    assert.is(again.countParams(), layer.countParams());
    model.setWeights(c.weights.map((w) => toTensor(w)));
    const feeds = [toTensor(c.input), ...c.states.map((s) => toTensor(s))];
    const compiled = model.predict(feeds, { verbose: 0 }) as Tensor | Tensor[];
    const list = Array.isArray(compiled) ? compiled : [compiled];
    const interpreted = evalModel(model, feeds).outputs;
    assert.is(list.length, c.outputs.length, 'number of outputs');
    c.outputs.forEach((expected, i) => {
      assert.equal([...list[i].shape], expected.shape, `output ${i} shape`);
      const d = Math.max(relDiff(list[i].data, expected.data), relDiff(interpreted[i].data, expected.data));
      assert.ok(d <= 2e-5, `output ${i}: max rel diff ${d}`);
    });
  });
}

test('initial states that do not fit are refused by name', () => {
  const x = Input({ shape: [5, 3] });
  assert.throws(() => new layers.LSTM(3)(x, { initialState: [Input({ shape: [3] })] } as never), /Expected 2 initial state tensors \(LSTM has 2 states\), received 1/);
  assert.throws(() => new layers.GRU(3)(x, { initialState: [Input({ shape: [4] })] } as never), /initial_state\[0\] must have shape \(batch_size, 3\)/);
  assert.throws(() => new layers.GRU(3)(x, { initial_state: [Input({ shape: [3] })] } as never), /initial_state/);
  assert.throws(() => new layers.GRU(3)([x, Input({ shape: [3] })] as never), /pass initial states as layer\(x, \{ initialState/);
});

test.run();
