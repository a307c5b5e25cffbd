/**
 * Models with the recurrent API round-trip through a .keras file and a .weights.h5 file (bytes,
 * no file system): RNN over a list of cells with dropout and unroll, Bidirectional over an RNN of
 * a StackedRNNCells. The loaded model predicts what the saved one does,
 * and its config is the saved one's. (rnn-api-keras.test.ts checks the layout against Keras.)
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Input, Model, layers, saving, type Tensor } from '../src/index.js';
import type { KerasTensor } from '../src/api/layers/keras-tensor.js';
import { loadWeightsFromBytes, weightsToBytes } from '../src/api/saving/weights/index.js';
import { maxAbsDiff, randomTensor } from './support/api-eval.js';

function model(): Model {
  const input = Input({ shape: [5, 4] });
  const cells = [new layers.LSTMCell(3, { dropout: 0.2, recurrentDropout: 0.1 }), new layers.GRUCell(2, { resetAfter: false })] as unknown as layers.RNNCell[];
  const h = new layers.RNN(cells, { returnSequences: true, unroll: true })(input) as KerasTensor;
  const stacked = new layers.StackedRNNCells([new layers.SimpleRNNCell(2), new layers.LSTMCell(2)] as unknown as layers.RNNCell[]);
  const out = new layers.Bidirectional(new layers.RNN(stacked as unknown as layers.RNNCell, { zeroOutputForMask: true }), { mergeMode: 'sum' })(h) as KerasTensor;
  return new Model({ inputs: input, outputs: out });
}

test('a .keras file: the loaded model has the same config and predictions', async () => {
  const m = model();
  const x = randomTensor([2, 5, 4], 3);
  const before = m.predict(x, { verbose: 0 }) as Tensor;
  const back = await saving.loadModelFromBytes(await saving.saveModelToBytes(m, { format: 'keras' }));
  assert.equal(back.getConfig(), m.getConfig());
  assert.ok(maxAbsDiff((back.predict(x, { verbose: 0 }) as Tensor).data, before.data) === 0);
});

test('a .weights.h5 file into a fresh model of the same architecture', async () => {
  const m = model();
  const fresh = model();
  const x = randomTensor([2, 5, 4], 4);
  await loadWeightsFromBytes(fresh, await weightsToBytes(m), { fileName: 'model.weights.h5' });
  assert.ok(maxAbsDiff((fresh.predict(x, { verbose: 0 }) as Tensor).data, (m.predict(x, { verbose: 0 }) as Tensor).data) === 0);
});

test.run();
