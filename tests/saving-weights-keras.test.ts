/**
 * `.weights.h5` files written by real Keras 3 (tests/fixtures/keras_weight_files.py): loading
 * them gives Keras's predictions; what we write has exactly the tree (paths, dtypes, shapes)
 * Keras wrote, and reads back to the same weights.
 */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { backend, tensor } from '../src/index.js';
import { describeTree, readHdf5 } from '../src/api/saving/hdf5/index.js';
import { loadWeightsFromBytes, weightsToBytes } from '../src/api/saving/weights/index.js';
import { buildModel, MODEL_NAMES, type ModelName } from './support/keras-weight-models.js';

interface Info {
  readonly input: unknown[]; readonly input_shape: number[]; readonly input_dtype: 'float32' | 'int32';
  readonly output: unknown[]; readonly output_shape: number[];
  readonly weights: Array<{ path: string; shape: number[] }>;
}
const dir = new URL('../../tests/fixtures/keras3/files/', import.meta.url);
const file = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(name, dir)));
const info = (name: ModelName): Info => JSON.parse(readFileSync(new URL(`${name}.json`, dir), 'utf8')) as Info;

function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return worst;
}

for (const name of MODEL_NAMES) {
  test(`${name}: Keras 3 .weights.h5 loads and predicts as Keras`, async () => {
    backend.clearSession();
    const model = buildModel(name);
    const fx = info(name);
    assert.equal(model.weights.map((w) => [...w.shape]), fx.weights.map((w) => w.shape), 'getWeights() order = Keras order');
    const x = tensor((fx.input as number[]).flat(Infinity) as number[], fx.input_shape, fx.input_dtype);
    const expected = (fx.output as number[]).flat(Infinity) as number[];
    const fresh = model.predict(x, { verbose: 0 }) as { data: ArrayLike<number> };
    assert.ok(maxRelDiff(fresh.data, expected) > 1e-3, 'fresh random weights must not already match (the check could not fail)');
    await loadWeightsFromBytes(model, file(`${name}.weights.h5`), { fileName: `${name}.weights.h5` });
    const y = model.predict(x, { verbose: 0 }) as { data: ArrayLike<number>; shape: readonly number[] };
    assert.equal([...y.shape], fx.output_shape);
    const diff = maxRelDiff(y.data, expected);
    assert.ok(diff <= 1e-5, `${name}: max relative difference ${diff}`);
  });

  test(`${name}: what we write has Keras's tree and reads back`, async () => {
    backend.clearSession();
    const model = buildModel(name);
    await loadWeightsFromBytes(model, file(`${name}.weights.h5`), { fileName: `${name}.weights.h5` });
    const written = await weightsToBytes(model);
    const ours = await readHdf5(written, 'ours');
    const theirs = await readHdf5(file(`${name}.weights.h5`), `${name}.weights.h5`);
    assert.equal(describeTree(ours), describeTree(theirs));
    const before = model.getWeights().map((t) => Array.from(t.data));
    backend.clearSession();
    const again = buildModel(name);
    await loadWeightsFromBytes(again, written, { fileName: 'ours' });
    assert.equal(again.getWeights().map((t) => Array.from(t.data)), before);
  });
}

test.run();
