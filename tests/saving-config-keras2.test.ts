/**
 * modelFromConfig reads the Keras 2 dialect (tf.keras / TF.js: list-style inbound_nodes,
 * class_name 'Model', batch_input_shape on the first layer) by converting it to Keras 3's form.
 * Oracle: TensorFlow.js, which writes that dialect; the loaded model, given TF.js's weights,
 * predicts what TF.js predicts. Also Keras 3's own config written back in the Keras 2 dialect.
 */
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { models, saving, tensor } from '../src/index.js';
import { keras3ToKeras2 } from '../src/api/saving/dialects/keras2-model.js';
import type { JsonObject } from '../src/api/saving/dialects/json.js';
import { buildTfjsModels, inputsFor } from './support/tfjs-artifacts.js';

await tf.setBackend('cpu');
const tfModels = buildTfjsModels();
const fixtures = JSON.parse(readFileSync(new URL('../../tests/fixtures/keras_dialects.json', import.meta.url), 'utf8')) as Record<string, { config: JsonObject }>;

for (const [name, tfModel] of Object.entries(tfModels)) {
  test(`${name}: TF.js's Keras 2 style config loads through modelFromConfig and predicts as TF.js`, () => {
    const topology = tfModel.toJSON(null, false) as unknown as JsonObject;
    const hasListNodes = JSON.stringify(topology).includes('"inbound_nodes":[[');
    if (name === 'multi_input') assert.ok(hasListNodes, 'the TF.js topology uses list-style inbound_nodes');
    const model = models.modelFromConfig(topology as never);
    // TF.js's weights in Keras's order (layer by layer), the same order keras-jit keeps.
    model.setWeights(tfModel.layers.flatMap((l) => l.weights).map((w) => tensor(w.read().dataSync() as Float32Array, w.shape as number[])));
    const xs = inputsFor(name);
    const expected = (tfModel.predict(xs) as tf.Tensor).dataSync();
    const got = model.predict(xs.map((x) => tensor(x.dataSync() as Float32Array, x.shape, x.dtype === 'int32' ? 'int32' : 'float32')));
    const data = (Array.isArray(got) ? got[0] : got).data;
    assert.is(data.length, expected.length);
    let worst = 0;
    for (let i = 0; i < data.length; i++) worst = Math.max(worst, Math.abs(data[i] - expected[i]));
    assert.ok(worst < 1e-5, `${name}: worst difference ${worst}`);
  });
}

for (const name of ['multi_input', 'seq_dense']) {
  test(`${name}: Keras 3's config in the Keras 2 dialect loads to the same Keras 3 config`, () => {
    const keras = fixtures[name].config;
    const keras2 = keras3ToKeras2(keras, { kerasVersion: '2.15.0', backend: 'tensorflow' });
    if (name === 'multi_input') assert.ok(Array.isArray(((keras2.config as JsonObject).layers as JsonObject[])[2].inbound_nodes?.[0 as never]));
    const fromKeras2 = saving.modelToConfig(models.modelFromConfig(keras2 as never));
    const fromKeras3 = saving.modelToConfig(models.modelFromConfig(keras as never));
    // A Keras 2 Sequential has no InputLayer; Keras names the one it adds `<first layer>_input`.
    if (name === 'seq_dense') {
      const input = ((fromKeras2.config as JsonObject).layers as JsonObject[])[0].config as JsonObject;
      assert.is(input.name, 'dense_input');
      input.name = 'input_layer';
    }
    assert.equal(JSON.parse(JSON.stringify(fromKeras2)), JSON.parse(JSON.stringify(fromKeras3)));
  });
}

test.run();
