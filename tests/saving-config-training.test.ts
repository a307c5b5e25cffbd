/**
 * Configs of what compile() takes against Keras 3.15 (tests/fixtures/keras3/configs/training.json,
 * objects.json, models.json): optimizers and schedules, initializers, regularizers, constraints,
 * and a compiled model's compile_config; re-compiling from Keras's compile_config.
 */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { constraints, initializers, losses, models, optimizers, regularizers, saving } from '../src/index.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };
const read = (name: string) => JSON.parse(readFileSync(new URL(`../../tests/fixtures/keras3/configs/${name}.json`, import.meta.url), 'utf8')) as Record<string, Record<string, Obj>>;
const training = read('training');
const objects = read('objects');
const modelsFx = read('models') as unknown as Record<string, Obj>;

for (const [key, keras] of Object.entries(training.optimizers)) {
  test(`optimizer ${key}: Keras's config reads and writes back the same`, () => {
    const opt = saving.deserializeOptimizer(keras as never);
    const again = saving.serializeOptimizer(opt) as Obj;
    // Keras numbers a second unnamed Adam 'adam_1' (a global name counter); keras-jit writes the plain auto name.
    if (key === 'clip') assert.equal({ ...(again.config as Obj), name: 'adam_1' }, keras.config);
    else assert.equal(again, keras);
  });
}

test('optimizers built here write Keras\'s configs', () => {
  assert.equal(saving.serializeOptimizer(new optimizers.SGD({ learningRate: 0.1, momentum: 0.9, nesterov: true })), training.optimizers.sgd);
  assert.equal(saving.serializeOptimizer(new optimizers.Adam({ learningRate: 0.002, beta1: 0.8, amsgrad: true })), training.optimizers.adam);
  assert.equal(saving.serializeOptimizer(new optimizers.AdamW({ learningRate: 0.001, weightDecay: 0.01 })), training.optimizers.adamw);
  const sched = new optimizers.schedules.ExponentialDecay({ initialLearningRate: 0.1, decaySteps: 100, decayRate: 0.5, staircase: true });
  // Keras's global optimizer name counter made this one 'adam_2'; keras-jit writes the plain auto name.
  const withSchedule = saving.serializeOptimizer(new optimizers.Adam({ learningRate: sched })) as Obj;
  assert.equal({ ...withSchedule, config: { ...(withSchedule.config as Obj), name: 'adam_2' } }, training.optimizers.adam_schedule);
});

for (const [key, keras] of Object.entries(training.schedules)) {
  test(`schedule ${key}: Keras's config reads and writes back the same`, () => {
    assert.equal(saving.serializeSchedule(saving.deserializeSchedule(keras as never)), keras);
  });
}

for (const [key, keras] of Object.entries(objects.initializers)) {
  test(`initializer ${key} round trip`, () => {
    assert.equal(saving.serializeInitializer(saving.deserializeInitializer(keras as never)), keras);
  });
}
for (const [key, keras] of Object.entries(objects.regularizers)) {
  test(`regularizer ${key} round trip`, () => {
    assert.equal(saving.serializeRegularizer(saving.deserializeRegularizer(keras as never)), keras);
  });
}
for (const [key, keras] of Object.entries(objects.constraints)) {
  test(`constraint ${key} round trip`, () => {
    assert.equal(saving.serializeConstraint(saving.deserializeConstraint(keras as never)), keras);
  });
}

test('objects built here write Keras\'s configs', () => {
  assert.equal(saving.serializeInitializer(new initializers.Constant(0.3)), objects.initializers.constant);
  assert.equal(saving.serializeInitializer(new initializers.VarianceScaling({ scale: 2, mode: 'fan_out', distribution: 'uniform' })), objects.initializers.variance_scaling);
  assert.equal(saving.serializeInitializer('he_uniform'), objects.initializers.he_uniform);
  assert.equal(saving.serializeRegularizer(regularizers.l1(0.03)), objects.regularizers.l1);
  assert.equal(saving.serializeRegularizer(new regularizers.OrthogonalRegularizer({ factor: 0.05, mode: 'columns' })), objects.regularizers.orthogonal);
  assert.equal(saving.serializeConstraint(new constraints.MinMaxNorm({ minValue: 0.1, maxValue: 2, rate: 0.5 })), objects.constraints.min_max_norm);
  assert.equal(saving.serializeConstraint(constraints.maxNorm(3, [0, 1])), objects.constraints.max_norm);
});

for (const [key, keras] of Object.entries(training.losses)) {
  test(`loss ${key}: Keras's config reads and writes back the same`, () => {
    assert.equal(saving.serializeLoss(saving.deserializeLoss(keras as never)), keras);
  });
}

test('losses built here write Keras\'s configs', () => {
  assert.equal(saving.serializeLoss(new losses.CategoricalCrossentropy({ labelSmoothing: 0.1, fromLogits: true })), training.losses.cce);
  assert.equal(saving.serializeLoss(new losses.SparseCategoricalCrossentropy()), training.losses.scce);
  assert.equal(saving.serializeLoss(new losses.MeanSquaredError()), training.losses.mse);
  const scce = training.losses.scce;
  assert.throws(() => saving.deserializeLoss({ ...scce, config: { ...(scce.config as Obj), ignore_class: 0 } } as never), /ignore_class/);
});

test('a seeded initializer from a config draws the same values every time', () => {
  const init = saving.deserializeInitializer(objects.initializers.random_uniform as never);
  assert.equal(Array.from(init.generate([5], 1)), Array.from(init.generate([5], 2)));
});

for (const key of ['seq', 'fn']) {
  test(`compile_config of Keras's ${key}: a model re-compiled from it writes it back`, () => {
    const { compile_config: keras, ...rest } = modelsFx[key];
    const model = models.modelFromConfig(rest as never);
    saving.compileFromConfig(model, keras);
    assert.ok(model.compiled !== undefined);
    assert.equal(saving.compileConfigOf(model), keras);
  });
}

test('an uncompiled model has an empty compile_config', () => {
  const { compile_config: _, ...rest } = modelsFx.cnn;
  assert.equal(saving.compileConfigOf(models.modelFromConfig(rest as never)), {});
});

test('bad training configs are clear errors', () => {
  assert.throws(() => saving.deserializeOptimizer({ module: 'x', class_name: 'Shampoo', config: {}, registered_name: null } as never), /Shampoo/);
  const sgd = training.optimizers.sgd;
  assert.throws(() => saving.deserializeOptimizer({ ...sgd, config: { ...(sgd.config as Obj), decay: 0.1 } } as never), /'decay'/);
  assert.throws(() => saving.deserializeOptimizer({ ...sgd, config: { ...(sgd.config as Obj), loss_scale_factor: 128 } } as never), /loss_scale_factor/);
  assert.throws(() => saving.deserializeInitializer({ class_name: 'GlorotUniform', config: { seed: null, input_axes: [0], output_axes: null } } as never), /input_axes/);
  const { compile_config: cc, ...rest } = modelsFx.seq;
  const model = models.modelFromConfig(rest as never);
  assert.throws(() => saving.compileFromConfig(model, { ...(cc as Obj), steps_per_execution: 4 }), /steps_per_execution/);
});

test.run();
