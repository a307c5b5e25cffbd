/**
 * Nested objects inside a layer config (initializers, regularizers, constraints, activations, dtype
 * policies) between the Keras 2 / TF.js spelling and Keras 3's serialize_keras_object form.
 */
import { type Json, type JsonObject, isObject } from './json.js';

/** Which Keras 3 module a `*_initializer` / `*_regularizer` / `*_constraint` object lives in. */
function moduleForKey(key: string): string | undefined {
  if (key.endsWith('initializer')) return 'keras.initializers';
  if (key.endsWith('regularizer')) return 'keras.regularizers';
  if (key.endsWith('constraint')) return 'keras.constraints';
  return undefined;
}

/**
 * Keras 2 and TF.js `hard_sigmoid` is clip(0.2x + 0.5, 0, 1); Keras 3 redefined `hard_sigmoid` as
 * relu6(x + 3) / 6. Renaming the string would silently change predictions of every TF.js LSTM/GRU (their
 * default recurrent activation), so the Keras 2 function travels under its own registered name.
 */
export const KERAS2_HARD_SIGMOID = 'keras_jit>keras2_hard_sigmoid';

/** How Keras 3 serializes a function registered as `keras_jit>keras2_hard_sigmoid` (its own form). */
export function keras2HardSigmoidObject(): JsonObject {
  return { module: 'builtins', class_name: 'function', config: KERAS2_HARD_SIGMOID, registered_name: 'function' };
}

function isKeras2HardSigmoid(v: Json): boolean {
  return v === KERAS2_HARD_SIGMOID || (isObject(v) && v.class_name === 'function' && v.config === KERAS2_HARD_SIGMOID);
}

export function dtypePolicy(name: string): JsonObject {
  return { module: 'keras', class_name: 'DTypePolicy', config: { name }, registered_name: null };
}

/** A Keras 2 `{class_name, config}` object (or a Keras 3 one, returned as is) in Keras 3 form. */
function objectToKeras3(v: JsonObject, module: string, where: string): JsonObject {
  if ('module' in v) return v;
  if (typeof v.class_name !== 'string' || !isObject(v.config)) {
    throw new Error(`${where}: expected {"class_name": ..., "config": {...}}, got keys ${Object.keys(v).join(', ')}`);
  }
  const config: JsonObject = { ...v.config };
  // Keras 2 wrote VarianceScaling's truncated normal as "normal"; Keras 3 itself renames it on load.
  if (v.class_name === 'VarianceScaling' && config.distribution === 'normal') config.distribution = 'truncated_normal';
  return { module, class_name: v.class_name, config, registered_name: null };
}

function objectToKeras2(v: JsonObject): JsonObject {
  if (typeof v.class_name !== 'string' || !isObject(v.config)) return v;
  return { class_name: v.class_name, config: { ...v.config } };
}

export function activationToKeras3(v: Json, where: string, exactHardSigmoid: boolean): Json {
  if (v === 'hard_sigmoid' && exactHardSigmoid) return keras2HardSigmoidObject();
  if (isKeras2HardSigmoid(v)) return v;
  if (isObject(v)) throw new Error(`${where}: only named activations can be converted from Keras 2, got ${JSON.stringify(v)}`);
  return v;
}

export function activationToKeras2(v: Json, where: string): Json {
  if (isKeras2HardSigmoid(v)) return 'hard_sigmoid';
  if (v === 'hard_sigmoid') {
    throw new Error(`${where}: Keras 3's hard_sigmoid (relu6(x + 3) / 6) has no Keras 2 / TensorFlow.js equivalent (their hard_sigmoid is clip(0.2x + 0.5, 0, 1))`);
  }
  if (isObject(v)) throw new Error(`${where}: only named activations can be written in the Keras 2 dialect, got ${JSON.stringify(v)}`);
  return v;
}

const isActivationKey = (key: string): boolean => key === 'activation' || key === 'recurrent_activation';

/** Converts every nested object of one layer config in place; `where` names the layer for errors. */
export function nestedToKeras3(config: JsonObject, where: string, exactHardSigmoid: boolean): void {
  for (const [key, value] of Object.entries(config)) {
    const module = moduleForKey(key);
    if (module !== undefined && isObject(value)) config[key] = objectToKeras3(value, module, `${where}.${key}`);
    else if (isActivationKey(key)) config[key] = activationToKeras3(value, `${where}.${key}`, exactHardSigmoid);
  }
}

export function nestedToKeras2(config: JsonObject, where: string): void {
  for (const [key, value] of Object.entries(config)) {
    if (moduleForKey(key) !== undefined && isObject(value)) config[key] = objectToKeras2(value);
    else if (isActivationKey(key)) config[key] = activationToKeras2(value, `${where}.${key}`);
  }
}
