/**
 * Keras 3 configs of what compile() takes: optimizers (with learning-rate schedules), losses,
 * metrics, and the model's compile_config, plus re-compiling a model from one.
 */
import * as lossesApi from '../../losses.js';
import * as metricsApi from '../../metrics.js';
import type { Model } from '../../models/model.js';
import * as optimizersApi from '../../optimizers.js';
import type { CompileOptions } from '../../training/types.js';
import { checkConfigKeys, isJsonObject, type Json, type JsonObject } from './json.js';
import { customClass, registrationOf, type CustomObjects, type SerializableClass } from './class-registry.js';
import { serialized, unknownClass, unpack } from './objects.js';

interface OptimizerClass {
  new (options?: never): optimizersApi.Optimizer;
  fromConfig(config: JsonObject): optimizersApi.Optimizer;
}
const OPTIMIZERS: Record<string, OptimizerClass> = {
  SGD: optimizersApi.SGD, Adam: optimizersApi.Adam, AdamW: optimizersApi.AdamW, RMSprop: optimizersApi.RMSprop,
  Adagrad: optimizersApi.Adagrad, Adadelta: optimizersApi.Adadelta, Adamax: optimizersApi.Adamax,
  Nadam: optimizersApi.Nadam, Lion: optimizersApi.Lion, Ftrl: optimizersApi.Ftrl,
};

export { serializeSchedule, deserializeSchedule } from '../../schedules.js';

export function serializeOptimizer(opt: optimizersApi.Optimizer): JsonObject {
  const className = Object.keys(OPTIMIZERS).find((k) => OPTIMIZERS[k] === opt.constructor);
  if (className === undefined) throw new Error(`Cannot serialize optimizer ${opt.constructor.name}: not a built-in Keras optimizer`);
  return serialized('keras.optimizers', className, opt.getConfig());
}

export function deserializeOptimizer(value: Json): optimizersApi.Optimizer {
  if (typeof value === 'string') return optimizersApi.getOptimizer(value);
  const { className, config } = unpack(value, 'optimizer');
  const Cls = OPTIMIZERS[className];
  if (Cls === undefined) throw unknownClass(className, 'optimizer');
  return Cls.fromConfig(config);
}

const jsonOf = (v: unknown): Json => (v === undefined ? null : Array.isArray(v) ? v.map(jsonOf) : v as Json);

/** The Loss classes with a Keras config, by Keras class name. */
interface LossClass {
  new (options?: never): lossesApi.Loss;
  readonly kerasConfig: unknown;
  fromConfig(config: JsonObject): lossesApi.Loss;
}
const LOSS_CLASSES: Readonly<Record<string, LossClass>> = Object.fromEntries(
  Object.entries(lossesApi).filter(([, v]) => typeof v === 'function' && v.prototype instanceof lossesApi.Loss && (v as unknown as LossClass).kerasConfig !== undefined),
) as unknown as Record<string, LossClass>;

/** A custom class's serialize_keras_object form, as Keras writes a class registered with register_keras_serializable. */
function serializedCustom(obj: { constructor: unknown; getConfig(): Record<string, Json> }, what: string, builtins: readonly string[]): JsonObject {
  const cls = obj.constructor as SerializableClass;
  const registration = registrationOf(cls);
  if (registration === undefined) throw new Error(`Cannot serialize ${what} ${cls.name}: it is not a built-in Keras ${what} class (${builtins.join(', ')}). Register it with saving.registerKerasSerializable(${cls.name}, { package }) and give it getConfig() / static fromConfig().`);
  return { module: registration.module, class_name: cls.name, config: obj.getConfig(), registered_name: registration.name };
}

/** The class a config names: a registered or customObjects class first, then the built-in of that class_name. */
function classOf<C>(value: JsonObject, className: string, builtins: Readonly<Record<string, C>>, base: SerializableClass, what: string, customObjects: CustomObjects): C {
  const registeredName = typeof value.registered_name === 'string' ? value.registered_name : null;
  const custom = customClass(className, registeredName, customObjects);
  if (custom !== undefined) {
    if (!(custom === base || Object.prototype.isPrototypeOf.call(base, custom))) throw new Error(`${what} config: '${registeredName ?? className}' names ${custom.name}, which is not a ${what} class`);
    return custom as unknown as C;
  }
  const builtin = builtins[className];
  if (builtin === undefined || (registeredName !== null && registeredName !== className)) throw unknownClass(registeredName ?? className, what);
  return builtin;
}

export function serializeLoss(loss: lossesApi.Loss): JsonObject {
  const className = Object.keys(LOSS_CLASSES).find((k) => LOSS_CLASSES[k] === loss.constructor);
  if (className === undefined) return serializedCustom(loss, 'loss', Object.keys(LOSS_CLASSES));
  return serialized('keras.losses', className, loss.getConfig());
}

export function deserializeLoss(value: Json, options: CompileFromConfigOptions = {}): lossesApi.Loss {
  if (typeof value === 'string') return lossesApi.getLoss(value);
  const { className, config } = unpack(value, 'loss');
  const Cls = classOf(value as JsonObject, className, LOSS_CLASSES, lossesApi.Loss, 'loss', options.customObjects ?? {});
  return Cls.fromConfig(config);
}

/** The metric classes with a Keras config, by Keras class name. */
const METRIC_CLASSES: Readonly<Record<string, metricsApi.MetricClass>> = Object.fromEntries(
  Object.entries(metricsApi).filter(([, v]) => typeof v === 'function' && (v.prototype instanceof metricsApi.Metric || v.prototype instanceof metricsApi.StatefulMetric) && (v as metricsApi.MetricClass).kerasConfig !== undefined),
) as Record<string, metricsApi.MetricClass>;

/** Keras's serialize_keras_object(metric) for a metric object. */
export function serializeMetric(metric: metricsApi.Metric | metricsApi.StatefulMetric): JsonObject {
  const className = Object.keys(METRIC_CLASSES).find((k) => METRIC_CLASSES[k] === metric.constructor);
  if (metric.constructor === metricsApi.Metric) throw new Error(`Cannot serialize metric '${metric.name}': it wraps a function, not a built-in Keras metric class; built-in metrics: ${Object.keys(METRIC_CLASSES).join(', ')}`);
  if (className === undefined) return serializedCustom(metric, 'metric', Object.keys(METRIC_CLASSES));
  return serialized('keras.metrics', className, metric.getConfig());
}

/** A metric from its Keras name or serialize_keras_object form. */
export function deserializeMetric(value: Json, options: CompileFromConfigOptions = {}): metricsApi.MetricIdentifier {
  if (typeof value === 'string') return value;
  const { className, config } = unpack(value, 'metric');
  const custom = customClass(className, typeof (value as JsonObject).registered_name === 'string' ? (value as JsonObject).registered_name as string : null, options.customObjects ?? {});
  const base = custom !== undefined && Object.prototype.isPrototypeOf.call(metricsApi.StatefulMetric, custom) ? metricsApi.StatefulMetric : metricsApi.Metric;
  const Cls = classOf(value as JsonObject, className, METRIC_CLASSES, base as unknown as SerializableClass, 'metric', options.customObjects ?? {});
  return Cls.fromConfig(config);
}

function serializeLossOrMetric(v: unknown, what: 'loss' | 'metric'): Json {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.map((x) => serializeLossOrMetric(x, what));
  if (what === 'loss' && v instanceof lossesApi.Loss) return serializeLoss(v);
  if (what === 'metric' && (v instanceof metricsApi.Metric || v instanceof metricsApi.StatefulMetric)) return serializeMetric(v);
  if (typeof v === 'object' && !(v instanceof lossesApi.Loss) && !(v instanceof metricsApi.Metric) && !(v instanceof metricsApi.StatefulMetric)) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, serializeLossOrMetric(x, what)]));
  }
  const name = typeof v === 'function' ? v.name || 'an anonymous function' : (v as object).constructor.name;
  throw new Error(`compile_config: cannot write the ${what} ${name} into a config: it is a function, not a Keras ${what} class; pass it to compile() by its Keras name (e.g. '${what === 'loss' ? 'categorical_crossentropy' : 'accuracy'}') or as a built-in ${what} object to make the model savable`);
}

function deserializeLossOrMetric(v: Json, what: 'loss' | 'metric', options: CompileFromConfigOptions): unknown {
  if (v === null || typeof v === 'string' || typeof v === 'number') return v;
  if (Array.isArray(v)) return v.map((x) => deserializeLossOrMetric(x, what, options));
  if (isJsonObject(v) && typeof v.class_name === 'string' && 'config' in v) return what === 'loss' ? deserializeLoss(v, options) : deserializeMetric(v, options);
  if (isJsonObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, deserializeLossOrMetric(x, what, options)]));
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
  /** Custom loss and metric classes by the name configs use for them (their class_name or registered_name). */
  readonly customObjects?: CustomObjects;
}

/** Re-compiles `model` as compile_config says; an empty config leaves it uncompiled. */
export function compileFromConfig(model: Model, config: Json, compileOptions: CompileFromConfigOptions = {}): void {
  if (!isJsonObject(config)) throw new Error(`compile_config: expected an object, got ${JSON.stringify(config)}`);
  if (Object.keys(config).length === 0) return;
  checkConfigKeys('compile_config', config, ['optimizer', 'loss', 'loss_weights', 'metrics', 'weighted_metrics', 'run_eagerly', 'steps_per_execution', 'jit_compile', 'auto_scale_loss']);
  if (config.run_eagerly === true) throw new Error('compile_config: run_eagerly=true is not supported; keras-jit always compiles the step');
  if (config.steps_per_execution !== undefined && config.steps_per_execution !== 1) throw new Error(`compile_config: steps_per_execution=${JSON.stringify(config.steps_per_execution)} is not supported; expected 1`);
  const options: Record<string, unknown> = {};
  if (config.optimizer !== undefined && config.optimizer !== null) options.optimizer = deserializeOptimizer(config.optimizer);
  if (config.loss !== undefined && config.loss !== null) options.loss = deserializeLossOrMetric(config.loss, 'loss', compileOptions);
  if (config.loss_weights !== undefined && config.loss_weights !== null) options.lossWeights = config.loss_weights;
  if (config.metrics !== undefined && config.metrics !== null) options.metrics = deserializeLossOrMetric(config.metrics, 'metric', compileOptions);
  if (config.weighted_metrics !== undefined && config.weighted_metrics !== null) options.weightedMetrics = deserializeLossOrMetric(config.weighted_metrics, 'metric', compileOptions);
  model.compile(options as CompileOptions);
}
