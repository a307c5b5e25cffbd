/**
 * Writes our `.keras` and `.h5` model files for tests/fixtures/keras_loads_our_models.py (real
 * Keras 3 loads them; not part of the suite, which never needs Python): every Keras fixture model of
 * tests/fixtures/keras3/models loaded and re-saved by keras-jit, plus a model built and trained here
 * (`ours_mlp`, compiled with Adam) with its inputs and our predictions in `ours_mlp.json`.
 * Run: node dist/tests/support/write-model-files.js /tmp/ours-models
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Input, Sequential, backend, layers, loadModel, optimizers, tensor, type Tensor } from '../../src/index.js';

const out = process.argv[2];
if (out === undefined) throw new Error('usage: node dist/tests/support/write-model-files.js <output directory>');
mkdirSync(out, { recursive: true });
const fixtures = fileURLToPath(new URL('../../../tests/fixtures/keras3/models/', import.meta.url));
for (const file of readdirSync(fixtures).filter((f) => f.endsWith('.keras'))) {
  backend.clearSession();
  const name = file.replace(/\.keras$/, '');
  const model = await loadModel(join(fixtures, file));
  await model.save(join(out, `${name}.keras`));
  await model.save(join(out, `${name}.h5`));
}
backend.clearSession();
const model = new Sequential([Input({ shape: [4] }), new layers.Dense(6, { activation: 'relu' }), new layers.Dense(3, { activation: 'softmax' })]);
model.compile({ optimizer: new optimizers.Adam({ learningRate: 0.01 }), loss: 'categorical_crossentropy', metrics: ['accuracy'] });
const xs = Array.from({ length: 24 }, (_, i) => Math.sin(i * 1.7));
const ys = Array.from({ length: 6 }, (_, i) => [0, 1, 2].map((j) => (j === i % 3 ? 1 : 0))).flat();
await model.fit(tensor(xs, [6, 4]), tensor(ys, [6, 3]), { epochs: 3, batchSize: 2, shuffle: false, verbose: 0 });
const y = model.predict(tensor(xs, [6, 4]), { verbose: 0 }) as Tensor;
await model.save(join(out, 'ours_mlp.keras'));
await model.save(join(out, 'ours_mlp.h5'));
writeFileSync(join(out, 'ours_mlp.json'), JSON.stringify({ input: xs, input_shape: [6, 4], output: Array.from(y.data), output_shape: [...y.shape], iterations: model.compiled!.optimizer.iterations }));
