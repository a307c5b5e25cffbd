/**
 * Legacy `.h5` model files in the Keras 2 (tf.keras) dialect: `model_config` with
 * `batch_input_shape` and list-style `inbound_nodes` (TensorFlow.js writes that dialect, so its
 * topology stands in for tf.keras's), weights under `:0` names, and a Keras 2 `training_config`.
 * tf.keras is not installable next to Keras 3 here, so the file is assembled from TF.js's artifacts
 * following tf.keras's hdf5_format; the reference predictions are TF.js's own.
 */
import * as tf from '@tensorflow/tfjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { backend, saving, tensor, type Tensor } from '../src/index.js';
import { dataset, group, groupAt, stringAttr, writeHdf5, setStringList } from '../src/api/saving/hdf5/index.js';
import { buildTfjsModels, saveTfjs } from './support/tfjs-artifacts.js';

/** Keras 2.15's Adam config as tf.keras writes it into training_config.optimizer_config. */
const KERAS2_ADAM = {
  class_name: 'Adam',
  config: {
    name: 'Adam', weight_decay: null, clipnorm: null, global_clipnorm: null, clipvalue: null, use_ema: false, ema_momentum: 0.99,
    ema_overwrite_frequency: null, jit_compile: true, is_legacy_optimizer: false, learning_rate: 0.0010000000474974513, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7, amsgrad: false,
  },
};

async function keras2File(model: tf.LayersModel, withOptimizerWeights = false): Promise<Uint8Array> {
  const saved = await saveTfjs(model);
  const topology = saved.modelJson.modelTopology as { config: { layers: Array<{ name?: string; config: { name: string } }> } };
  const root = group();
  root.attrs.set('keras_version', stringAttr('2.15.0'));
  root.attrs.set('backend', stringAttr('tensorflow'));
  root.attrs.set('model_config', stringAttr(JSON.stringify(topology)));
  root.attrs.set('training_config', stringAttr(JSON.stringify({ loss: 'mse', metrics: null, weighted_metrics: null, loss_weights: null, optimizer_config: KERAS2_ADAM })));
  const weights = groupAt(root, 'model_weights', true);
  const names = topology.config.layers.map((l) => l.name ?? l.config.name);
  setStringList(weights.attrs, 'layer_names', names);
  weights.attrs.set('backend', stringAttr('tensorflow'));
  weights.attrs.set('keras_version', stringAttr('2.15.0'));
  let offset = 0;
  const byLayer = new Map<string, Array<{ name: string; shape: number[]; data: Float32Array }>>();
  for (const spec of saved.weightSpecs) {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(saved.weightData.buffer.slice(saved.weightData.byteOffset + offset, saved.weightData.byteOffset + offset + 4 * size));
    offset += 4 * size;
    const layer = spec.name.split('/')[0];
    byLayer.set(layer, [...(byLayer.get(layer) ?? []), { name: `${spec.name}:0`, shape: spec.shape, data }]);
  }
  for (const name of names) {
    const g = groupAt(weights, name, true);
    const list = byLayer.get(name) ?? [];
    setStringList(g.attrs, 'weight_names', list.map((w) => w.name));
    for (const w of list) {
      const parts = w.name.split('/');
      const leaf = parts.pop() as string;
      groupAt(g, parts.join('/'), true).children.set(leaf, dataset({ dtype: 'float32', shape: w.shape, data: w.data }));
    }
  }
  if (withOptimizerWeights) {
    // tf.keras 2.11+ Adam's variables: iteration, then m and v of each variable (no learning-rate variable).
    const g = groupAt(root, 'optimizer_weights', true);
    const entries: Array<{ name: string; shape: number[] }> = [{ name: 'Adam/iter:0', shape: [] }];
    for (const spec of saved.weightSpecs) for (const slot of ['m', 'v']) entries.push({ name: `Adam/${spec.name}/${slot}:0`, shape: spec.shape });
    setStringList(g.attrs, 'weight_names', entries.map((e) => e.name));
    for (const e of entries) {
      const parts = e.name.split('/');
      const leaf = parts.pop() as string;
      const size = e.shape.reduce((a, b) => a * b, 1);
      groupAt(g, parts.join('/'), true).children.set(leaf, dataset({ dtype: 'float32', shape: e.shape, data: new Float32Array(size).fill(0.01) }));
    }
  }
  return writeHdf5(root);
}

const INPUTS: Record<string, Array<{ shape: number[]; int?: boolean }>> = {
  seq_dense: [{ shape: [3, 4] }], multi_input: [{ shape: [3, 3] }, { shape: [3, 2] }], conv: [{ shape: [2, 8, 8, 2] }],
  emb_lstm: [{ shape: [2, 5], int: true }], gru: [{ shape: [2, 5, 3] }],
};

let worst = 0;
for (const [name, tfModel] of Object.entries(buildTfjsModels())) {
  test(`Keras 2 style .h5 of ${name} loads compiled, predicting as TF.js`, async () => {
    backend.clearSession();
    const specs = INPUTS[name];
    assert.ok(specs !== undefined, `inputs for ${name}`);
    const data = specs.map((s) => Array.from({ length: s.shape.reduce((a, b) => a * b, 1) }, (_, i) => (s.int ? i % 10 : Math.cos(i * 0.9))));
    const expected = Array.from((tfModel.predict(specs.map((s, k) => tf.tensor(data[k], s.shape, s.int ? 'int32' : 'float32'))) as tf.Tensor).dataSync());
    const model = await saving.loadModelFromBytes(await keras2File(tfModel), { fileName: `${name}_keras2.h5` });
    const xs = specs.map((s, k) => tensor(data[k], s.shape, s.int ? 'int32' : 'float32'));
    const y = Array.from((model.predict(xs.length === 1 ? xs[0] : xs, { verbose: 0 }) as Tensor).data);
    const diff = Math.max(...y.map((v, i) => Math.abs(v - expected[i])));
    worst = Math.max(worst, diff);
    assert.ok(diff <= 1e-5, `${name}: largest difference from TF.js ${diff}`);
    assert.ok(model.compiled !== undefined, 'compiled from the Keras 2 training_config');
    const opt = saving.serializeOptimizer(model.compiled!.optimizer) as { class_name: string; config: { name: string; learning_rate: number } };
    assert.is(opt.class_name, 'Adam');
    assert.is(opt.config.name, 'adam');
    assert.is(opt.config.learning_rate, KERAS2_ADAM.config.learning_rate);
  });
}

test("a Keras 2 optimizer's weights: Keras's warning and a fresh optimizer, as Keras 3's legacy loader", async () => {
  backend.clearSession();
  const bytes = await keras2File(buildTfjsModels().seq_dense, true);
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (m: string) => warnings.push(m);
  try {
    const model = await saving.loadModelFromBytes(bytes, { fileName: 'adam_keras2.h5' });
    assert.ok(model.compiled !== undefined);
    assert.is(model.compiled!.optimizer.iterations, 0);
  } finally {
    console.warn = warn;
  }
  assert.is(warnings.length, 1);
  assert.match(warnings[0], /adam_keras2\.h5: Error in loading the saved optimizer state .*freshly initialized optimizer/);
});

test('largest difference of Keras 2 style files from TF.js', () => {
  console.log(`\n  Keras 2 style .h5 model files: largest |ours - TF.js| = ${worst}`);
});

test.run();
