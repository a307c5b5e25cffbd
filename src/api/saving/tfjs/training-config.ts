/**
 * The compile state in the TF.js layers format: `trainingConfig` (tfjs-layers) or the converter's
 * `training_config` (tf.keras 2), `{loss, metrics, optimizer_config: {class_name, config}}`, to and from
 * keras-jit's compile(). tfjs-layers reads it with loadTrainingConfig (snake_case keys camelCased, loss
 * and metric names camelCased), so what we write uses the names both sides know.
 */
import * as optimizersApi from '../../optimizers.js';
import type { Model } from '../../models/model.js';
import type { CompileOptions } from '../../training/types.js';
import { type Json, type JsonObject, isObject } from '../dialects/json.js';
import { compileConfigOf } from '../config/training-config.js';

type OptimizerCtor = new (options: Record<string, unknown>) => optimizersApi.Optimizer;

/** TF.js optimizer class names (tfjs-core's getClassName) and tf.keras's, to keras-jit's classes. */
const OPTIMIZERS: Readonly<Record<string, { cls: OptimizerCtor; keys: Readonly<Record<string, string>> }>> = {
  SGD: { cls: optimizersApi.SGD as unknown as OptimizerCtor, keys: { learning_rate: 'learningRate', momentum: 'momentum', nesterov: 'nesterov' } },
  Momentum: { cls: optimizersApi.SGD as unknown as OptimizerCtor, keys: { learning_rate: 'learningRate', momentum: 'momentum', use_nesterov: 'nesterov' } },
  Adam: { cls: optimizersApi.Adam as unknown as OptimizerCtor, keys: { learning_rate: 'learningRate', beta_1: 'beta1', beta_2: 'beta2', epsilon: 'epsilon', amsgrad: 'amsgrad' } },
  Adamax: { cls: optimizersApi.Adamax as unknown as OptimizerCtor, keys: { learning_rate: 'learningRate', beta_1: 'beta1', beta_2: 'beta2', epsilon: 'epsilon' } },
  RMSprop: { cls: optimizersApi.RMSprop as unknown as OptimizerCtor, keys: { learning_rate: 'learningRate', rho: 'rho', decay_rate: 'rho', momentum: 'momentum', epsilon: 'epsilon', centered: 'centered' } },
  Adagrad: { cls: optimizersApi.Adagrad as unknown as OptimizerCtor, keys: { learning_rate: 'learningRate', initial_accumulator_value: 'initialAccumulatorValue', epsilon: 'epsilon' } },
  Adadelta: { cls: optimizersApi.Adadelta as unknown as OptimizerCtor, keys: { learning_rate: 'learningRate', rho: 'rho', epsilon: 'epsilon' } },
};

/** Keys tf.keras / TF.js write that change nothing at these values (checked, not dropped blindly). */
const HARMLESS: Readonly<Record<string, (v: Json) => boolean>> = {
  name: () => true,
  is_legacy_optimizer: () => true,
  jit_compile: () => true,
  decay: (v) => v === 0 || v === null,
  weight_decay: (v) => v === 0 || v === null,
  clipnorm: (v) => v === null,
  global_clipnorm: (v) => v === null,
  clipvalue: (v) => v === null,
  use_ema: (v) => v === false,
  ema_momentum: () => true,
  ema_overwrite_frequency: (v) => v === null || typeof v === 'number',
  amsgrad: (v) => v === false,
};

/** `learningRate` / `beta1` / `useNesterov` → `learning_rate` / `beta_1` / `use_nesterov`. */
const snake = (k: string): string => k.replace(/([a-z])([A-Z])/g, '$1_$2').replace(/([a-z])(\d)$/, '$1_$2').toLowerCase();

function optimizerFrom(value: Json, file: string): optimizersApi.Optimizer {
  if (typeof value === 'string') return optimizersApi.getOptimizer(value);
  if (!isObject(value) || typeof value.class_name !== 'string') {
    throw new Error(`${file}: training config optimizer_config must be {"class_name": ..., "config": {...}}, got ${JSON.stringify(value)}`);
  }
  // tf.keras 2.11+ writes its new optimizers as "Custom>Adam"; TF.js writes "RMSProp".
  const raw = value.class_name.replace(/^Custom>/, '');
  const className = raw === 'RMSProp' ? 'RMSprop' : raw;
  const entry = OPTIMIZERS[className];
  if (entry === undefined) {
    throw new Error(`${file}: training config optimizer '${value.class_name}' is not supported; the TF.js format's optimizers keras-jit reads are ${Object.keys(OPTIMIZERS).join(', ')}. Load with { compile: false } and compile the model yourself.`);
  }
  const config = isObject(value.config) ? value.config : {};
  const options: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) {
    // TF.js's RMSProp calls rho `decay` (tf.keras's `decay` is a learning-rate decay, checked below).
    const key = raw === 'RMSProp' && k === 'decay' ? 'rho' : snake(k);
    const ours = entry.keys[key];
    if (ours !== undefined && v !== null) {
      // An amsgrad=true Adam is kept; HARMLESS below only covers optimizers without the option.
      options[ours] = v;
    } else if (ours === undefined) {
      const harmless = HARMLESS[key];
      if (harmless === undefined || !harmless(v)) {
        throw new Error(`${file}: training config optimizer ${className}: ${k}=${JSON.stringify(v)} is not supported by keras-jit. Load with { compile: false } and compile the model yourself.`);
      }
    }
  }
  if (className === 'Momentum' && options.momentum === undefined) options.momentum = 0;
  return new entry.cls(options);
}

/** Loss and metric names: TF.js and tf.keras write strings (or lists / dicts of them per output). */
function names(v: Json, what: string, file: string): unknown {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.map((x) => names(x, what, file));
  if (isObject(v) && typeof v.class_name !== 'string') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, names(x, what, file)]));
  throw new Error(`${file}: training config ${what} ${JSON.stringify(v)} is not supported; keras-jit reads ${what} names (such as 'categoricalCrossentropy') from the TF.js format. Load with { compile: false } and compile the model yourself.`);
}

/** Compiles `model` as a TF.js `trainingConfig` says; unsupported parts are an error naming the file. */
export function compileFromTfjsTrainingConfig(model: Model, tc: JsonObject, file: string): void {
  for (const key of ['weighted_metrics', 'sample_weight_mode']) {
    if (tc[key] !== undefined && tc[key] !== null) throw new Error(`${file}: training config ${key} is not supported when loading the TF.js format. Load with { compile: false }.`);
  }
  const options: Record<string, unknown> = {};
  if (tc.optimizer_config !== undefined && tc.optimizer_config !== null) options.optimizer = optimizerFrom(tc.optimizer_config, file);
  if (tc.loss !== undefined && tc.loss !== null) options.loss = names(tc.loss, 'loss', file);
  if (tc.metrics !== undefined && tc.metrics !== null) options.metrics = names(tc.metrics, 'metrics', file);
  if (tc.loss_weights !== undefined && tc.loss_weights !== null) options.lossWeights = tc.loss_weights;
  try {
    model.compile(options as CompileOptions);
  } catch (e) {
    throw new Error(`${file}: cannot compile the model from its training config: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Keras 3 optimizer class → TF.js class name and the config keys tfjs-core's fromConfig reads. */
const TFJS_OPTIMIZERS: Readonly<Record<string, { name: (c: JsonObject) => string; keys: (c: JsonObject) => JsonObject }>> = {
  SGD: {
    name: (c) => (typeof c.momentum === 'number' && c.momentum !== 0 ? 'Momentum' : 'SGD'),
    keys: (c): JsonObject => (typeof c.momentum === 'number' && c.momentum !== 0 ? { learningRate: c.learning_rate, momentum: c.momentum, useNesterov: c.nesterov ?? false } : { learningRate: c.learning_rate }),
  },
  Adam: { name: () => 'Adam', keys: (c) => ({ learningRate: c.learning_rate, beta1: c.beta_1, beta2: c.beta_2, epsilon: c.epsilon }) },
  Adamax: { name: () => 'Adamax', keys: (c) => ({ learningRate: c.learning_rate, beta1: c.beta_1, beta2: c.beta_2, epsilon: c.epsilon, decay: 0 }) },
  RMSprop: { name: () => 'RMSProp', keys: (c) => ({ learningRate: c.learning_rate, decay: c.rho, momentum: c.momentum, epsilon: c.epsilon, centered: c.centered }) },
  Adagrad: { name: () => 'Adagrad', keys: (c) => ({ learningRate: c.learning_rate, initialAccumulatorValue: c.initial_accumulator_value }) },
  Adadelta: { name: () => 'Adadelta', keys: (c) => ({ learningRate: c.learning_rate, rho: c.rho, epsilon: c.epsilon }) },
};

/** What TF.js cannot express about an optimizer: anything besides its own hyperparameters. */
const KERAS3_ONLY: readonly string[] = ['weight_decay', 'clipnorm', 'global_clipnorm', 'clipvalue'];

function lossOrMetricName(v: Json, what: string): Json {
  if (v === null || typeof v === 'string') return v;
  if (Array.isArray(v)) return v.map((x) => lossOrMetricName(x, what));
  if (isObject(v) && typeof v.class_name === 'string') {
    throw new Error(`Cannot save to the TF.js format: the ${what} ${v.class_name} object has no TF.js form; compile with its name (e.g. 'categorical_crossentropy') instead`);
  }
  if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, lossOrMetricName(x, what)]));
  throw new Error(`Cannot save to the TF.js format: ${what} ${JSON.stringify(v)}`);
}

/** The `trainingConfig` tfjs-layers writes for a compiled model, or undefined for an uncompiled one. */
export function tfjsTrainingConfigOf(model: Model): JsonObject | undefined {
  // The config module's Json is readonly-array typed; the dialect's is the same data, mutable.
  const cc = compileConfigOf(model) as JsonObject;
  if (Object.keys(cc).length === 0) return undefined;
  const opt = cc.optimizer as JsonObject;
  const className = String(opt.class_name);
  const config = opt.config as JsonObject;
  const entry = TFJS_OPTIMIZERS[className];
  if (entry === undefined) throw new Error(`Cannot save to the TF.js format: TensorFlow.js has no ${className} optimizer (it has ${Object.keys(TFJS_OPTIMIZERS).join(', ')}); save as .keras, or compile with one of those`);
  if (isObject(config.learning_rate)) throw new Error('Cannot save to the TF.js format: TensorFlow.js optimizers take a constant learning rate, not a schedule');
  for (const key of KERAS3_ONLY) {
    if (config[key] !== null && config[key] !== undefined && config[key] !== 0) throw new Error(`Cannot save to the TF.js format: the optimizer's ${key}=${JSON.stringify(config[key])} has no TensorFlow.js equivalent`);
  }
  if (config.use_ema === true) throw new Error('Cannot save to the TF.js format: the optimizer\'s use_ema has no TensorFlow.js equivalent');
  if (config.amsgrad === true) throw new Error('Cannot save to the TF.js format: Adam with amsgrad has no TensorFlow.js equivalent');
  if (cc.loss_weights !== null && cc.loss_weights !== undefined) throw new Error('Cannot save to the TF.js format: tfjs-layers cannot load loss_weights');
  if (cc.weighted_metrics !== null && cc.weighted_metrics !== undefined) throw new Error('Cannot save to the TF.js format: tfjs-layers cannot load weighted_metrics');
  const out: JsonObject = {
    loss: lossOrMetricName(cc.loss, 'loss'),
    optimizer_config: { class_name: entry.name(config), config: entry.keys(config) },
  };
  if (cc.metrics !== null && cc.metrics !== undefined) out.metrics = lossOrMetricName(cc.metrics, 'metric');
  return out;
}
