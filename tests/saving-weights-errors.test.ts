/**
 * Bad weight files and mismatched models: each error names the file, layer, weight and both
 * shapes, and a failed load changes no weight. skipMismatch loads what fits, as Keras does.
 * Saving is atomic: a failed save leaves the old file and no temporary file.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Input, Sequential, backend, layers, type Model } from '../src/index.js';
import { loadWeightsFromBytes } from '../src/api/saving/weights/index.js';
import { buildModel } from './support/keras-weight-models.js';

const dir = new URL('../../tests/fixtures/keras3/files/', import.meta.url);
const file = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(name, dir)));
const snapshot = (m: Model): number[][] => m.getWeights().map((t) => Array.from(t.data));

function wideMlp(hidden: number, extra = false): Model {
  const stack = [Input({ shape: [4] }), new layers.Dense(hidden, { activation: 'relu' }), new layers.Dense(3)];
  if (extra) stack.push(new layers.Dense(2));
  return new Sequential(stack);
}

async function rejects(run: () => Promise<unknown>, ...parts: string[]): Promise<string> {
  try {
    await run();
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    for (const p of parts) assert.ok(message.includes(p), `error should mention ${JSON.stringify(p)}: ${message}`);
    return message;
  }
  assert.unreachable('expected an error');
  return '';
}

test('wrong shape: names layer, weight, both shapes, and changes no weight', async () => {
  backend.clearSession();
  const model = wideMlp(7);
  const before = snapshot(model);
  await rejects(() => loadWeightsFromBytes(model, file('mlp.weights.h5'), { fileName: 'mlp.weights.h5' }),
    'mlp.weights.h5', "Layer 'dense'", "weight 'kernel'", '(4, 8)', '(4, 7)', "weight 'bias'", 'no weight was changed');
  assert.equal(snapshot(model), before);
});

test('missing layer: Keras count error, no weight changed', async () => {
  backend.clearSession();
  const model = wideMlp(8, true);
  const before = snapshot(model);
  await rejects(() => loadWeightsFromBytes(model, file('mlp.weights.h5'), { fileName: 'mlp.weights.h5' }),
    "Layer 'dense_2' expected 2 variables, but received 0 variables during loading. Expected: ['kernel', 'bias']", 'layers/dense_2');
  assert.equal(snapshot(model), before);
});

test('not HDF5 and truncated files name the file; no weight changed', async () => {
  backend.clearSession();
  const model = buildModel('mlp');
  const before = snapshot(model);
  await rejects(() => loadWeightsFromBytes(model, file('mlp.json'), { fileName: 'mlp.json' }), 'mlp.json is not an HDF5 file');
  const whole = file('mlp.weights.h5');
  await rejects(() => loadWeightsFromBytes(model, whole.subarray(0, Math.floor(whole.length / 2)), { fileName: 'half.weights.h5' }), 'half.weights.h5', 'truncated');
  await rejects(() => loadWeightsFromBytes(model, new Uint8Array(0), { fileName: 'empty.weights.h5' }), 'empty.weights.h5 is not an HDF5 file');
  assert.equal(snapshot(model), before);
});

test('skipMismatch: layers that fit load, the others keep their weights (with a warning)', async () => {
  backend.clearSession();
  const reference = buildModel('mlp');
  await loadWeightsFromBytes(reference, file('mlp.weights.h5'));
  const keras = snapshot(reference);
  const model = wideMlp(8, true);
  const before = snapshot(model);
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (m: string) => warnings.push(m);
  try {
    await loadWeightsFromBytes(model, file('mlp.weights.h5'), { skipMismatch: true });
  } finally {
    console.warn = warn;
  }
  const after = snapshot(model);
  assert.equal(after.slice(0, 4), keras, 'dense and dense_1 loaded');
  assert.equal(after.slice(4), before.slice(4), 'dense_2 kept its weights');
  assert.equal(warnings.length, 1);
  assert.ok(warnings[0].includes("dense_2"), warnings[0]);
});

test('loadWeights options are strict', async () => {
  backend.clearSession();
  const model = buildModel('mlp');
  await rejects(() => loadWeightsFromBytes(model, file('mlp.weights.h5'), { skip_mismatch: true } as never), 'skip_mismatch');
});

test('saveWeights / loadWeights files: round trip, atomic, no stray temporary files', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'keras-jit-weights-'));
  try {
    backend.clearSession();
    let model = buildModel('cnn');
    await model.loadWeights(new URL('cnn.weights.h5', dir).pathname);
    const keras = snapshot(model);
    for (const name of ['cnn.weights.h5', 'cnn.h5']) {
      const path = join(tmp, name);
      await model.saveWeights(path);
      backend.clearSession();
      const again = buildModel('cnn');
      await again.loadWeights(path);
      assert.equal(snapshot(again), keras, name);
      // Writing over the file works too (Keras overwrites).
      await again.saveWeights(path);
      model = again;
    }
    assert.equal(readdirSync(tmp).sort(), ['cnn.h5', 'cnn.weights.h5']);
    // A save that fails (the model's session was cleared, its variables freed) keeps the old file.
    const old = readFileSync(join(tmp, 'cnn.weights.h5'));
    const stale = buildModel('cnn');
    backend.clearSession();
    await rejects(() => stale.saveWeights(join(tmp, 'cnn.weights.h5')));
    assert.equal(readFileSync(join(tmp, 'cnn.weights.h5')).equals(old), true);
    // A save whose rename fails (the target is a directory) removes its temporary file.
    mkdirSync(join(tmp, 'taken.weights.h5'));
    await rejects(() => buildModel('mlp').saveWeights(join(tmp, 'taken.weights.h5')));
    assert.equal(readdirSync(tmp).sort(), ['cnn.h5', 'cnn.weights.h5', 'taken.weights.h5']);
    assert.equal(readdirSync(join(tmp, 'taken.weights.h5')), []);
    rmSync(join(tmp, 'taken.weights.h5'), { recursive: true });
    // A save into a missing directory fails and leaves nothing.
    await rejects(() => buildModel('mlp').saveWeights(join(tmp, 'missing', 'x.weights.h5')), 'ENOENT');
    assert.equal(readdirSync(tmp).sort(), ['cnn.h5', 'cnn.weights.h5']);
    await rejects(() => buildModel('mlp').saveWeights(join(tmp, 'x.bin')), 'The filename must end in `.weights.h5`');
    writeFileSync(join(tmp, 'bad.weights.h5'), 'not hdf5');
    const m = buildModel('mlp');
    const before = snapshot(m);
    await rejects(() => m.loadWeights(join(tmp, 'bad.weights.h5')), join(tmp, 'bad.weights.h5'), 'not an HDF5 file');
    assert.equal(snapshot(m), before);
    assert.equal(existsSync(join(tmp, 'x.bin')), false);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('loadWeights reads the weights inside a Keras 3 .keras file', async () => {
  backend.clearSession();
  const model = buildModel('mlp');
  await model.loadWeights(new URL('mlp_adam.keras', dir).pathname);
  const again = buildModel('mlp');
  assert.not.equal(snapshot(again), snapshot(model));
  await rejects(() => model.loadWeights(new URL('mlp.json', dir).pathname), 'unsupported file');
});

test.run();
