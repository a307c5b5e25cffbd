/**
 * The legacy Keras `.h5` layout against files written by Keras 3 (`model.save('x.h5')`), a
 * Keras 2-layout file and Keras's own attribute splitting; and optimizer state against a Keras 3
 * `.keras` file trained with Adam.
 */
import { readFileSync } from 'node:fs';
import { unzipSync } from 'fflate';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { backend, optimizers, tensor } from '../src/index.js';
import { getSession } from '../src/api/backend.js';
import { describeTree, group, groupAt, readHdf5, readStringList, setStringList, writeHdf5, type H5Group } from '../src/api/saving/hdf5/index.js';
import {
  legacyModelToBytes, legacyWeightsToBytes, loadLegacyWeightsFromBytes, loadOptimizerState, loadWeightsFromTree,
  readLegacyFile, readVarsGroup, writeOptimizerState,
} from '../src/api/saving/weights/index.js';
import { buildModel, MODEL_NAMES, type ModelName } from './support/keras-weight-models.js';

const dir = new URL('../../tests/fixtures/keras3/files/', import.meta.url);
const file = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(name, dir)));
interface Info { readonly input: unknown[]; readonly input_shape: number[]; readonly input_dtype: 'float32' | 'int32'; readonly output: unknown[] }
const info = (name: ModelName): Info => JSON.parse(readFileSync(new URL(`${name}.json`, dir), 'utf8')) as Info;
const flat = (a: unknown[]): number[] => a.flat(Infinity) as number[];

function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return worst;
}

/** Every attribute of every group below `g` (strings only: layer_names, weight_names, ...). */
function stringAttrs(g: H5Group, prefix = ''): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [k, a] of g.attrs) if (a.dtype === 'string' || a.data.length === 0) out[`${prefix}@${k}`] = Array.from(a.data as ArrayLike<string>, String);
  for (const [k, c] of g.children) if (c.kind === 'group') Object.assign(out, stringAttrs(c, `${prefix}/${k}`));
  return out;
}

for (const name of MODEL_NAMES) {
  test(`${name}: Keras 3 legacy .h5 loads, and we write Keras's model_weights tree`, async () => {
    backend.clearSession();
    const model = buildModel(name);
    const fx = info(name);
    const x = tensor(flat(fx.input), fx.input_shape, fx.input_dtype);
    await loadLegacyWeightsFromBytes(model, file(`${name}.h5`), { fileName: `${name}.h5` });
    const y = model.predict(x, { verbose: 0 }) as { data: ArrayLike<number> };
    const diff = maxRelDiff(y.data, flat(fx.output));
    assert.ok(diff <= 1e-5, `${name}: max relative difference ${diff}`);

    const keras = await readLegacyFile(file(`${name}.h5`), `${name}.h5`);
    assert.ok(keras.modelConfig !== undefined && JSON.parse(keras.modelConfig).class_name !== undefined);
    const bytes = await legacyModelToBytes(model, { modelConfig: keras.modelConfig, trainingConfig: '{"loss": "mse"}' });
    const ours = await readLegacyFile(bytes, 'ours.h5');
    assert.is(ours.modelConfig, keras.modelConfig);
    assert.is(ours.trainingConfig, '{"loss": "mse"}');
    const mine = groupAt(ours.root, 'model_weights') as H5Group;
    const theirs = groupAt(keras.root, 'model_weights') as H5Group;
    assert.equal(describeTree(mine), describeTree(theirs));
    assert.equal(stringAttrs(mine), stringAttrs(theirs));

    backend.clearSession();
    const again = buildModel(name);
    await loadLegacyWeightsFromBytes(again, bytes);
    const y2 = again.predict(x, { verbose: 0 }) as { data: ArrayLike<number> };
    assert.ok(maxRelDiff(y2.data, flat(fx.output)) <= 1e-5);
  });
}

test('a Keras 2-layout weights file (weight names with :0, fixed-length strings) loads', async () => {
  backend.clearSession();
  const fromKeras3 = buildModel('mlp');
  await loadLegacyWeightsFromBytes(fromKeras3, file('mlp.h5'));
  const model = buildModel('mlp');
  await loadLegacyWeightsFromBytes(model, file('mlp_keras2_style.h5'), { fileName: 'mlp_keras2_style.h5' });
  assert.equal(model.getWeights().map((t) => Array.from(t.data)), fromKeras3.getWeights().map((t) => Array.from(t.data)));
});

test('legacy errors: layer count and weight count are errors even with skipMismatch; no weight changed', async () => {
  backend.clearSession();
  const model = buildModel('cnn');
  const before = model.getWeights().map((t) => Array.from(t.data));
  for (const skipMismatch of [false, true]) {
    try {
      await loadLegacyWeightsFromBytes(model, file('mlp.h5'), { fileName: 'mlp.h5', skipMismatch });
      assert.unreachable('should throw');
    } catch (e) {
      assert.ok((e as Error).message.includes('Layer count mismatch when loading weights from file mlp.h5. Model expected 3 layers, found 2 saved layers.'), (e as Error).message);
    }
  }
  assert.equal(model.getWeights().map((t) => Array.from(t.data)), before);
});

test('weights-only legacy file has the model_weights layout at the root', async () => {
  backend.clearSession();
  const model = buildModel('gru');
  await loadLegacyWeightsFromBytes(model, file('gru.h5'));
  const root = await readHdf5(await legacyWeightsToBytes(model), 'w.h5');
  const theirs = groupAt((await readLegacyFile(file('gru.h5'), 'gru.h5')).root, 'model_weights') as H5Group;
  assert.equal(describeTree(root), describeTree(theirs));
});

test("attributes over 64 KB: Keras's split (name0, name1) reads, and we split the same way", async () => {
  const root = await readHdf5(file('split_attrs.h5'), 'split_attrs.h5');
  const names = readStringList(root.attrs, 'layer_names', 'split_attrs.h5') as string[];
  assert.is(names.length, 2500);
  assert.is(names[2499], 'layer_with_a_long_name_02499');
  const ours = group();
  setStringList(ours.attrs, 'layer_names', names);
  assert.equal([...ours.attrs.keys()].sort(), [...root.attrs.keys()].sort());
  const back = await readHdf5(await writeHdf5(ours), 'ours.h5');
  assert.equal(readStringList(back.attrs, 'layer_names', 'ours.h5'), names);
});

test("optimizer state: Keras's Adam state in a .keras file loads and is written back in Keras's layout", async () => {
  backend.clearSession();
  const weightsFile = unzipSync(file('mlp_adam.keras'))['model.weights.h5'];
  const keras = await readHdf5(weightsFile, 'mlp_adam.keras/model.weights.h5');
  const model = buildModel('mlp');
  model.compile({ optimizer: new optimizers.Adam({ learningRate: 1e-2 }), loss: 'mse' });
  loadWeightsFromTree(model, keras, 'mlp_adam.keras');
  const optimizer = model.compiled?.optimizer as optimizers.Optimizer;
  const session = getSession();
  loadOptimizerState(keras, optimizer, session, model.trainableVariables(), 'mlp_adam.keras');
  assert.is(optimizer.iterations, 2);
  const out = group();
  writeOptimizerState(out, optimizer, session, model.trainableVariables());
  const sub = (g: H5Group): H5Group => groupAt(g, 'optimizer') as H5Group;
  assert.equal(describeTree(sub(out)), describeTree(sub(keras)));
  const values = (g: H5Group): number[][] => readVarsGroup(g, 'optimizer').map((a) => Array.from(a.data as ArrayLike<number>, Number));
  assert.equal(values(out), values(keras));
});

test.run();
