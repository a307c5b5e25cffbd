/**
 * Writes our `.weights.h5`, legacy `.h5` model and legacy weights-only files for every model of
 * keras-weight-models.ts (weights loaded from the Keras fixtures) into a directory, for
 * tests/fixtures/keras_loads_ours.py to load with real Keras. Not part of the suite (Python).
 * Run: node dist/tests/support/write-weight-files.js /tmp/ours
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { backend } from '../../src/index.js';
import { legacyModelToBytes, loadWeightsFromBytes, readLegacyFile, weightsToBytes } from '../../src/api/saving/weights/index.js';
import { buildModel, MODEL_NAMES } from './keras-weight-models.js';

const out = process.argv[2];
if (out === undefined) throw new Error('usage: node dist/tests/support/write-weight-files.js <output directory>');
mkdirSync(out, { recursive: true });
const fixtures = new URL('../../../tests/fixtures/keras3/files/', import.meta.url);
const read = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(name, fixtures)));
for (const name of MODEL_NAMES) {
  backend.clearSession();
  const model = buildModel(name);
  await loadWeightsFromBytes(model, read(`${name}.weights.h5`));
  writeFileSync(join(out, `${name}.weights.h5`), await weightsToBytes(model));
  const { modelConfig } = await readLegacyFile(read(`${name}.h5`), `${name}.h5`);
  writeFileSync(join(out, `${name}.h5`), await legacyModelToBytes(model, { modelConfig }));
  await model.saveWeights(join(out, `${name}_w.h5`));
}
