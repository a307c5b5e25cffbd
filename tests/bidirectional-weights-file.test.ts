/**
 * A Keras 3 `.weights.h5` with Bidirectional layers (tests/fixtures/keras3/bidirectional/
 * model.weights.h5, keras_bidirectional.py: Bidirectional(LSTM) and Bidirectional(GRU) with a
 * SimpleRNN backward layer): loading it gives Keras's weights, and what we write has exactly
 * the tree Keras wrote (`layers/bidirectional/forward_layer/cell/vars/0`, ...); the legacy `.h5`
 * layout names each weight by its Keras variable path.
 */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Input, Model, backend, layers } from '../src/index.js';
import type { KerasTensor } from '../src/api/layers/keras-tensor.js';
import { describeTree, groupAt, readHdf5, readStringList } from '../src/api/saving/hdf5/index.js';
import { legacyWeightsToBytes, loadLegacyWeightsFromBytes, loadWeightsFromBytes, weightsToBytes } from '../src/api/saving/weights/index.js';
import { readFixture, relDiff, type Stored } from './support/bidirectional-fixture.js';

const bytes = new Uint8Array(readFileSync(new URL('../../tests/fixtures/keras3/bidirectional/model.weights.h5', import.meta.url)));
const expected = readFixture<{ weights: Stored[]; paths: string[] }>('weights.json');

function build(): Model {
  const input = Input({ shape: [5, 3] });
  let h = new layers.Bidirectional(new layers.LSTM(3, { returnSequences: true }))(input) as KerasTensor;
  h = new layers.Bidirectional(new layers.GRU(2), { backwardLayer: new layers.SimpleRNN(2, { goBackwards: true }) })(h) as KerasTensor;
  return new Model({ inputs: input, outputs: new layers.Dense(1)(h) as KerasTensor });
}

test(`Keras ${expected.keras}'s .weights.h5 loads into the same weights`, async () => {
  backend.clearSession();
  const model = build();
  assert.equal(model.weights.map((w) => [...w.shape]), expected.weights.map((w) => w.shape), 'weight order = Keras order');
  await loadWeightsFromBytes(model, bytes, { fileName: 'model.weights.h5' });
  model.getWeights().forEach((w, i) => assert.ok(relDiff(w.data, expected.weights[i].data) === 0, `weight ${i}`));
});

test('what we write has the tree Keras wrote', async () => {
  backend.clearSession();
  const model = build();
  await loadWeightsFromBytes(model, bytes, { fileName: 'model.weights.h5' });
  const ours = await readHdf5(await weightsToBytes(model), 'ours');
  const theirs = await readHdf5(bytes, 'model.weights.h5');
  assert.equal(describeTree(ours), describeTree(theirs));
});

test('legacy .h5: weight_names are Keras\'s variable paths, one dataset each, and the file round trips', async () => {
  backend.clearSession();
  const model = build();
  await loadWeightsFromBytes(model, bytes, { fileName: 'model.weights.h5' });
  const legacy = await legacyWeightsToBytes(model);
  const root = await readHdf5(legacy, 'ours.h5');
  const names = model.layers.flatMap((l) => readStringList(groupAt(root, l.name)?.attrs ?? new Map(), 'weight_names', l.name) ?? []);
  // Keras 3 writes each weight's variable path; forward and backward cells must not share a name.
  assert.equal(names, expected.paths);
  backend.clearSession();
  const back = build();
  await loadLegacyWeightsFromBytes(back, legacy, { fileName: 'ours.h5' });
  back.getWeights().forEach((w, i) => assert.ok(relDiff(w.data, expected.weights[i].data) === 0, `weight ${i} after the legacy round trip`));
});

test.run();
