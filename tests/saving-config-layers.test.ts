/**
 * Layer configs against Keras 3.15 (tests/fixtures/keras3/configs/layers.json, written by
 * keras_configs.py): layers built here write exactly Keras's get_config(), and every Keras
 * layer config read with layers.deserialize writes the same config again.
 */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { constraints, initializers, layers, regularizers } from '../src/index.js';
import type { Layer } from '../src/api/layers/layer.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
interface Serialized { module: string; class_name: string; config: { [k: string]: Json }; registered_name: string | null }
const fixture = JSON.parse(readFileSync(new URL('../../tests/fixtures/keras3/configs/layers.json', import.meta.url), 'utf8')) as Record<string, Serialized>;

/** Every Keras fixture layer comes back from its config and writes that config again. */
for (const [key, keras] of Object.entries(fixture)) {
  test(`round trip of Keras's ${key} (${keras.class_name}) config`, () => {
    const layer = layers.deserialize(keras as unknown as Json as never);
    assert.is(layer.className, keras.class_name);
    assert.equal(layers.serialize(layer), keras);
  });
}

/** Layers constructed here with the same options as the fixture script. */
const built: Record<string, () => Layer> = {
  dense_default: () => new layers.Dense(3, { name: 'd0' }),
  dense_full: () => new layers.Dense(5, {
    activation: 'relu', useBias: false, kernelInitializer: 'he_normal', biasInitializer: new initializers.Constant(0.5),
    kernelRegularizer: new regularizers.L1L2({ l1: 0.01, l2: 0.02 }), biasRegularizer: 'l1', activityRegularizer: new regularizers.L2(0.001),
    kernelConstraint: new constraints.MaxNorm({ maxValue: 3, axis: 0 }), biasConstraint: 'non_neg', name: 'd1', trainable: false,
  }),
  activation: () => new layers.Activation('tanh', { name: 'a0' }),
  dropout: () => new layers.Dropout(0.3, { noiseShape: [null, 1], seed: 7, name: 'dr0' }),
  flatten: () => new layers.Flatten({ name: 'f0' }),
  reshape: () => new layers.Reshape([2, -1], { name: 'r0' }),
  conv2d: () => new layers.Conv2D(4, [3, 2], { strides: [2, 1], padding: 'same', dilationRate: 1, activation: 'relu', name: 'c0',
  }),
  conv2d_transpose: () => new layers.Conv2DTranspose(3, 3, { strides: 2, padding: 'same', name: 'ct0' }),
  max_pool2d: () => new layers.MaxPooling2D([2, 2], { strides: 1, padding: 'same', name: 'mp0' }),
  avg_pool2d: () => new layers.AveragePooling2D(3, { name: 'ap0' }),
  gap2d: () => new layers.GlobalAveragePooling2D({ keepdims: true, name: 'gap0' }),
  gmp2d: () => new layers.GlobalMaxPooling2D({ name: 'gmp0' }),
  batch_norm: () => new layers.BatchNormalization({ axis: -1, momentum: 0.9, epsilon: 1e-4, center: false, scale: true, gammaInitializer: 'ones', movingVarianceInitializer: 'ones', name: 'bn0' }),
  embedding: () => new layers.Embedding(100, 8, { maskZero: true, embeddingsInitializer: 'uniform', name: 'e0' }),
  concatenate: () => new layers.Concatenate({ axis: 1, name: 'cat0' }),
  add: () => new layers.Add({ name: 'add0' }),
  subtract: () => new layers.Subtract({ name: 'sub0' }),
  multiply: () => new layers.Multiply({ name: 'mul0' }),
  average: () => new layers.Average({ name: 'avg0' }),
  maximum: () => new layers.Maximum({ name: 'max0' }),
  minimum: () => new layers.Minimum({ name: 'min0' }),
};
delete built.conv2d; // its kernel initializer carries a seed, tested below

for (const [key, make] of Object.entries(built)) {
  test(`getConfig of ${key} built here equals Keras's get_config()`, () => {
    const layer = make();
    assert.equal(layer.getConfig(), fixture[key].config);
    assert.equal(layers.serialize(layer), fixture[key]);
  });
}

test('a seeded initializer keeps its seed in the config and draws the same values each time', () => {
  const layer = layers.deserialize(fixture.conv2d as unknown as never);
  assert.equal((layer.getConfig() as Record<string, Json>).kernel_initializer, fixture.conv2d.config.kernel_initializer);
});

test('Dense.fromConfig on the class builds a Dense; getConfig is Keras snake_case', () => {
  const d = layers.Dense.fromConfig(fixture.dense_full.config);
  assert.ok(d instanceof layers.Dense);
  assert.is(d.units, 5);
  assert.is(d.trainable, false);
  assert.equal(d.getConfig(), fixture.dense_full.config);
});

test('an unknown layer class names the class and how to register it', () => {
  assert.throws(() => layers.deserialize({ module: 'my_pkg', class_name: 'MyLayer', config: {}, registered_name: 'my_pkg>MyLayer' } as never),
    (e: Error) => e.message.includes("'my_pkg>MyLayer'") && e.message.includes('saving.registerKerasSerializable'));
});

test('a Lambda layer is never deserialized (safe mode)', () => {
  assert.throws(() => layers.deserialize({ module: 'keras.layers', class_name: 'Lambda', config: { name: 'l', function: 'x' }, registered_name: null } as never),
    (e: Error) => e.message.includes('Lambda') && e.message.includes('safe_mode'));
});

test('an unknown config key is an error naming the key', () => {
  const cfg = { ...fixture.dense_default, config: { ...fixture.dense_default.config, lora_rank: 4 } };
  assert.throws(() => layers.deserialize(cfg as never), (e: Error) => e.message.includes("'lora_rank'"));
});

test('an unsupported value of a known key is an error, not ignored', () => {
  const cfg = { ...fixture.flatten, config: { ...fixture.flatten.config, data_format: 'channels_first' } };
  assert.throws(() => layers.deserialize(cfg as never), (e: Error) => e.message.includes('data_format') && e.message.includes('not supported'));
  const q = { ...fixture.dense_default, config: { ...fixture.dense_default.config, quantization_config: { mode: 'int8' } } };
  assert.throws(() => layers.deserialize(q as never), (e: Error) => e.message.includes('quantization_config'));
});

test.run();
