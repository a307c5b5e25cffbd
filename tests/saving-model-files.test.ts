/**
 * Whole-model files we write and read back: `.keras` and legacy `.h5`, on disk and in memory.
 * A compiled model comes back compiled, and with its optimizer state training resumes exactly:
 * one more epoch after save/load gives bit-identical weights to one more epoch without it.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Input, Model, Sequential, backend, layers, loadModel, models, optimizers, saving, tensor, type Tensor } from '../src/index.js';

async function rejects(run: () => Promise<unknown>, pattern: RegExp): Promise<void> {
  try {
    await run();
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    assert.match(message, pattern);
    return;
  }
  assert.unreachable(`expected an error matching ${pattern}`);
}

const weightsOf = (m: Model): number[][] => m.getWeights().map((t) => Array.from(t.data));
const predict = (m: Model, x: Tensor): number[] => Array.from((m.predict(x, { verbose: 0 }) as Tensor).data);

function data(rows: number, cols: number, seed: number): number[] {
  let s = seed;
  return Array.from({ length: rows * cols }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648 - 0.5;
  });
}

function mlp(): Model {
  return new Sequential([Input({ shape: [4] }), new layers.Dense(6, { activation: 'tanh' }), new layers.Dense(3, { activation: 'softmax' })]);
}

function functional(): Model {
  const a = Input({ shape: [4], name: 'a' });
  const b = Input({ shape: [2], name: 'b' });
  const h = new layers.Concatenate().apply([new layers.Dense(3, { activation: 'relu' }).apply(a) as never, b]) as never;
  return new Model({ inputs: [a, b], outputs: new layers.Dense(1).apply(h) as never });
}

const x = tensor(data(8, 4, 3), [8, 4]);
const yIdx = [0, 1, 2, 0, 1, 2, 1, 0];
const y = tensor(yIdx.flatMap((k) => [0, 1, 2].map((j) => (j === k ? 1 : 0))), [8, 3]);

for (const format of ['keras', 'h5'] as const) {
  test(`${format}: compiled MLP round trip (config, weights, predictions, compile state)`, async () => {
    backend.clearSession();
    const model = mlp();
    model.compile({ optimizer: new optimizers.Adam({ learningRate: 0.01 }), loss: 'categorical_crossentropy', metrics: ['accuracy'] });
    await model.fit(x, y, { epochs: 2, batchSize: 4, verbose: 0 });
    const bytes = await saving.saveModelToBytes(model, { format });
    const back = await saving.loadModelFromBytes(bytes);
    assert.equal(back.toJSON(), model.toJSON());
    assert.equal(back.layers.map((l) => l.name), model.layers.map((l) => l.name));
    assert.equal(weightsOf(back), weightsOf(model));
    assert.equal(predict(back, x), predict(model, x));
    assert.ok(back.compiled !== undefined, 'the loaded model is compiled');
    assert.equal(saving.compileConfigOf(back), saving.compileConfigOf(model));
    assert.is(back.compiled!.optimizer.iterations, model.compiled!.optimizer.iterations);
    const plain = await saving.loadModelFromBytes(bytes, { compile: false });
    assert.is(plain.compiled, undefined);
  });

  test(`${format}: training resumes exactly after save/load with the optimizer state`, async () => {
    backend.clearSession();
    const reference = mlp();
    reference.compile({ optimizer: new optimizers.Adam({ learningRate: 0.02 }), loss: 'categorical_crossentropy' });
    await reference.fit(x, y, { epochs: 1, batchSize: 3, verbose: 0 });
    const bytes = await saving.saveModelToBytes(reference, { format, includeOptimizer: true });
    await reference.fit(x, y, { epochs: 2, initialEpoch: 1, batchSize: 3, verbose: 0 });
    const resumed = await saving.loadModelFromBytes(bytes);
    await resumed.fit(x, y, { epochs: 2, initialEpoch: 1, batchSize: 3, verbose: 0 });
    assert.equal(weightsOf(resumed), weightsOf(reference));
    // Without the optimizer state the model starts a fresh optimizer: the test above can fail.
    const fresh = await saving.loadModelFromBytes(await saving.saveModelToBytes(await saving.loadModelFromBytes(bytes), { format, includeOptimizer: false }));
    if (fresh.compiled !== undefined) {
      await fresh.fit(x, y, { epochs: 2, initialEpoch: 1, batchSize: 3, verbose: 0 });
      assert.not.equal(weightsOf(fresh), weightsOf(reference));
    } else {
      assert.is(format, 'h5', 'only a legacy file without optimizer drops the training config (as Keras)');
    }
  });

  test(`${format}: functional two-input model round trip`, async () => {
    backend.clearSession();
    const model = functional();
    const inputs = [tensor(data(3, 4, 5), [3, 4]), tensor(data(3, 2, 9), [3, 2])];
    const back = await saving.loadModelFromBytes(await saving.saveModelToBytes(model, { format }));
    assert.equal(back.toJSON(), model.toJSON());
    assert.equal(Array.from((back.predict(inputs, { verbose: 0 }) as Tensor).data), Array.from((model.predict(inputs, { verbose: 0 }) as Tensor).data));
  });
}

test('.keras zip: entries stored uncompressed, Keras names, config with compile_config', async () => {
  backend.clearSession();
  const model = mlp();
  model.compile({ optimizer: 'sgd', loss: 'mse' });
  const bytes = await saving.saveModelToBytes(model);
  const entries = unzipSync(bytes);
  assert.equal(Object.keys(entries), ['metadata.json', 'config.json', 'model.weights.h5']);
  // Stored entries: the local header's compression method (offset 8) is 0 for each entry.
  let at = 0;
  for (let k = 0; k < 3; k++) {
    assert.is(bytes[at + 8] | (bytes[at + 9] << 8), 0, `entry ${k} is stored`);
    const nameLen = bytes[at + 26] | (bytes[at + 27] << 8);
    const extra = bytes[at + 28] | (bytes[at + 29] << 8);
    const size = bytes[at + 18] | (bytes[at + 19] << 8) | (bytes[at + 20] << 16) | (bytes[at + 21] << 24);
    at += 30 + nameLen + extra + size;
  }
  const meta = JSON.parse(new TextDecoder().decode(entries['metadata.json'])) as Record<string, string>;
  assert.equal(Object.keys(meta), ['keras_version', 'date_saved']);
  assert.match(meta.date_saved, /^\d{4}-\d\d-\d\d@\d\d:\d\d:\d\d$/);
  const config = JSON.parse(new TextDecoder().decode(entries['config.json'])) as Record<string, unknown>;
  assert.equal(Object.keys(config), ['module', 'class_name', 'config', 'registered_name', 'build_config', 'compile_config']);
});

test('model.save / loadModel on disk: extensions, overwrite, atomic, models.loadModel', async () => {
  backend.clearSession();
  const dir = mkdtempSync(join(tmpdir(), 'kj-save-'));
  try {
    const model = mlp();
    for (const name of ['m.keras', 'm.h5', 'm.hdf5']) {
      const path = join(dir, name);
      await model.save(path);
      const back = await loadModel(path);
      assert.equal(predict(back, x), predict(model, x));
      assert.equal(weightsOf(await models.loadModel(path)), weightsOf(model));
    }
    // The TF.js layers format through the same entry points.
    await model.save(`file://${join(dir, 'tfjs')}`);
    assert.equal(predict(await loadModel(join(dir, 'tfjs', 'model.json')), x), predict(model, x));
    rmSync(join(dir, 'tfjs'), { recursive: true, force: true });
    const path = join(dir, 'm.keras');
    await rejects(() => model.save(path, { overwrite: false }), /already exists and overwrite is false/);
    await rejects(() => model.save(join(dir, 'm.pt')), /\.keras.*\.h5.*Received: filepath=.*m\.pt/s);
    await rejects(() => loadModel(join(dir, 'm.pt')), /File format not supported/);
    await rejects(() => model.save(path, { include_optimizer: false } as never), /include_optimizer/);
    // A save that fails (a layer whose config cannot be written) leaves the old file and no temporary file.
    const before = readFileSync(path);
    const bad = new Sequential([Input({ shape: [4] }), new layers.Dense(2, { activation: ((t: unknown) => t) as never })]);
    await rejects(() => bad.save(path), /activation/i);
    assert.equal(new Uint8Array(readFileSync(path)), new Uint8Array(before));
    assert.equal(readdirSync(dir).sort(), ['m.h5', 'm.hdf5', 'm.keras']);
    writeFileSync(join(dir, 'junk.keras'), 'not a zip');
    await rejects(() => loadModel(join(dir, 'junk.keras')), /junk\.keras is neither a \.keras file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
