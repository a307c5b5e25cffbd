/**
 * Writes .keras files of models built with the recurrent API (RNN over a list of cells with
 * dropout and unroll, Bidirectional over RNN(StackedRNNCells), a stateful RNN(cell)), with an
 * input and keras-jit's predictions beside each, for tests/fixtures/keras_loads_our_rnn.py:
 *   node dist/tests/support/write-rnn-api-files.js /tmp/ours-rnn
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Input, Model, layers, saving, type Tensor } from '../../src/index.js';
import type { KerasTensor } from '../../src/api/layers/keras-tensor.js';
import { randomTensor } from './api-eval.js';

const cells = (...c: unknown[]): layers.RNNCell[] => c as layers.RNNCell[];
const models: Record<string, () => Model> = {
  stacked_unrolled: () => {
    const input = Input({ shape: [5, 4] });
    const h = new layers.RNN(cells(new layers.LSTMCell(3, { dropout: 0.2, recurrentDropout: 0.1 }), new layers.GRUCell(2, { resetAfter: false })), { returnSequences: true, unroll: true })(input) as KerasTensor;
    const stacked = new layers.StackedRNNCells(cells(new layers.SimpleRNNCell(2), new layers.LSTMCell(2)));
    const out = new layers.Bidirectional(new layers.RNN(stacked as unknown as layers.RNNCell), { mergeMode: 'sum' })(h) as KerasTensor;
    return new Model({ inputs: input, outputs: out });
  },
  stateful_cell: () => {
    const input = Input({ batchShape: [2, 5, 4] });
    const out = new layers.RNN(new layers.GRUCell(3), { stateful: true, returnSequences: true, goBackwards: true })(input) as KerasTensor;
    return new Model({ inputs: input, outputs: out });
  },
};

const dir = process.argv[2] ?? '/tmp/ours-rnn';
mkdirSync(dir, { recursive: true });
for (const [name, make] of Object.entries(models)) {
  const model = make();
  const x = randomTensor([2, 5, 4], 3);
  const y = model.predict(x, { verbose: 0 }) as Tensor;
  // Saved after predict: a stateful model's states then differ from zeros, which Keras does not save either.
  writeFileSync(join(dir, `${name}.keras`), await saving.saveModelToBytes(model, { format: 'keras' }));
  writeFileSync(join(dir, `${name}.json`), JSON.stringify({ x: { shape: [...x.shape], data: Array.from(x.data) }, y: { shape: [...y.shape], data: Array.from(y.data) } }));
}
console.log('wrote', Object.keys(models).map((n) => join(dir, `${n}.keras`)).join(', '));
