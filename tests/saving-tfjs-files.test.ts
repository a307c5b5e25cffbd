/**
 * The TF.js format on disk: what we write to `file://dir`, TensorFlow.js loads and predicts the same;
 * a directory laid out as tfjs-node writes it reads back to TF.js's weights; bad paths and missing
 * files are errors naming the file; a failed save leaves the previous files and no temporary files.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readTfjsModelFiles, writeTfjsModelFiles } from '../src/api/saving/tfjs/files.js';
import { buildTfjsModels, inputsFor, saveTfjs } from './support/tfjs-artifacts.js';

await tf.setBackend('cpu');
const models = buildTfjsModels();
const root = await mkdtemp(join(tmpdir(), 'keras-jit-tfjs-'));

async function rejects(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  try { await p; } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (!pattern.test(msg)) assert.unreachable(`error "${msg}" does not match ${pattern}`);
    return;
  }
  assert.unreachable(`expected an error matching ${pattern}`);
}

test('write to file://dir, TF.js loads model.json + weights.bin and predicts identically', async () => {
  const model = models.emb_lstm;
  const saved = await saveTfjs(model);
  const dir = join(root, 'written');
  const parsed = await readTfjsFromMemory(saved);
  await writeTfjsModelFiles(`file://${dir}`, parsed.topology, parsed.weights);
  assert.equal((await readdir(dir)).sort(), ['model.json', 'weights.bin']);
  const mj = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
  assert.is(mj.format, 'layers-model');
  const bytes = await readFile(join(dir, 'weights.bin'));
  const loaded = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: mj.modelTopology, weightSpecs: mj.weightsManifest[0].weights, weightData: new Uint8Array(bytes).buffer }));
  const x = inputsFor('emb_lstm')[0];
  assert.equal(Array.from((loaded.predict(x) as tf.Tensor).dataSync()), Array.from((model.predict(x) as tf.Tensor).dataSync()));
});

async function readTfjsFromMemory(saved: Awaited<ReturnType<typeof saveTfjs>>) {
  const dir = await mkdtemp(join(root, 'm-'));
  await writeFile(join(dir, 'model.json'), JSON.stringify(saved.modelJson));
  await writeFile(join(dir, 'weights.bin'), saved.weightData);
  return readTfjsModelFiles(join(dir, 'model.json'));
}

test('read a tfjs-node style directory (by directory, by model.json, by file://) to TF.js weights', async () => {
  const model = models.conv;
  const saved = await saveTfjs(model);
  const dir = join(root, 'tfjs-node');
  await rm(dir, { recursive: true, force: true });
  await writeTfjsModelFiles(dir, saved.modelJson.modelTopology as never, (await readTfjsFromMemory(saved)).weights);
  for (const p of [dir, join(dir, 'model.json'), `file://${dir}/model.json`]) {
    const parsed = await readTfjsModelFiles(p);
    const expected = model.getWeights();
    parsed.weights.forEach((w, i) => assert.equal(Array.from(w.values), Array.from(expected[i].dataSync()), `${p}: ${w.name}`));
  }
});

test('bad paths and files name the file', async () => {
  const saved = await saveTfjs(models.seq_dense);
  const dir = join(root, 'bad');
  await rm(dir, { recursive: true, force: true });
  await writeTfjsModelFiles(dir, saved.modelJson.modelTopology as never, (await readTfjsFromMemory(saved)).weights);
  await rm(join(dir, 'weights.bin'));
  await rejects(readTfjsModelFiles(dir), new RegExp(`${join(dir, 'model.json').replace(/[/.]/g, '\\$&')}: cannot read weight file 'weights\\.bin'`));
  await rejects(readTfjsModelFiles(join(root, 'nope', 'model.json')), /nope\/model\.json: cannot read the TensorFlow\.js model\.json/);
  await writeFile(join(dir, 'model.json'), '{not json');
  await rejects(readTfjsModelFiles(dir), /model\.json: not valid JSON/);
  await writeFile(join(dir, 'model.json'), JSON.stringify({ ...saved.modelJson, weightsManifest: [{ paths: ['../../etc/passwd'], weights: [] }] }));
  await rejects(readTfjsModelFiles(dir), /weight file path '\.\.\/\.\.\/etc\/passwd' leaves the model's directory/);
  await rejects(readTfjsModelFiles('http://example.com/model.json'), /the http:\/\/ scheme is not supported/);
});

test('overwrite: false refuses; a failed save keeps the previous files and leaves no temporary file', async () => {
  const saved = await saveTfjs(models.seq_dense);
  const parsed = await readTfjsFromMemory(saved);
  const dir = join(root, 'atomic');
  await writeTfjsModelFiles(dir, parsed.topology, parsed.weights);
  const before = await readFile(join(dir, 'model.json'), 'utf8');
  await rejects(writeTfjsModelFiles(dir, parsed.topology, parsed.weights, { overwrite: false }), /model\.json already exists and overwrite is false/);
  const broken = parsed.weights.map((w, i) => (i === 0 ? { ...w, values: w.values.slice(1) } : w));
  await rejects(writeTfjsModelFiles(dir, parsed.topology, broken), /weight '.*kernel' has 11 values but shape \[4, 3\] needs 12/);
  assert.is(await readFile(join(dir, 'model.json'), 'utf8'), before);
  assert.equal((await readdir(dir)).sort(), ['model.json', 'weights.bin']);
});

test.after(async () => { await rm(root, { recursive: true, force: true }); });
test.run();
