/**
 * getConfig() / static fromConfig() on the objects themselves (optimizers, learning-rate schedules,
 * initializers, regularizers, constraints) against Keras 3.15's get_config()
 * (tests/fixtures/keras3/configs/objects.json and training.json, from keras_configs.py): each built
 * here with the fixture's options writes Keras's config, and fromConfig(getConfig()) writes it again.
 * Losses and metrics are in saving-config-training.test.ts.
 */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { constraints, initializers, optimizers, regularizers, saving } from '../src/index.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };
interface WithConfig { getConfig(): unknown; constructor: unknown }
const read = (name: string) => JSON.parse(readFileSync(new URL(`../../tests/fixtures/keras3/configs/${name}.json`, import.meta.url), 'utf8')) as Record<string, Record<string, Obj>>;
const training = read('training');
const objects = read('objects');

/** getConfig() is Keras's config, and the class's fromConfig of it gives an object writing it again. */
function roundTrip(obj: WithConfig, keras: Obj, what: string): void {
  assert.equal(obj.getConfig(), keras.config, `${what}: getConfig()`);
  const Cls = obj.constructor as { fromConfig(c: unknown): WithConfig };
  const again = Cls.fromConfig(obj.getConfig());
  assert.equal(again.getConfig(), keras.config, `${what}: fromConfig(getConfig()).getConfig()`);
  const fromKeras = Cls.fromConfig(keras.config);
  assert.equal(fromKeras.getConfig(), keras.config, `${what}: fromConfig(Keras's config).getConfig()`);
}

const S = optimizers.schedules;
const schedulesBuilt: Record<string, () => WithConfig> = {
  exponential: () => new S.ExponentialDecay({ initialLearningRate: 0.1, decaySteps: 100, decayRate: 0.5, staircase: true }),
  piecewise: () => new S.PiecewiseConstantDecay({ boundaries: [100, 200], values: [0.1, 0.05, 0.01] }),
  polynomial: () => new S.PolynomialDecay({ initialLearningRate: 0.1, decaySteps: 1000, endLearningRate: 0.001, power: 2 }),
  inverse_time: () => new S.InverseTimeDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5 }),
  cosine: () => new S.CosineDecay({ initialLearningRate: 1e-3, decaySteps: 1000, alpha: 0.1, warmupTarget: 2e-3, warmupSteps: 100 }),
  cosine_restarts: () => new S.CosineDecayRestarts({ initialLearningRate: 0.1, firstDecaySteps: 100 }),
};
test('every schedule fixture is built here', () => assert.equal(Object.keys(schedulesBuilt).sort(), Object.keys(training.schedules).sort()));
for (const [key, make] of Object.entries(schedulesBuilt)) {
  test(`schedule ${key}: getConfig() is Keras's get_config(), fromConfig round-trips`, () => roundTrip(make(), training.schedules[key], key));
}

/** Optimizers as the fixture script built them; Keras's global name counter numbered the later unnamed Adams. */
const optimizersBuilt: Record<string, () => optimizers.Optimizer> = {
  sgd: () => new optimizers.SGD({ learningRate: 0.1, momentum: 0.9, nesterov: true }),
  adam: () => new optimizers.Adam({ learningRate: 0.002, beta1: 0.8, amsgrad: true }),
  rmsprop: () => new optimizers.RMSprop({ learningRate: 0.01, rho: 0.8, centered: true }),
  adamw: () => new optimizers.AdamW({ learningRate: 0.001, weightDecay: 0.01 }),
  adagrad: () => new optimizers.Adagrad(), adadelta: () => new optimizers.Adadelta(), adamax: () => new optimizers.Adamax(),
  nadam: () => new optimizers.Nadam(), lion: () => new optimizers.Lion(), ftrl: () => new optimizers.Ftrl(),
  clip: () => new optimizers.Adam({ clipnorm: 1, name: 'adam_1' }),
  adam_schedule: () => new optimizers.Adam({ name: 'adam_2', learningRate: new S.ExponentialDecay({ initialLearningRate: 0.1, decaySteps: 100, decayRate: 0.5, staircase: true }) }),
};
test('every optimizer fixture is built here', () => assert.equal(Object.keys(optimizersBuilt).sort(), Object.keys(training.optimizers).sort()));
for (const [key, make] of Object.entries(optimizersBuilt)) {
  test(`optimizer ${key}: getConfig() is Keras's get_config(), fromConfig round-trips`, () => {
    const opt = make();
    roundTrip(opt as unknown as WithConfig, training.optimizers[key], key);
    assert.equal(saving.serializeOptimizer(opt), training.optimizers[key]);
  });
}
test('an optimizer from a config trains with its options: hyperparameters and the schedule reach it', () => {
  const opt = optimizers.Adam.fromConfig(training.optimizers.adam_schedule.config as Obj);
  assert.ok(opt.schedule instanceof S.ExponentialDecay);
  assert.is(opt.learningRate, 0.1);
  const sgd = optimizers.SGD.fromConfig(training.optimizers.sgd.config as Obj);
  assert.is(sgd.momentum, 0.9);
  assert.is(sgd.nesterov, true);
});

const I = initializers;
const initializersBuilt: Record<string, () => WithConfig> = {
  zeros: () => new I.Zeros(), ones: () => new I.Ones(), constant: () => new I.Constant(0.3),
  glorot_normal: () => new I.GlorotNormal(), he_uniform: () => new I.HeUniform(), he_normal: () => new I.HeNormal(),
  lecun_uniform: () => new I.LecunUniform(), lecun_normal: () => new I.LecunNormal(),
  random_normal: () => new I.RandomNormal({ mean: 0.5, stddev: 0.1 }), truncated_normal: () => new I.TruncatedNormal({ mean: 0, stddev: 0.3 }),
  orthogonal: () => new I.Orthogonal(2), variance_scaling: () => new I.VarianceScaling({ scale: 2, mode: 'fan_out', distribution: 'uniform' }),
  // Keras's seed= is kept by a SeededInitializer (keras-jit's initializers otherwise draw from the session's seed).
  glorot_uniform: () => new initializers.SeededInitializer(new I.GlorotUniform(), 1),
  random_uniform: () => new initializers.SeededInitializer(new I.RandomUniform({ minval: -0.1, maxval: 0.2 }), 4),
};
test('every initializer fixture is built here', () => assert.equal(Object.keys(initializersBuilt).sort(), Object.keys(objects.initializers).sort()));
for (const [key, make] of Object.entries(initializersBuilt)) {
  test(`initializer ${key}: getConfig() is Keras's get_config(), fromConfig round-trips`, () => {
    const init = make();
    assert.equal(init.getConfig(), objects.initializers[key].config);
    const Cls = (init instanceof initializers.SeededInitializer ? init.inner.constructor : init.constructor) as { fromConfig(c: unknown): WithConfig & initializers.Initializer };
    const again = Cls.fromConfig(init.getConfig());
    assert.equal(again.getConfig(), objects.initializers[key].config);
    assert.is(again.className, (init as unknown as initializers.Initializer).className);
    // The values drawn follow the config: the same seed (given or the session's) gives the same weights.
    assert.equal(Array.from(again.generate([3, 4], 9)), Array.from((init as unknown as initializers.Initializer).generate([3, 4], 9)));
  });
}

const regularizersBuilt: Record<string, () => regularizers.Regularizer> = {
  l1: () => new regularizers.L1(0.03), l2: () => new regularizers.L2(0.04), l1_l2: () => new regularizers.L1L2({ l1: 0.1, l2: 0.2 }),
  orthogonal: () => new regularizers.OrthogonalRegularizer({ factor: 0.05, mode: 'columns' }),
};
const constraintsBuilt: Record<string, () => constraints.Constraint> = {
  max_norm: () => new constraints.MaxNorm({ maxValue: 3, axis: [0, 1] }), min_max_norm: () => new constraints.MinMaxNorm({ minValue: 0.1, maxValue: 2, rate: 0.5 }),
  non_neg: () => new constraints.NonNeg(), unit_norm: () => new constraints.UnitNorm({ axis: 1 }),
};
test('every regularizer and constraint fixture is built here', () => {
  assert.equal(Object.keys(regularizersBuilt).sort(), Object.keys(objects.regularizers).sort());
  assert.equal(Object.keys(constraintsBuilt).sort(), Object.keys(objects.constraints).sort());
});
for (const [key, make] of Object.entries(regularizersBuilt)) {
  test(`regularizer ${key}: getConfig() is Keras's get_config(), fromConfig round-trips`, () => roundTrip(make(), objects.regularizers[key], key));
}
for (const [key, make] of Object.entries(constraintsBuilt)) {
  test(`constraint ${key}: getConfig() is Keras's get_config(), fromConfig round-trips`, () => roundTrip(make(), objects.constraints[key], key));
}

test('bad object configs are clear errors naming the key', () => {
  assert.throws(() => optimizers.SGD.fromConfig({ ...(training.optimizers.sgd.config as Obj), decay: 0.1 }), /'decay'/);
  assert.throws(() => S.ExponentialDecay.fromConfig({ ...(training.schedules.exponential.config as Obj), bogus: 1 }), /bogus/);
  assert.throws(() => regularizers.L1.fromConfig({ l1: 'big' }), /l1/);
  assert.throws(() => regularizers.L2.fromConfig({ l2: 0.1, l3: 1 }), /'l3'/);
  assert.throws(() => constraints.MaxNorm.fromConfig({ max_value: 2, axis: 'rows' }), /axis/);
  assert.throws(() => initializers.GlorotUniform.fromConfig({ seed: null, input_axes: [0], output_axes: null }), /input_axes/);
  assert.throws(() => initializers.Constant.fromConfig({ value: 1, seed: 3 }), /'seed'/);
});

test.run();
