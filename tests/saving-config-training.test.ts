/**
 * Configs of what compile() takes against Keras 3.15 (tests/fixtures/keras3/configs/training.json,
 * objects.json, models.json): optimizers and schedules, initializers, regularizers, constraints,
 * and a compiled model's compile_config; re-compiling from Keras's compile_config.
 */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { constraints, initializers, losses, metrics, models, optimizers, regularizers, saving } from '../src/index.js';

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

// Every loss and metric class built here with the options Keras's fixture used (Keras snake_case
// keys spelled camelCase): its getConfig() must be Keras's config and serialize its whole object.
const lossesBuilt: Record<string, () => losses.Loss> = {
  mse: () => new losses.MeanSquaredError(), mae: () => new losses.MeanAbsoluteError(),
  cce: () => new losses.CategoricalCrossentropy({ labelSmoothing: 0.1, fromLogits: true }),
  scce: () => new losses.SparseCategoricalCrossentropy(), bce: () => new losses.BinaryCrossentropy(),
  huber_default: () => new losses.Huber(), log_cosh: () => new losses.LogCosh(), kld: () => new losses.KLDivergence(),
  poisson: () => new losses.Poisson(), cosine_default: () => new losses.CosineSimilarity(), hinge: () => new losses.Hinge(),
  squared_hinge: () => new losses.SquaredHinge({ reduction: 'sum' }), categorical_hinge: () => new losses.CategoricalHinge(),
  mape: () => new losses.MeanAbsolutePercentageError(), msle: () => new losses.MeanSquaredLogarithmicError({ name: 'my_msle' }),
  bce_full: () => new losses.BinaryCrossentropy({ fromLogits: true, labelSmoothing: 0.2, reduction: 'mean' }),
  scce_logits: () => new losses.SparseCategoricalCrossentropy({ fromLogits: true, reduction: 'none' }),
  binary_focal: () => new losses.BinaryFocalCrossentropy(),
  binary_focal_full: () => new losses.BinaryFocalCrossentropy({ applyClassBalancing: true, alpha: 0.3, gamma: 3, fromLogits: true, labelSmoothing: 0.1 }),
  categorical_focal: () => new losses.CategoricalFocalCrossentropy(),
  categorical_focal_full: () => new losses.CategoricalFocalCrossentropy({ alpha: 0.4, gamma: 1.5, fromLogits: true, labelSmoothing: 0.05, reduction: 'sum' }),
};
for (const [key, make] of Object.entries(lossesBuilt)) {
  test(`loss ${key} built here: getConfig() and serializeLoss are Keras's; fromConfig(getConfig()) gives the same config`, () => {
    const loss = make();
    assert.equal(loss.getConfig(), training.losses[key].config);
    assert.equal(saving.serializeLoss(loss), training.losses[key]);
    const Cls = loss.constructor as unknown as { fromConfig(c: Obj): losses.Loss };
    const again = Cls.fromConfig(loss.getConfig() as Obj);
    assert.is(again.constructor, loss.constructor);
    assert.equal(again.getConfig(), loss.getConfig());
  });
}

test('Huber delta and CosineSimilarity axis: Keras leaves them out, keras-jit writes them only when set, and Keras reads them', () => {
  const extras = training.from_config_kwargs as unknown as Record<string, { config: Obj; kwargs: Obj }>;
  // Keras writes the same config for Huber(delta=2) as for Huber(): the defaults match it exactly.
  assert.equal(training.losses.huber, training.losses.huber_default);
  const huber = new losses.Huber({ delta: 2 });
  assert.equal(huber.getConfig(), extras.huber_delta.config);
  assert.equal(extras.huber_delta.kwargs, { delta: 2 });
  const cos = new losses.CosineSimilarity({ axis: 1 });
  assert.equal(cos.getConfig(), extras.cosine_axis.config);
  assert.equal(extras.cosine_axis.kwargs, { axis: 1 });
  assert.equal((saving.deserializeLoss(saving.serializeLoss(huber)) as losses.Loss).getConfig(), huber.getConfig());
  // The option reaches the loss: delta 2 and the default give different values for an error of 3.
  const y = [[0]], p = [[3]];
  assert.is(saving.deserializeLoss(saving.serializeLoss(huber)).compute(y, p), huber.compute(y, p));
  assert.is.not(huber.compute(y, p), new losses.Huber().compute(y, p));
});

const metricsBuilt: Record<string, () => metrics.Metric | metrics.StatefulMetric> = {
  accuracy: () => new metrics.Accuracy(), mae: () => new metrics.MeanAbsoluteError(), top_k: () => new metrics.TopKCategoricalAccuracy({ k: 5 }),
  auc: () => new metrics.AUC(), precision: () => new metrics.Precision(),
  binary_accuracy: () => new metrics.BinaryAccuracy({ threshold: 0.3 }), binary_accuracy_default: () => new metrics.BinaryAccuracy(),
  categorical_accuracy: () => new metrics.CategoricalAccuracy(), sparse_categorical_accuracy: () => new metrics.SparseCategoricalAccuracy({ name: 'sca' }),
  mse: () => new metrics.MeanSquaredError(), top_k_3: () => new metrics.TopKCategoricalAccuracy({ k: 3, name: 'top3' }),
  sparse_top_k: () => new metrics.SparseTopKCategoricalAccuracy({ k: 2 }), sparse_top_k_default: () => new metrics.SparseTopKCategoricalAccuracy(),
  auc_full: () => new metrics.AUC({ numThresholds: 50, curve: 'PR', summationMethod: 'minoring', fromLogits: true, multiLabel: true, name: 'pr_auc' }),
  precision_full: () => new metrics.Precision({ thresholds: [0.3, 0.6], classId: 1, name: 'p_multi' }), precision_one: () => new metrics.Precision({ thresholds: 0.7, name: 'p_07' }),
  recall: () => new metrics.Recall(), recall_top_k: () => new metrics.Recall({ topK: 2, name: 'r_at_2' }),
  rmse: () => new metrics.RootMeanSquaredError(), r2: () => new metrics.R2Score(), r2_raw: () => new metrics.R2Score({ classAggregation: null }),
  r2_weighted: () => new metrics.R2Score({ classAggregation: 'variance_weighted_average' }),
  f1: () => new metrics.F1Score(), f1_macro: () => new metrics.F1Score({ average: 'macro', threshold: 0.4 }),
  mean_iou: () => new metrics.MeanIoU({ numClasses: 3 }), mean: () => new metrics.Mean(), sum: () => new metrics.Sum({ name: 'total' }),
};
test('every metric fixture is built here', () => {
  assert.equal(Object.keys(training.metrics).filter((k) => !(k in metricsBuilt)), []);
});
for (const [key, make] of Object.entries(metricsBuilt)) {
  test(`metric ${key}: getConfig() and serializeMetric are Keras's; Keras's config reads back to the same`, () => {
    const metric = make();
    assert.equal(metric.getConfig(), training.metrics[key].config);
    assert.equal(saving.serializeMetric(metric), training.metrics[key]);
    const read = saving.deserializeMetric(training.metrics[key] as never) as metrics.Metric;
    assert.is(read.constructor, metric.constructor);
    assert.equal(saving.serializeMetric(read), training.metrics[key]);
    const Cls = metric.constructor as unknown as { fromConfig(c: Obj): metrics.Metric };
    assert.equal(Cls.fromConfig(metric.getConfig() as Obj).getConfig(), metric.getConfig());
  });
}

test('a metric read from a config computes as the one written: Precision thresholds and classId reach it', () => {
  const written = new metrics.Precision({ thresholds: [0.3, 0.6], classId: 1 });
  const read = saving.deserializeMetric(saving.serializeMetric(written)) as metrics.Precision;
  const yTrue = [[0, 1, 0], [1, 1, 0], [0, 0, 1]], yPred = [[0.2, 0.5, 0.1], [0.9, 0.7, 0.1], [0.1, 0.4, 0.8]];
  written.updateState(yTrue, yPred);
  read.updateState(yTrue, yPred);
  assert.equal(read.result(), written.result());
  // The options matter for these values: a default Precision scores them differently.
  const plain = new metrics.Precision();
  plain.updateState(yTrue, yPred);
  assert.ok(Array.isArray(read.result()) && JSON.stringify(read.result()) !== JSON.stringify([plain.result(), plain.result()]));
});

test('metric and loss objects in compile(): compile_config is Keras\'s, and reads back to it', () => {
  const keras = training.compiled_with_objects as unknown as Obj;
  const { compile_config: cc, ...rest } = keras;
  const built = models.modelFromConfig(rest as never);
  built.compile({
    optimizer: 'adam', loss: new losses.CategoricalFocalCrossentropy({ gamma: 3 }),
    metrics: [new metrics.TopKCategoricalAccuracy({ k: 2 }), new metrics.AUC({ numThresholds: 20 }), new metrics.Precision(), new metrics.F1Score({ average: 'micro' }), 'accuracy'],
    weightedMetrics: [new metrics.CategoricalAccuracy({ name: 'wacc' })],
  });
  assert.equal(saving.compileConfigOf(built), cc);
  const again = models.modelFromConfig(rest as never);
  saving.compileFromConfig(again, cc as Obj);
  assert.equal(saving.compileConfigOf(again), cc);
});

test('bad loss and metric configs are clear errors', () => {
  const auc = training.metrics.auc;
  assert.throws(() => saving.deserializeMetric({ ...auc, config: { ...(auc.config as Obj), label_weights: [1, 2] } } as never), /label_weights/);
  assert.throws(() => saving.deserializeMetric({ ...auc, config: { ...(auc.config as Obj), bogus: 1 } } as never), /'bogus'/);
  assert.throws(() => saving.deserializeMetric({ ...auc, config: { ...(auc.config as Obj), dtype: 'float16' } } as never), /float16/);
  assert.throws(() => saving.deserializeMetric({ ...auc, class_name: 'Exactness' } as never), /Exactness/);
  const bf = training.losses.binary_focal;
  assert.throws(() => saving.deserializeLoss({ ...bf, config: { ...(bf.config as Obj), axis: 1 } } as never), /axis/);
  assert.throws(() => saving.serializeMetric(new metrics.Metric('mine', (t) => t)), /not a built-in Keras metric/);
  assert.throws(() => new losses.Loss('mine', (t) => t).getConfig(), /wraps a function/);
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
