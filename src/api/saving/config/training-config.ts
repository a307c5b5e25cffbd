/**
 * Keras 3 configs of what compile() takes: optimizers (with learning-rate schedules), losses,
 * metrics, and the model's compile_config, plus re-compiling a model from one.
 */
import * as lossesApi from '../../losses.js';
import * as metricsApi from '../../metrics.js';
import type { Model } from '../../models/model.js';
import { toSnakeCase } from '../../naming.js';
import * as optimizersApi from '../../optimizers.js';
import { LearningRateSchedule } from '../../schedules.js';
import type { CompileOptions } from '../../training/types.js';
import { checkConfigKeys, isJsonObject, type Json, type JsonObject } from './json.js';
import { serialized, unknownClass, unpack } from './objects.js';

const { schedules } = optimizersApi;
type Ctor<T> = new (options?: never) => T;

const snake = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`).replace(/beta(\d)/, 'beta_$1');
const camel = (k: string) => k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const jsonOf = (v: unknown): Json => (v === undefined ? null : Array.isArray(v) ? v.map(jsonOf) : v as Json);

const SCHEDULES: Record<string, Ctor<LearningRateSchedule>> = {
  ExponentialDecay: schedules.ExponentialDecay, PiecewiseConstantDecay: schedules.PiecewiseConstantDecay,
  PolynomialDecay: schedules.PolynomialDecay, InverseTimeDecay: schedules.InverseTimeDecay,
  CosineDecay: schedules.CosineDecay, CosineDecayRestarts: schedules.CosineDecayRestarts,
} as unknown as Record<string, Ctor<LearningRateSchedule>>;

export function serializeSchedule(s: LearningRateSchedule): JsonObject {
  const className = Object.keys(SCHEDULES).find((k) => SCHEDULES[k] === s.constructor);
  if (className === undefined) throw new Error(`Cannot serialize learning-rate schedule ${s.constructor.name}: not a built-in Keras schedule`);
  const config = Object.fromEntries(Object.entries(s.getConfig()).map(([k, v]) => [snake(k), jsonOf(v)]));
  return serialized('keras.optimizers.schedules', className, config);
}

export function deserializeSchedule(value: Json): LearningRateSchedule {
  const { className, config } = unpack(value, 'learning rate schedule');
  const Cls = SCHEDULES[className];
  if (Cls === undefined) throw unknownClass(className, 'learning rate schedule');
  const options = Object.fromEntries(Object.entries(config).filter(([, v]) => v !== null).map(([k, v]) => [camel(k), v]));
  const made = new (Cls as unknown as new (o: unknown) => LearningRateSchedule)(options);
  // Keys the class does not write back are options it does not know: the constructor's own check names them.
  checkConfigKeys(`schedule ${className}`, config, Object.keys(made.getConfig()).map(snake));
  return made;
}

const OPTIMIZERS: Record<string, Ctor<optimizersApi.Optimizer>> = {
  SGD: optimizersApi.SGD, Adam: optimizersApi.Adam, AdamW: optimizersApi.AdamW, RMSprop: optimizersApi.RMSprop,
  Adagrad: optimizersApi.Adagrad, Adadelta: optimizersApi.Adadelta, Adamax: optimizersApi.Adamax,
  Nadam: optimizersApi.Nadam, Lion: optimizersApi.Lion, Ftrl: optimizersApi.Ftrl,
} as unknown as Record<string, Ctor<optimizersApi.Optimizer>>;

/** What every Keras 3 optimizer writes besides its own hyperparameters. */
const COMMON = ['name', 'learning_rate', 'weight_decay', 'clipnorm', 'global_clipnorm', 'clipvalue', 'use_ema', 'ema_momentum', 'ema_overwrite_frequency', 'loss_scale_factor', 'gradient_accumulation_steps'];

export function serializeOptimizer(opt: optimizersApi.Optimizer): JsonObject {
  const className = Object.keys(OPTIMIZERS).find((k) => OPTIMIZERS[k] === opt.constructor);
  if (className === undefined) throw new Error(`Cannot serialize optimizer ${opt.constructor.name}: not a built-in Keras optimizer`);
  const own = opt.getConfig();
  const config: Record<string, Json> = {};
  // Keras names an optimizer left unnamed by its snake_case class name (its auto_name).
  const defaultName = new OPTIMIZERS[className]().name;
  config.name = opt.name === defaultName ? toSnakeCase(className) : opt.name;
  // Keras keeps the rate in a float32 variable, so its config holds the float32 value.
  config.learning_rate = opt.schedule !== undefined ? serializeSchedule(opt.schedule) : Math.fround(opt.learningRate);
  for (const key of ['weightDecay', 'clipnorm', 'globalClipnorm', 'clipvalue', 'useEma', 'emaMomentum', 'emaOverwriteFrequency']) config[snake(key)] = jsonOf((opt as unknown as Record<string, unknown>)[key]);
  config.loss_scale_factor = null;
  config.gradient_accumulation_steps = jsonOf(opt.gradientAccumulationSteps);
  for (const [k, v] of Object.entries(own)) {
    const key = snake(k);
    if (!(key in config)) config[key] = jsonOf(v);
  }
  return serialized('keras.optimizers', className, config);
}

export function deserializeOptimizer(value: Json): optimizersApi.Optimizer {
  if (typeof value === 'string') return optimizersApi.getOptimizer(value);
  const { className, config } = unpack(value, 'optimizer');
  const Cls = OPTIMIZERS[className];
  if (Cls === undefined) throw unknownClass(className, 'optimizer');
  const ownKeys = Object.keys(serializeOptimizer(new Cls()).config as JsonObject);
  checkConfigKeys(`optimizer ${className}`, config, [...COMMON, ...ownKeys]);
  if (config.loss_scale_factor !== undefined && config.loss_scale_factor !== null) throw new Error(`optimizer ${className}: loss_scale_factor is not supported by keras-jit (no mixed precision)`);
  const options: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) {
    if (v === null || k === 'loss_scale_factor' || k === 'name') continue;
    if (k === 'use_ema' && v === false) continue;
    if (k === 'ema_momentum' && config.use_ema !== true) continue;
    options[camel(k)] = k === 'learning_rate' && isJsonObject(v) ? deserializeSchedule(v) : v;
  }
  if (typeof config.name === 'string' && config.name !== toSnakeCase(className)) options.name = config.name;
  return new (Cls as unknown as new (o: unknown) => optimizersApi.Optimizer)(options);
}

/** Loss and metric objects: Keras's class names for the ones whose whole config is name (and reduction). */
const PLAIN_LOSSES = ['MeanSquaredError', 'MeanAbsoluteError', 'MeanAbsolutePercentageError', 'MeanSquaredLogarithmicError', 'LogCosh', 'KLDivergence', 'Poisson', 'Hinge', 'SquaredHinge', 'CategoricalHinge'];

/**
 * Losses with options: the keys Keras 3.15 writes besides name and reduction, each with its
 * default; a key keras-jit has no option for (axis, ignore_class) is fixed to Keras's default.
 * Keras's Huber writes no `delta` (so a config cannot carry it; keras-jit writes what Keras does).
 */
const LOSS_KEYS: Record<string, { readonly own: Record<string, Json>; readonly fixed: Record<string, Json> }> = {
  CategoricalCrossentropy: { own: { from_logits: false, label_smoothing: 0 }, fixed: { axis: -1 } },
  BinaryCrossentropy: { own: { from_logits: false, label_smoothing: 0 }, fixed: { axis: -1 } },
  SparseCategoricalCrossentropy: { own: { from_logits: false }, fixed: { ignore_class: null } },
  Huber: { own: {}, fixed: {} },
};

export function serializeLoss(loss: lossesApi.Loss): JsonObject {
  const className = loss.constructor.name;
  const spec = LOSS_KEYS[className];
  if (spec === undefined && !PLAIN_LOSSES.includes(className)) throw new Error(`Cannot write loss ${className} into a config yet; built-in losses with a Keras config: ${[...PLAIN_LOSSES, ...Object.keys(LOSS_KEYS)].join(', ')}`);
  const config: Record<string, Json> = { name: loss.name, reduction: loss.reduction };
  for (const [key, fallback] of Object.entries(spec?.own ?? {})) config[key] = jsonOf((loss.constructorOptions as Record<string, unknown>)[camel(key)] ?? fallback);
  Object.assign(config, spec?.fixed ?? {});
  return serialized('keras.losses', className, config);
}

export function deserializeLoss(value: Json): lossesApi.Loss {
  if (typeof value === 'string') return lossesApi.getLoss(value);
  const { className, config } = unpack(value, 'loss');
  const spec = LOSS_KEYS[className];
  const table = lossesApi as unknown as Record<string, new (o: unknown) => lossesApi.Loss>;
  if ((spec === undefined && !PLAIN_LOSSES.includes(className)) || typeof table[className] !== 'function') throw unknownClass(className, 'loss');
  checkConfigKeys(`loss ${className}`, config, ['name', 'reduction', ...Object.keys(spec?.own ?? {}), ...Object.keys(spec?.fixed ?? {})]);
  for (const [key, only] of Object.entries(spec?.fixed ?? {})) {
    if (config[key] !== undefined && JSON.stringify(config[key]) !== JSON.stringify(only)) throw new Error(`loss ${className}: ${key}=${JSON.stringify(config[key])} is not supported by keras-jit; only ${JSON.stringify(only)} is`);
  }
  const options: Record<string, unknown> = {};
  for (const key of ['name', 'reduction', ...Object.keys(spec?.own ?? {})]) if (config[key] !== undefined && config[key] !== null) options[camel(key)] = config[key];
  return new table[className](options);
}
const PLAIN_METRICS = ['CategoricalAccuracy', 'SparseCategoricalAccuracy', 'MeanSquaredError', 'MeanAbsoluteError'];

function serializeLossOrMetric(v: unknown, what: 'loss' | 'metric'): Json {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.map((x) => serializeLossOrMetric(x, what));
  if (what === 'loss' && v instanceof lossesApi.Loss) return serializeLoss(v);
  if (what === 'metric' && v instanceof metricsApi.Metric && PLAIN_METRICS.includes(v.constructor.name)) {
    return serialized('keras.metrics', v.constructor.name, { name: v.name, dtype: 'float32' });
  }
  if (typeof v === 'object' && !(v instanceof lossesApi.Loss) && !(v instanceof metricsApi.Metric)) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, serializeLossOrMetric(x, what)]));
  }
  const name = typeof v === 'function' ? v.name || 'an anonymous function' : (v as object).constructor.name;
  throw new Error(`compile_config: cannot write the ${what} ${name} into a config yet; pass it to compile() by its Keras name (e.g. '${what === 'loss' ? 'categorical_crossentropy' : 'accuracy'}') to make the model savable`);
}

function deserializeLossOrMetric(v: Json, what: 'loss' | 'metric'): unknown {
  if (v === null || typeof v === 'string' || typeof v === 'number') return v;
  if (Array.isArray(v)) return v.map((x) => deserializeLossOrMetric(x, what));
  if (what === 'loss' && isJsonObject(v) && typeof v.class_name === 'string' && 'config' in v) return deserializeLoss(v);
  if (isJsonObject(v) && typeof v.class_name === 'string' && 'config' in v) {
    const { className, config } = unpack(v, what);
    const table = (what === 'loss' ? lossesApi : metricsApi) as unknown as Record<string, unknown>;
    if (!(what === 'loss' ? PLAIN_LOSSES : PLAIN_METRICS).includes(className) || typeof table[className] !== 'function') throw unknownClass(className, what);
    checkConfigKeys(`${what} ${className}`, config, what === 'loss' ? ['name', 'reduction'] : ['name', 'dtype']);
    if (what === 'metric' && config.dtype !== undefined && config.dtype !== 'float32') throw new Error(`metric ${className}: dtype ${JSON.stringify(config.dtype)} is not supported; expected float32`);
    const options = what === 'loss' ? { name: config.name, reduction: config.reduction } : { name: config.name };
    return new (table[className] as new (o: unknown) => unknown)(options);
  }
  if (isJsonObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, deserializeLossOrMetric(x, what)]));
  throw new Error(`compile_config: cannot read ${what} ${JSON.stringify(v)}`);
}

/** Keras 3's model.get_compile_config(): {} for a model never compiled. */
export function compileConfigOf(model: Model): JsonObject {
  const options = model.compileOptions;
  if (options === undefined || model.compiled === undefined) return {};
  const lossWeights = options.lossWeights;
  return {
    optimizer: serializeOptimizer(model.compiled.optimizer),
    loss: serializeLossOrMetric(options.loss, 'loss'),
    loss_weights: lossWeights === undefined ? null : jsonOf(typeof lossWeights === 'object' && !Array.isArray(lossWeights) ? { ...lossWeights } : lossWeights),
    metrics: serializeLossOrMetric(options.metrics, 'metric'),
    weighted_metrics: serializeLossOrMetric(options.weightedMetrics, 'metric'),
    run_eagerly: false,
    steps_per_execution: 1,
    jit_compile: true,
  };
}

export interface CompileFromConfigOptions {
  readonly customObjects?: Readonly<Record<string, unknown>>;
}

/** Re-compiles `model` as compile_config says; an empty config leaves it uncompiled. */
export function compileFromConfig(model: Model, config: Json, _options: CompileFromConfigOptions = {}): void {
  if (!isJsonObject(config)) throw new Error(`compile_config: expected an object, got ${JSON.stringify(config)}`);
  if (Object.keys(config).length === 0) return;
  checkConfigKeys('compile_config', config, ['optimizer', 'loss', 'loss_weights', 'metrics', 'weighted_metrics', 'run_eagerly', 'steps_per_execution', 'jit_compile', 'auto_scale_loss']);
  if (config.run_eagerly === true) throw new Error('compile_config: run_eagerly=true is not supported; keras-jit always compiles the step');
  if (config.steps_per_execution !== undefined && config.steps_per_execution !== 1) throw new Error(`compile_config: steps_per_execution=${JSON.stringify(config.steps_per_execution)} is not supported; expected 1`);
  const options: Record<string, unknown> = {};
  if (config.optimizer !== undefined && config.optimizer !== null) options.optimizer = deserializeOptimizer(config.optimizer);
  if (config.loss !== undefined && config.loss !== null) options.loss = deserializeLossOrMetric(config.loss, 'loss');
  if (config.loss_weights !== undefined && config.loss_weights !== null) options.lossWeights = config.loss_weights;
  if (config.metrics !== undefined && config.metrics !== null) options.metrics = deserializeLossOrMetric(config.metrics, 'metric');
  if (config.weighted_metrics !== undefined && config.weighted_metrics !== null) options.weightedMetrics = deserializeLossOrMetric(config.weighted_metrics, 'metric');
  model.compile(options as CompileOptions);
}
