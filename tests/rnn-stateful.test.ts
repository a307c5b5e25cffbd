/**
 * Stateful recurrent layers against real Keras 3 (tests/fixtures/keras3/bidirectional/
 * stateful.json, keras_bidirectional.py): the final states of one predict() batch start the
 * next, resetStates() zeros them, for LSTM, GRU (returnState) and Bidirectional(LSTM); the
 * config Keras writes; Keras's errors when the batch size is not fixed or changes.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Input, Model, Session, backend, layers, type Tensor } from '../src/index.js';
import type { KerasTensor } from '../src/api/layers/keras-tensor.js';
import { makeLayer, readFixture, relDiff, toTensor, type Spec, type Stored } from './support/bidirectional-fixture.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
interface Case { readonly label: string; readonly layer: Spec; readonly batches: Stored[]; readonly weights: Stored[]; readonly outputs: Stored[][]; readonly config: Json }
const fixture = readFixture<{ cases: Case[] }>('stateful.json');

let previous = backend.getSession();
test.before.each(() => { previous = backend.getSession(); backend.setSession(new Session()); backend.clearSession(); });
test.after.each(() => backend.setSession(previous));

for (const c of fixture.cases) {
  test(`stateful ${c.label}: two batches, resetStates, again, as Keras ${fixture.keras}`, () => {
    const input = Input({ batchShape: c.batches[0].shape });
    const layer = makeLayer(c.layer) as InstanceType<typeof layers.LSTM> | InstanceType<typeof layers.Bidirectional>;
    const out = layer(input) as KerasTensor | KerasTensor[];
    const model = new Model({ inputs: input, outputs: Array.isArray(out) ? out : [out] });
    model.setWeights(c.weights.map((w) => toTensor(w)));
    assert.equal(layer.getConfig(), c.config, 'config');
    const run = (b: Stored): Tensor[] => { const y = model.predict(toTensor(b), { verbose: 0 }) as Tensor | Tensor[]; return Array.isArray(y) ? y : [y]; };
    const got = [run(c.batches[0]), run(c.batches[1])];
    layer.resetStates();
    got.push(run(c.batches[0]), run(c.batches[1]));
    got.forEach((ys, k) => ys.forEach((y, i) => {
      const d = relDiff(y.data, c.outputs[k][i].data);
      assert.ok(d <= 2e-5, `call ${k} output ${i}: max rel diff ${d}`);
    }));
  });
}

test('Keras errors: a dynamic batch size, another batch size, resetStates of a stateless Bidirectional', () => {
  assert.throws(() => new layers.LSTM(2, { stateful: true })(Input({ shape: [4, 3] })),
    /When using `stateful=True` in a RNN, the batch size must be static. Found dynamic batch size: sequence.shape=\(None, 4, 3\)/);
  assert.throws(() => new layers.Bidirectional(new layers.LSTM(2, { stateful: true }))(Input({ shape: [4, 3] })), /batch size must be static/);
  const gru = new layers.GRU(2, { stateful: true });
  gru(Input({ batchShape: [2, 4, 3] }));
  assert.throws(() => gru(Input({ batchShape: [3, 4, 3] })),
    /If an RNN is stateful, the batch size of the input sequences must be the same as the batch size of the initial state.[\s\S]*Expected batch size: 2[\s\S]*Received batch size: 3/);
  const input = Input({ batchShape: [2, 4, 3] });
  const model = new Model({ inputs: input, outputs: new layers.GRU(2, { stateful: true })(input) as KerasTensor });
  assert.throws(() => model.predict(toTensor({ shape: [3, 4, 3], data: new Array(36).fill(0.5) }), { verbose: 0, batchSize: 3 }), /expected shape \(2, 4, 3\), but received input with shape \(3, 4, 3\)/);
  assert.throws(() => new layers.Bidirectional(new layers.LSTM(2)).resetStates(), /Layer must be stateful./);
  assert.throws(() => new layers.Bidirectional(new layers.LSTM(2, { stateful: true }), { backwardLayer: new layers.LSTM(2, { goBackwards: true }) }),
    /expected to have the same value for attribute "stateful", got "True" for forward layer and "False" for backward layer/);
});

test.run();
