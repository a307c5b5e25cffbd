/**
 * The Keras 2 config dialect (TF.js modelTopology, tf.keras / legacy h5 model_config) against real
 * Keras 3 (tests/fixtures/keras_dialects.json, from keras_dialects.py): TF.js's topologies for the same
 * architectures convert to configs shaped like Keras 3's, a Keras 3 `.h5` model_config converts to
 * exactly Keras 3's own config, and converting back gives files TF.js loads and predicts identically.
 */
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type Json, type JsonObject, isObject } from '../src/api/saving/dialects/json.js';
import { keras2ToKeras3, keras3ToKeras2 } from '../src/api/saving/dialects/keras2-model.js';
import { keras2HardSigmoidObject } from '../src/api/saving/dialects/keras2-objects.js';
import { parseTfjsModel, writeTfjsModel } from '../src/api/saving/tfjs/index.js';
import { buildTfjsModels, inputsFor, saveTfjs } from './support/tfjs-artifacts.js';

await tf.setBackend('cpu');
const fixtures = JSON.parse(readFileSync(new URL('../../tests/fixtures/keras_dialects.json', import.meta.url), 'utf8')) as Record<string, { config: JsonObject; h5_model_config: JsonObject }>;
const models = buildTfjsModels();

const layersOf = (cfg: JsonObject): JsonObject[] => (cfg.config as JsonObject).layers as JsonObject[];
const confOf = (layer: JsonObject): JsonObject => layer.config as JsonObject;
/** Options whose values must agree between TF.js's and Keras's config of the same architecture. */
const SEMANTIC = ['units', 'filters', 'kernel_size', 'strides', 'padding', 'dilation_rate', 'data_format', 'activation', 'use_bias', 'return_sequences', 'return_state', 'go_backwards', 'axis', 'batch_shape', 'pool_size', 'input_dim', 'output_dim', 'reset_after', 'momentum', 'epsilon', 'center', 'scale', 'mask_zero', 'dtype'];

/** Replace layer names by their position so TF.js's `dense_Dense1` and Keras's `dense` compare. */
function renameRefs(v: Json, names: Map<string, number>): Json {
  if (Array.isArray(v)) {
    if (v.length === 3 && typeof v[0] === 'string' && names.has(v[0])) return [names.get(v[0])!, v[1], v[2]];
    return v.map((x) => renameRefs(x, names));
  }
  if (isObject(v)) {
    const out: JsonObject = {};
    for (const [k, x] of Object.entries(v)) if (k !== 'shape') out[k] = renameRefs(x, names);
    return out;
  }
  return v;
}

for (const name of Object.keys(models)) {
  test(`${name}: TF.js's topology converts to the structure Keras 3 writes`, async () => {
    const saved = await saveTfjs(models[name]);
    const ours = keras2ToKeras3(saved.modelJson.modelTopology);
    const keras = fixtures[name].config;
    for (const key of ['module', 'class_name', 'registered_name']) assert.equal(ours[key], keras[key], key);
    const [lo, lk] = [layersOf(ours), layersOf(keras)];
    assert.is(lo.length, lk.length, 'layer count');
    const namesO = new Map(lo.map((l, i) => [String(confOf(l).name), i]));
    const namesK = new Map(lk.map((l, i) => [String(confOf(l).name), i]));
    lo.forEach((l, i) => {
      const k = lk[i];
      const what = `${name} layer ${i} (${String(k.class_name)})`;
      for (const key of ['module', 'class_name', 'registered_name']) assert.equal(l[key], k[key], `${what}.${key}`);
      const [co, ck] = [confOf(l), confOf(k)];
      // Every key we write must be one Keras 3 accepts (Keras 3 rejects unknown layer kwargs).
      // (activity_regularizer: Keras 3's base Layer takes it, though Dense's get_config leaves it out.)
      for (const key of Object.keys(co)) assert.ok(key in ck || key === 'activity_regularizer', `${what}: key '${key}' is not in Keras 3's config (${Object.keys(ck).join(', ')})`);
      // A key TF.js leaves out takes Keras's default (Flatten's data_format).
      for (const key of SEMANTIC) if (key in ck && key in co) assert.equal(co[key], ck[key], `${what}.${key}`);
      for (const [key, v] of Object.entries(ck)) {
        if (isObject(v) && 'module' in v) {
          assert.ok(isObject(co[key]), `${what}.${key} should be an object`);
          assert.is((co[key] as JsonObject).module, v.module, `${what}.${key}.module`);
        }
      }
      if ('inbound_nodes' in k) assert.equal(renameRefs(l.inbound_nodes, namesO), renameRefs(k.inbound_nodes, namesK), `${what} inbound_nodes`);
    });
    for (const key of ['input_layers', 'output_layers']) {
      const c = keras.config as JsonObject;
      if (key in c) assert.equal(renameRefs((ours.config as JsonObject)[key], namesO), renameRefs(c[key], namesK), key);
    }
  });

  test(`${name}: a Keras 3 .h5 model_config (the legacy dialect) converts to exactly Keras 3's config`, () => {
    const ours = keras2ToKeras3(fixtures[name].h5_model_config);
    const keras = fixtures[name].config;
    const [lo, lk] = [layersOf(ours), layersOf(keras)];
    assert.is(lo.length, lk.length);
    lo.forEach((l, i) => {
      const { build_config: _b, ...k } = lk[i];
      assert.equal(l, k, `${name} layer ${i}`);
    });
  });

  test(`${name}: back to the Keras 2 dialect, tf.loadLayersModel predicts exactly as the original`, async () => {
    const model = models[name];
    const saved = await saveTfjs(model);
    const parsed = await parseTfjsModel(saved.modelJson, () => saved.weightData);
    const topology = keras3ToKeras2(keras2ToKeras3(parsed.topology));
    const { modelJson, weightData } = writeTfjsModel(topology, parsed.weights);
    const manifest = modelJson.weightsManifest as unknown as { weights: tf.io.WeightsManifestEntry[] }[];
    const loaded = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: topology, weightSpecs: manifest[0].weights, weightData: weightData.slice().buffer }));
    const x = inputsFor(name);
    const want = (model.predict(x.length === 1 ? x[0] : x) as tf.Tensor).dataSync();
    const got = (loaded.predict(x.length === 1 ? x[0] : x) as tf.Tensor).dataSync();
    assert.is(got.length, want.length);
    for (let i = 0; i < want.length; i++) if (!Object.is(got[i], want[i])) assert.unreachable(`${name}[${i}]: ${got[i]} vs ${want[i]}`);
  });

  test(`${name}: Keras 3's own config converts to a Keras 2 topology TF.js builds with the same layers`, async () => {
    const keras = fixtures[name].config;
    const loaded = await tf.models.modelFromJSON({ modelTopology: keras3ToKeras2(keras) } as unknown as tf.io.ModelJSON);
    const kerasLayers = layersOf(keras).filter((l, i) => !(keras.class_name === 'Sequential' && i === 0));
    const classes = loaded.layers.map((l) => l.getClassName()).filter((c, i) => !(keras.class_name === 'Sequential' && c === 'InputLayer' && i === 0));
    assert.equal(classes, kerasLayers.map((l) => (l.class_name === 'Functional' ? 'Model' : String(l.class_name))));
    assert.equal(loaded.layers.map((l) => l.countParams()), models[name].layers.map((l) => l.countParams()), 'parameter counts equal TF.js building the same architecture');
  });
}

test('TF.js defaults: hard_sigmoid keeps its Keras 2 meaning; glorotNormal becomes a Keras 3 VarianceScaling', async () => {
  const saved = await saveTfjs(models.emb_lstm);
  const lstm = confOf(layersOf(keras2ToKeras3(saved.modelJson.modelTopology))[2]);
  // Keras 3's own serialization of a function registered as keras_jit>keras2_hard_sigmoid.
  assert.equal(lstm.recurrent_activation, { module: 'builtins', class_name: 'function', config: 'keras_jit>keras2_hard_sigmoid', registered_name: 'function' });
  assert.equal(lstm.recurrent_activation, keras2HardSigmoidObject());
  assert.equal(lstm.kernel_initializer, { module: 'keras.initializers', class_name: 'VarianceScaling', config: { scale: 1, mode: 'fan_avg', distribution: 'truncated_normal', seed: null }, registered_name: null });
  const plain = confOf(layersOf(keras2ToKeras3(saved.modelJson.modelTopology, { exactHardSigmoid: false }))[2]);
  assert.is(plain.recurrent_activation, 'hard_sigmoid');
  // Keras 3's hard_sigmoid is a different function, so it cannot be written for TF.js.
  assert.throws(() => keras3ToKeras2(keras2ToKeras3(saved.modelJson.modelTopology, { exactHardSigmoid: false })), /Keras 3's hard_sigmoid .* has no Keras 2 \/ TensorFlow\.js equivalent/);
});

test('Keras 2 names and keys: Convolution2D, input_dim, time_major, implementation; unmappable ones are errors', () => {
  const keras2 = {
    class_name: 'Sequential',
    config: { name: 's', layers: [
      { class_name: 'Convolution2D', config: { name: 'c', filters: 2, kernel_size: [3, 3], batch_input_shape: [null, 6, 6, 1], dtype: 'float32' } },
      { class_name: 'BatchNormalization', config: { name: 'bn', axis: [3], renorm: false, fused: true, virtual_batch_size: null, adjustment: null } },
      { class_name: 'Reshape', config: { name: 'r', target_shape: [16, 2] } },
      { class_name: 'LSTM', config: { name: 'l', units: 2, time_major: false, implementation: 2 } },
    ] },
  };
  const out = layersOf(keras2ToKeras3(keras2));
  assert.equal(out.map((l) => l.class_name), ['InputLayer', 'Conv2D', 'BatchNormalization', 'Reshape', 'LSTM']);
  assert.equal(confOf(out[0]).batch_shape, [null, 6, 6, 1]);
  assert.ok(!('batch_input_shape' in confOf(out[1])));
  assert.is(confOf(out[2]).axis, 3);
  assert.ok(!('fused' in confOf(out[2])) && !('virtual_batch_size' in confOf(out[2])));
  assert.ok(!('time_major' in confOf(out[4])));
  assert.is(confOf(out[4]).implementation, 2);
  const dense = layersOf(keras2ToKeras3({ class_name: 'Sequential', config: { layers: [{ class_name: 'Dense', config: { name: 'd', units: 1, input_dim: 7 } }] } }));
  assert.equal(confOf(dense[0]).batch_shape, [null, 7]);
  const bad = (cls: string, config: JsonObject) => () => keras2ToKeras3({ class_name: 'Sequential', config: { layers: [{ class_name: cls, config }] } });
  assert.throws(bad('LSTM', { name: 'l', units: 2, time_major: true }), /layer 'l' \(LSTM\): time_major=true is a Keras 2 option that Keras 3 does not support/);
  assert.throws(bad('BatchNormalization', { name: 'b', virtual_batch_size: 4 }), /layer 'b' \(BatchNormalization\): virtual_batch_size=4 is a Keras 2 option/);
  assert.throws(bad('CuDNNLSTM', { name: 'k', units: 2 }), /'CuDNNLSTM' does not exist in Keras 3 .* use LSTM/);
  assert.throws(() => keras2ToKeras3({ class_name: 'Dense', config: {} }), /class_name 'Dense' is not a model/);
  assert.throws(() => keras2ToKeras3({ class_name: 'Model', config: { layers: [{ name: 'd', class_name: 'Dense', config: { name: 'd', units: 1 }, inbound_nodes: [[['nope', 0, 0, {}]]] }], input_layers: [], output_layers: [['d', 0, 0]] } }), /inbound layer 'nope' is not defined/);
});

test('functional: tensor shapes the Keras 2 dialect lacks come from tensorShape, else null', async () => {
  const saved = await saveTfjs(models.multi_input);
  const dense = (cfg: JsonObject) => layersOf(cfg)[3].inbound_nodes as JsonObject[];
  const shapeOfArg = (cfg: JsonObject) => (((dense(cfg)[0].args as JsonObject[])[0]).config as JsonObject).shape;
  assert.is(shapeOfArg(keras2ToKeras3(saved.modelJson.modelTopology)), null);
  const calls: Json[] = [];
  const withShapes = keras2ToKeras3(saved.modelJson.modelTopology, { tensorShape: (l, n, t) => { calls.push([l, n, t]); return [null, 5]; } });
  assert.equal(shapeOfArg(withShapes), [null, 5]);
  assert.equal(calls, [[String(confOf(layersOf(withShapes)[2]).name), 0, 0]], 'asked only for the non-input tensor');
  // With the shape filled in, the nodes equal what Keras 3 writes for the same graph.
  assert.equal(renameRefsKeepShape(dense(withShapes), layersOf(withShapes)), renameRefsKeepShape(dense(fixtures.multi_input.config), layersOf(fixtures.multi_input.config)));
});

function renameRefsKeepShape(v: Json, layers: JsonObject[]): Json {
  const names = new Map(layers.map((l, i) => [String(confOf(l).name), i]));
  const walk = (x: Json): Json => Array.isArray(x) ? (x.length === 3 && typeof x[0] === 'string' && names.has(x[0]) ? [names.get(x[0])!, x[1], x[2]] : x.map(walk)) : isObject(x) ? Object.fromEntries(Object.entries(x).map(([k, y]) => [k, walk(y)])) : x;
  return walk(v);
}

test('Keras 3 → Keras 2: a GRU with reset_after=true (Keras 3 default) is an error TF.js users can act on', () => {
  const cfg = structuredClone(fixtures.gru.config);
  confOf(layersOf(cfg)[1]).reset_after = true;
  assert.throws(() => keras3ToKeras2(cfg), /GRU with reset_after=true cannot be written for TensorFlow\.js/);
});

test.run();
