/**
 * The TF.js layers format reader and writer against TensorFlow.js 4.22 itself: weights read from what
 * tf saves equal its getWeights exactly, sharded converter-style files read the same, quantized
 * weights decode as tfjs-core's own decodeWeights does, what we write tf.loadLayersModel loads, and
 * every malformed file is an error naming the file.
 */
import * as tf from '@tensorflow/tfjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assignWeightsToLayers, decodeWeight, parseTfjsModel, writeTfjsModel, type NamedWeight } from '../src/api/saving/tfjs/index.js';
import { buildTfjsModels, saveTfjs } from './support/tfjs-artifacts.js';

await tf.setBackend('cpu');
const models = buildTfjsModels();

function sameBits(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  assert.is(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i])) assert.unreachable(`${what}[${i}]: got ${actual[i]}, TF.js ${expected[i]}`);
  }
}

function slotsOf(model: tf.LayersModel) {
  return model.layers.map((l) => ({ name: l.name, weights: l.weights.map((w) => ({ name: w.name, shape: w.shape as number[] })) }));
}

async function expectError(p: Promise<unknown> | (() => unknown), pattern: RegExp): Promise<void> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (!pattern.test(msg)) assert.unreachable(`error "${msg}" does not match ${pattern}`);
    return;
  }
  assert.unreachable(`expected an error matching ${pattern}`);
}

for (const [name, model] of Object.entries(models)) {
  test(`${name}: weights read from TF.js's save equal getWeights exactly, in order and by layer`, async () => {
    const saved = await saveTfjs(model);
    const parsed = await parseTfjsModel(saved.modelJson, (p) => {
      assert.is(p, 'weights.bin');
      return saved.weightData;
    });
    assert.is(parsed.format, 'layers-model');
    assert.match(parsed.generatedBy ?? '', /TensorFlow\.js tfjs-layers v4\.22/);
    const expected = model.getWeights();
    assert.is(parsed.weights.length, expected.length);
    parsed.weights.forEach((w, i) => {
      assert.equal(w.shape, expected[i].shape, `${w.name} shape`);
      assert.is(w.name, model.weights[i].originalName ?? model.weights[i].name);
      sameBits(w.values, expected[i].dataSync(), w.name);
    });
    const byLayer = assignWeightsToLayers(parsed.weights, slotsOf(model));
    for (const layer of model.layers) {
      const got = byLayer.get(layer.name)!;
      assert.equal(got.map((w) => w.name), layer.weights.map((w) => w.name), `layer ${layer.name}`);
    }
  });
}

test('converter-style file: nested modelTopology, two shards split inside a weight, reads identically', async () => {
  const model = models.emb_lstm;
  const saved = await saveTfjs(model);
  const cut = 4 * 7 + 2; // inside the embedding matrix, not on a value boundary
  const shards: Record<string, Uint8Array> = { 'group1-shard1of2.bin': saved.weightData.slice(0, cut), 'group1-shard2of2.bin': saved.weightData.slice(cut) };
  const trainingConfig = { loss: 'categorical_crossentropy', metrics: ['accuracy'], optimizer_config: { class_name: 'Adam', config: { learning_rate: 0.001 } } };
  const modelJson = {
    format: 'layers-model', generatedBy: 'keras v2.15.0', convertedBy: 'TensorFlow.js Converter v4.22.0',
    modelTopology: { keras_version: '2.15.0', backend: 'tensorflow', model_config: saved.modelJson.modelTopology, training_config: trainingConfig },
    weightsManifest: [{ paths: Object.keys(shards), weights: saved.weightSpecs }],
  };
  const parsed = await parseTfjsModel(modelJson, (p) => shards[p]);
  assert.equal(parsed.topology, saved.modelJson.modelTopology);
  assert.equal(parsed.trainingConfig, trainingConfig);
  assert.is(parsed.convertedBy, 'TensorFlow.js Converter v4.22.0');
  const expected = model.getWeights();
  parsed.weights.forEach((w, i) => sameBits(w.values, expected[i].dataSync(), w.name));
});

test('uint8 / uint16 quantization: the spec formula q * scale + min, the same as tfjs-core decodeWeights', async () => {
  const w = models.seq_dense.getWeights()[0];
  const values = w.dataSync();
  let lo = Infinity, hi = -Infinity;
  for (const v of values) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  for (const [dtype, levels] of [['uint8', 255], ['uint16', 65535]] as const) {
    // Quantize as tfjs-converter's quantization.py does: scale = (max - min) / levels, q = round((w - min) / scale).
    const scale = (hi - lo) / levels;
    const q = dtype === 'uint8' ? new Uint8Array(values.length) : new Uint16Array(values.length);
    values.forEach((v, i) => { q[i] = Math.round((v - lo) / scale); });
    const spec = { name: 'dense/kernel', shape: w.shape, dtype: 'float32' as const, quantization: { dtype, scale, min: lo } };
    const bytes = new Uint8Array(q.buffer);
    const ours = decodeWeight(spec, bytes).values;
    const formula = Float32Array.from(q, (x) => x * scale + lo);
    sameBits(ours, formula, `${dtype} formula`);
    const theirs = tf.io.decodeWeights(bytes.slice().buffer, [spec])['dense/kernel'].dataSync();
    sameBits(ours, theirs, `${dtype} vs tfjs-core`);
    // The round trip is within half a quantization step of the original.
    values.forEach((v, i) => assert.ok(Math.abs(ours[i] - v) <= scale / 2 + 1e-6, `${dtype}[${i}]`));
    // int32 weights quantized the same way are rounded to integers.
    const ints = decodeWeight({ ...spec, dtype: 'int32' }, bytes).values;
    assert.ok(ints instanceof Int32Array);
    sameBits(ints, tf.io.decodeWeights(bytes.slice().buffer, [{ ...spec, dtype: 'int32' }])['dense/kernel'].dataSync(), `${dtype} int32 vs tfjs-core`);
  }
});

test('float16: every one of the 65536 half-precision patterns decodes as tfjs-core decodes it', () => {
  const halves = new Uint16Array(65536).map((_, i) => i);
  const bytes = new Uint8Array(halves.buffer);
  const spec = { name: 'w', shape: [65536], dtype: 'float32' as const, quantization: { dtype: 'float16' as const } };
  const ours = decodeWeight(spec, bytes).values;
  const theirs = tf.io.decodeWeights(bytes.slice().buffer, [spec]).w.dataSync();
  for (let i = 0; i < 65536; i++) {
    const same = Object.is(ours[i], theirs[i]) || (Number.isNaN(ours[i]) && Number.isNaN(theirs[i]));
    if (!same) assert.unreachable(`half 0x${i.toString(16)}: got ${ours[i]}, tfjs-core ${theirs[i]}`);
  }
});

test('int32 weights read as Int32Array', async () => {
  const values = Int32Array.from([-7, 0, 3, 2147483647, -2147483648, 12]);
  const spec = { name: 'table/ids', shape: [2, 3], dtype: 'int32' as const };
  const out = await parseTfjsModel({ format: 'layers-model', modelTopology: { class_name: 'Sequential', config: { layers: [] } }, weightsManifest: [{ paths: ['w.bin'], weights: [spec] }] }, () => new Uint8Array(values.buffer));
  assert.ok(out.weights[0].values instanceof Int32Array);
  sameBits(out.weights[0].values, tf.io.decodeWeights(values.slice().buffer, [spec])['table/ids'].dataSync(), 'int32');
});

test('what writeTfjsModel writes, tf.loadLayersModel loads and predicts identically', async () => {
  for (const name of ['seq_dense', 'conv', 'gru']) {
    const model = models[name];
    const saved = await saveTfjs(model);
    const parsed = await parseTfjsModel(saved.modelJson, () => saved.weightData);
    const { modelJson, weightData } = writeTfjsModel(parsed.topology, parsed.weights);
    const manifest = modelJson.weightsManifest as unknown as { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
    assert.equal(manifest[0].paths, ['weights.bin']);
    const loaded = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: modelJson.modelTopology as object, weightSpecs: manifest[0].weights, weightData: weightData.slice().buffer }));
    const x = tf.randomUniform([2, ...(model.inputs[0].shape.slice(1) as number[])]);
    sameBits((loaded.predict(x) as tf.Tensor).dataSync(), (model.predict(x) as tf.Tensor).dataSync(), `${name} predictions`);
  }
});

test('bad files: not a layers model, missing shard, short shard, extra bytes, unknown dtype, bad quantization', async () => {
  const saved = await saveTfjs(models.seq_dense);
  const read = () => saved.weightData;
  await expectError(parseTfjsModel({ ...saved.modelJson, format: 'graph-model' }, read, 'dir/model.json'), /dir\/model\.json: format is 'graph-model', not 'layers-model'.*loadGraphModel/);
  await expectError(parseTfjsModel({ format: 'layers-model', weightsManifest: [] }, read, 'm.json'), /m\.json: not a TensorFlow\.js layers model: "modelTopology" is missing/);
  await expectError(parseTfjsModel([1, 2], read, 'm.json'), /m\.json: expected a JSON object/);
  await expectError(parseTfjsModel(saved.modelJson, (p) => { throw new Error(`ENOENT: no such file '${p}'`); }, 'dir/model.json'), /dir\/model\.json: cannot read weight file 'weights\.bin'.*ENOENT/);
  await expectError(parseTfjsModel(saved.modelJson, () => saved.weightData.slice(0, saved.weightData.length - 3)), /weight file 'weights\.bin' is too short: weight 'dense_Dense\d+\/bias'/);
  const longer = new Uint8Array(saved.weightData.length + 4);
  longer.set(saved.weightData);
  await expectError(parseTfjsModel(saved.modelJson, () => longer), /weight files weights\.bin hold \d+ bytes but weightsManifest\[0\] describes \d+/);
  const badDtype = structuredClone(saved.modelJson) as { weightsManifest: { weights: { dtype: string }[] }[] };
  badDtype.weightsManifest[0].weights[1].dtype = 'float64';
  await expectError(parseTfjsModel(badDtype, read), /model\.json: weightsManifest\[0\]\.weights\[1\] \('dense_Dense\d+\/bias'\): unknown or unsupported weight dtype "float64"/);
  const badQ = structuredClone(saved.modelJson) as { weightsManifest: { weights: Record<string, unknown>[] }[] };
  badQ.weightsManifest[0].weights[0].quantization = { dtype: 'int4', scale: 1, min: 0 };
  await expectError(parseTfjsModel(badQ, read), /unknown quantization dtype "int4"/);
  badQ.weightsManifest[0].weights[0].quantization = { dtype: 'uint8' };
  await expectError(parseTfjsModel(badQ, read), /uint8 quantization needs numeric "scale" and "min"/);
});

test('weight count or shape mismatch against the model is an error naming file, layer and weight', async () => {
  const model = models.seq_dense;
  const saved = await saveTfjs(model);
  const parsed = await parseTfjsModel(saved.modelJson, () => saved.weightData);
  const slots = slotsOf(model);
  const fewer: NamedWeight[] = parsed.weights.slice(0, -1);
  assert.throws(() => assignWeightsToLayers(fewer, slots, 'x/model.json'), /x\/model\.json: layer 'dense_Dense\d+' expects 2 weights \(.*kernel, .*bias\) but the file has 1/);
  assert.throws(() => assignWeightsToLayers(parsed.weights, slots.slice(1), 'x/model.json'), /x\/model\.json: weight count mismatch: 2 weights belong to no layer/);
  const wrongShape = slots.map((s) => ({ ...s, weights: s.weights.map((w) => ({ ...w, shape: w.name.endsWith('bias') ? [99] : w.shape })) }));
  assert.throws(() => assignWeightsToLayers(parsed.weights, wrongShape, 'x/model.json'), /layer 'dense_Dense\d+' weight 'bias': expected shape \[99\], found \[3\]/);
});

test.run();
