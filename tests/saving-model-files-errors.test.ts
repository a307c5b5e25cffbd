/**
 * Bad model files: each error names the file and what was wrong (Keras's wording where it has
 * one); a failed load leaves the session working, and Lambda layers are never read from a file.
 */
import { unzipSync, zipSync } from 'fflate';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Input, Sequential, backend, layers, saving, tensor, type Model, type Tensor } from '../src/index.js';

async function rejects(run: () => Promise<unknown>, ...parts: Array<string | RegExp>): Promise<string> {
  try {
    await run();
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    for (const p of parts) assert.ok(typeof p === 'string' ? message.includes(p) : p.test(message), `error should mention ${String(p)}: ${message}`);
    return message;
  }
  return assert.unreachable(`expected an error mentioning ${parts.join(', ')}`) as never;
}

const mlp = (units = 5): Model => new Sequential([Input({ shape: [3] }), new layers.Dense(units, { activation: 'relu', name: 'hidden' }), new layers.Dense(2, { name: 'out' })]);
const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

async function kerasEntries(model: Model): Promise<Record<string, Uint8Array>> {
  return unzipSync(await saving.saveModelToBytes(model));
}
const rezip = (entries: Record<string, Uint8Array>) => zipSync(entries, { level: 0 });
const load = (bytes: Uint8Array, fileName = 'bad.keras') => saving.loadModelFromBytes(bytes, { fileName });

test('not a zip, truncated zip, not HDF5, truncated HDF5', async () => {
  backend.clearSession();
  await rejects(() => load(enc('hello world, not a model')), 'bad.keras is neither a .keras file');
  await rejects(() => saving.loadModelFromBytes(enc('hello'), { fileName: 'x.keras', format: 'keras' }), 'x.keras is not a valid .keras file', 'zip');
  const good = await saving.saveModelToBytes(mlp());
  await rejects(() => load(good.slice(0, good.length - 300)), 'bad.keras', /zip|truncated/);
  await rejects(() => saving.loadModelFromBytes(enc('hello'), { fileName: 'x.h5', format: 'h5' }), 'x.h5 is not an HDF5 file');
  const h5 = await saving.saveModelToBytes(mlp(), { format: 'h5' });
  await rejects(() => saving.loadModelFromBytes(h5.slice(0, 2000), { fileName: 'cut.h5' }), 'cut.h5', /truncated|damaged/);
});

test('missing config.json, bad JSON, missing weights entry', async () => {
  backend.clearSession();
  const entries = await kerasEntries(mlp());
  const { 'config.json': config, ...noConfig } = entries;
  await rejects(() => load(rezip(noConfig)), 'bad.keras has no config.json entry');
  await rejects(() => load(rezip({ ...entries, 'config.json': enc('{"class_name": "Sequential",') })), 'bad.keras/config.json is not valid JSON');
  const { 'model.weights.h5': _w, ...noWeights } = entries;
  assert.ok(config !== undefined);
  await rejects(() => load(rezip(noWeights)), 'bad.keras', 'model.weights.h5');
});

test('unknown layer class names the class and registerKerasSerializable; Lambda is refused', async () => {
  backend.clearSession();
  const entries = await kerasEntries(mlp());
  const config = dec(entries['config.json']);
  await rejects(() => load(rezip({ ...entries, 'config.json': enc(config.replace('"class_name":"Dense"', '"class_name":"MyDense"')) })), 'bad.keras', 'MyDense', 'registerKerasSerializable');
  const lambda = config.replace('"class_name":"Dense"', '"class_name":"Lambda"');
  await rejects(() => load(rezip({ ...entries, 'config.json': enc(lambda) })), 'bad.keras', 'Lambda', 'safe_mode');
  await rejects(() => saving.loadModelFromBytes(rezip(entries), { safeMode: false }), 'safeMode=false is not supported');
});

test('a weight of the wrong shape names layer, weight, both shapes; missing weights are unset weights', async () => {
  backend.clearSession();
  const small = await kerasEntries(mlp(5));
  const wide = await kerasEntries(mlp(7));
  // The config of a 7-unit model with the weights of a 5-unit one.
  await rejects(() => load(rezip({ ...small, 'config.json': wide['config.json'] })), 'bad.keras/model.weights.h5', 'hidden', '(3, 7)', '(3, 5)');
  // Weights of a model with one layer fewer: the last layer's weights are left unset.
  const short = await kerasEntries(new Sequential([Input({ shape: [3] }), new layers.Dense(5, { activation: 'relu', name: 'hidden' })]));
  await rejects(() => load(rezip({ ...small, 'model.weights.h5': short['model.weights.h5'] })), 'bad.keras/model.weights.h5', 'out');
});

test('legacy .h5 without model_config (a weights-only file) names the file', async () => {
  backend.clearSession();
  const { legacyWeightsToBytes } = await import('../src/api/saving/weights/index.js');
  const bytes = await legacyWeightsToBytes(mlp());
  await rejects(() => saving.loadModelFromBytes(bytes, { fileName: 'w.h5' }), 'No model config found in the file at w.h5');
});

test('after failed loads the session keeps working', async () => {
  backend.clearSession();
  const model = mlp();
  const before = model.getWeights().map((w) => Array.from(w.data));
  await rejects(() => load(enc('junk')), 'bad.keras');
  model.compile({ optimizer: 'sgd', loss: 'mse' });
  await model.fit(tensor([1, 2, 3, 4, 5, 6], [2, 3]), tensor([1, 0, 0, 1], [2, 2]), { epochs: 1, verbose: 0 });
  assert.not.equal(model.getWeights().map((w) => Array.from(w.data)), before);
  const back = await saving.loadModelFromBytes(await saving.saveModelToBytes(model));
  const x = tensor([0.5, -1, 2], [1, 3]);
  assert.equal(Array.from((back.predict(x, { verbose: 0 }) as Tensor).data), Array.from((model.predict(x, { verbose: 0 }) as Tensor).data));
});

test.run();
