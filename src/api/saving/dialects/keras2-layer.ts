/**
 * One layer's `{class_name, config}` between the Keras 2 / TF.js dialect and Keras 3. Model-level keys
 * (`batch_input_shape`, `input_dim`, Embedding's `input_length`) are taken out here and handed to the
 * model converter, which turns them into an InputLayer the way Keras 3's Sequential does.
 */
import { type Json, type JsonObject, clone, expectObject, expectString, isObject } from './json.js';
import { keras2ClassName, keras3ClassName } from './keras2-names.js';
import { dtypePolicy, nestedToKeras2, nestedToKeras3 } from './keras2-objects.js';

export interface DialectOptions {
  /**
   * true (default): Keras 2 / TF.js `hard_sigmoid` keeps its meaning as `keras_jit>keras2_hard_sigmoid`;
   * false: it becomes Keras 3's `hard_sigmoid`, which is what Keras 3 itself does and changes predictions.
   */
  exactHardSigmoid?: boolean;
  /**
   * Output shape of `layer`'s call `node`, output `tensor` (`[null, 5]`), for the `__keras_tensor__`
   * entries of functional inbound nodes. The Keras 2 dialect records only InputLayer shapes; without this
   * the others are written as null, which keras-jit's builder accepts (it reads keras_history only, as
   * Keras's deserialize_node does) but Python Keras 3 rejects ("Undefined shapes are not supported").
   */
  tensorShape?: (layer: string, node: number, tensor: number) => Json[] | undefined;
}

export interface Keras3Layer {
  className: string;
  config: JsonObject;
  /** The input shape the Keras 2 layer carried (`[null, ...]`), if any. */
  batchInputShape?: Json[];
  /** The dtype that input had. */
  inputDtype?: string;
}

const RNN_CLASSES = new Set(['LSTM', 'GRU', 'SimpleRNN', 'ConvLSTM1D', 'ConvLSTM2D', 'ConvLSTM3D']);
const WRAPPERS = new Set(['Bidirectional', 'TimeDistributed']);

/** Keras 2 keys Keras 3 does not accept: dropped when they hold a value that changes nothing, else an error. */
const KERAS2_ONLY_KEYS: Readonly<Record<string, Readonly<Record<string, (v: Json) => boolean>>>> = {
  // Keras 3 kept renorm / renorm_clipping / renorm_momentum; these three tf.keras options it dropped.
  BatchNormalization: {
    fused: () => true, // a kernel choice, not a computation
    virtual_batch_size: (v) => v === null,
    adjustment: (v) => v === null,
  },
};
const RNN_ONLY_KEYS: Readonly<Record<string, (v: Json) => boolean>> = {
  time_major: (v) => v === false || v === null,
};

function takeInputShape(config: JsonObject, className: string): Json[] | undefined {
  let shape: Json[] | undefined;
  if (Array.isArray(config.batch_input_shape)) shape = config.batch_input_shape;
  else if (Array.isArray(config.input_shape)) shape = [null, ...config.input_shape];
  else if (typeof config.input_dim === 'number' && className !== 'Embedding') shape = [null, config.input_dim];
  else if (className === 'Embedding' && typeof config.input_length === 'number') shape = [null, config.input_length];
  else if (className === 'Embedding' && Array.isArray(config.input_length)) shape = [null, ...config.input_length];
  delete config.batch_input_shape;
  delete config.input_shape;
  delete config.batch_size;
  if (className !== 'Embedding') delete config.input_dim;
  else delete config.input_length;
  return shape;
}

export function layerToKeras3(layer: unknown, where: string, opts: DialectOptions = {}): Keras3Layer {
  const obj = expectObject(layer, where);
  const className = keras3ClassName(expectString(obj.class_name, `${where}.class_name`), where);
  const config = clone(expectObject(obj.config, `${where}.config`));
  const name = typeof config.name === 'string' ? `layer '${config.name}'` : where;
  const exactHardSigmoid = opts.exactHardSigmoid ?? true;
  let inputDtype = typeof config.dtype === 'string' ? config.dtype : isObject(config.dtype) && isObject(config.dtype.config) && typeof config.dtype.config.name === 'string' ? config.dtype.config.name : undefined;

  if (className === 'InputLayer') {
    const batchShape = config.batch_shape ?? config.batch_input_shape;
    if (!Array.isArray(batchShape)) throw new Error(`${name}: an InputLayer needs batch_input_shape (Keras 2) or batch_shape (Keras 3)`);
    delete config.batch_input_shape;
    config.batch_shape = batchShape;
    config.dtype = inputDtype ?? 'float32';
    config.sparse = config.sparse ?? false;
    config.ragged = config.ragged ?? false;
    return { className, config };
  }

  const batchInputShape = takeInputShape(config, className);
  // Keras's legacy loader turns a one-element axis list into an int (BatchNormalization in tf.keras).
  if (Array.isArray(config.axis) && config.axis.length === 1 && typeof config.axis[0] === 'number') config.axis = config.axis[0];
  const only = { ...(KERAS2_ONLY_KEYS[className] ?? {}), ...(RNN_CLASSES.has(className) ? RNN_ONLY_KEYS : {}) };
  for (const [key, harmless] of Object.entries(only)) {
    if (!(key in config)) continue;
    if (!harmless(config[key])) throw new Error(`${name} (${className}): ${key}=${JSON.stringify(config[key])} is a Keras 2 option that Keras 3 does not support`);
    delete config[key];
  }
  // TF.js writes null for options it leaves at their defaults; Keras 3 needs the value itself.
  if (RNN_CLASSES.has(className) && config.implementation === null) delete config.implementation;
  if (className === 'LSTM' && config.unit_forget_bias === null) config.unit_forget_bias = false;
  if (className === 'Embedding' && config.mask_zero === null) config.mask_zero = false;
  // Keras 2 before TF 2 and TF.js only have reset_after=false; Keras 3 defaults to true.
  if (className === 'GRU' && !('reset_after' in config)) config.reset_after = false;
  for (const key of ['layer', 'backward_layer']) {
    if (WRAPPERS.has(className) && isObject(config[key])) {
      const inner = layerToKeras3(config[key], `${name}.${key}`, opts);
      config[key] = { module: 'keras.layers', class_name: inner.className, config: inner.config, registered_name: null };
    }
  }
  // Keras 3 renamed LeakyReLU's `alpha` (tf.keras, TF.js) to `negative_slope` and accepts the old key itself.
  if (className === 'LeakyReLU' && 'alpha' in config && !('negative_slope' in config)) {
    config.negative_slope = config.alpha;
    delete config.alpha;
  }
  nestedToKeras3(config, name, exactHardSigmoid);
  inputDtype = inputDtype ?? 'float32';
  if (!isObject(config.dtype)) config.dtype = dtypePolicy(inputDtype);
  return { className, config, batchInputShape, inputDtype };
}

/** Keras 3 `{class_name, config}` of one layer → Keras 2 / TF.js `{class_name, config}`. */
export function layerToKeras2(layer: unknown, where: string): { class_name: string; config: JsonObject } {
  const obj = expectObject(layer, where);
  const className = expectString(obj.class_name, `${where}.class_name`);
  const config = clone(expectObject(obj.config, `${where}.config`));
  const name = typeof config.name === 'string' ? `layer '${config.name}'` : where;
  if (isObject(config.dtype) && isObject(config.dtype.config)) {
    const policy = config.dtype.config.name;
    if (typeof policy !== 'string' || policy.startsWith('mixed_')) throw new Error(`${name}: the dtype policy ${JSON.stringify(policy)} has no Keras 2 / TensorFlow.js equivalent`);
    config.dtype = policy;
  }
  if (className === 'InputLayer') {
    config.batch_input_shape = config.batch_shape ?? null;
    delete config.batch_shape;
    delete config.optional;
    return { class_name: className, config };
  }
  if (className === 'GRU' && config.reset_after === true) {
    throw new Error(`${name}: a GRU with reset_after=true cannot be written for TensorFlow.js, which only implements reset_after=false`);
  }
  for (const key of ['layer', 'backward_layer']) {
    if (WRAPPERS.has(className) && isObject(config[key])) config[key] = layerToKeras2(config[key], `${name}.${key}`);
  }
  if (className === 'LeakyReLU' && 'negative_slope' in config) {
    config.alpha = config.negative_slope;
    delete config.negative_slope;
  }
  nestedToKeras2(config, name);
  return { class_name: keras2ClassName(className), config };
}
