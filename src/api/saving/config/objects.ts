/**
 * Keras 3 serialize_keras_object / deserialize_keras_object for the small objects inside layer
 * configs: initializers, regularizers, constraints, activations and the dtype policy
 * (keras/src/saving/serialization_lib.py). Each is `{module, class_name, config, registered_name}`.
 */
import * as activations from '../../activations.js';
import { Constraint, CONSTRAINT_CLASSES, MaxNorm, MinMaxNorm, NonNeg, UnitNorm } from '../../constraints.js';
import * as initializers from '../../initializers.js';
import type { Initializer } from '../../initializers.js';
import { L1, L1L2, L2, OrthogonalRegularizer, Regularizer, REGULARIZER_CLASSES } from '../../regularizers.js';
import { KERAS2_HARD_SIGMOID, keras2HardSigmoidObject } from '../dialects/keras2-objects.js';
import { checkConfigKeys, type Json, type JsonObject, isJsonObject } from './json.js';

export interface SerializedObject {
  readonly module: string;
  readonly class_name: string;
  readonly config: Json;
  readonly registered_name: string | null;
}

export function serialized(module: string, className: string, config: Json, registeredName: string | null = null): JsonObject {
  return { module, class_name: className, config, registered_name: registeredName };
}

export { SeededInitializer } from '../../initializers.js';

export function serializeInitializer(id: initializers.InitializerIdentifier): JsonObject {
  const init = initializers.get(id);
  const inner = init instanceof initializers.SeededInitializer ? init.inner : init;
  if (!(inner.className in initializers.INITIALIZER_CLASSES) || init.getConfig === undefined) {
    throw new Error(`Cannot serialize initializer ${inner.className}: it is not a built-in Keras initializer. Register it with saving.registerKerasSerializable.`);
  }
  return serialized('keras.initializers', inner.className, init.getConfig());
}

/** A string (Keras name) or a serialized initializer; `seed` is honoured, fan axes must be unset. */
export function deserializeInitializer(value: Json): Initializer {
  if (typeof value === 'string') return initializers.get(value);
  const { className, config } = unpack(value, 'initializer');
  const Cls = initializers.INITIALIZER_CLASSES[className];
  if (Cls === undefined) throw unknownClass(className, 'initializer');
  return Cls.fromConfig(config);
}

export function serializeRegularizer(r: Regularizer | undefined): JsonObject | null {
  if (r === undefined) return null;
  const className = Object.keys(REGULARIZER_CLASSES).find((k) => REGULARIZER_CLASSES[k as keyof typeof REGULARIZER_CLASSES] === r.constructor);
  if (className === undefined) throw new Error(`Cannot serialize regularizer ${r.constructor.name}: it is not a built-in Keras regularizer.`);
  return serialized('keras.regularizers', className, r.getConfig());
}

export function deserializeRegularizer(value: Json): Regularizer | undefined {
  if (value === null) return undefined;
  if (typeof value === 'string') return regularizerByName(value);
  const { className, config } = unpack(value, 'regularizer');
  const Cls = (REGULARIZER_CLASSES as Record<string, { fromConfig(c: JsonObject): Regularizer }>)[className];
  if (Cls === undefined) throw unknownClass(className, 'regularizer');
  return Cls.fromConfig(config);
}
function regularizerByName(name: string): Regularizer {
  const r = { l1: () => new L1(), l2: () => new L2(), l1_l2: () => new L1L2(), orthogonal_regularizer: () => new OrthogonalRegularizer() }[name.toLowerCase()];
  if (r === undefined) throw new Error(`Could not interpret regularizer identifier: '${name}'`);
  return r();
}

export function serializeConstraint(c: Constraint | undefined): JsonObject | null {
  if (c === undefined) return null;
  const className = Object.keys(CONSTRAINT_CLASSES).find((k) => CONSTRAINT_CLASSES[k as keyof typeof CONSTRAINT_CLASSES] === c.constructor);
  if (className === undefined) throw new Error(`Cannot serialize constraint ${c.constructor.name}: it is not a built-in Keras constraint.`);
  return serialized('keras.constraints', className, c.getConfig());
}

export function deserializeConstraint(value: Json): Constraint | undefined {
  if (value === null) return undefined;
  if (typeof value === 'string') {
    const make = { max_norm: () => new MaxNorm(), min_max_norm: () => new MinMaxNorm(), non_neg: () => new NonNeg(), unit_norm: () => new UnitNorm() }[value.toLowerCase()];
    if (make === undefined) throw new Error(`Could not interpret constraint identifier: '${value}'`);
    return make();
  }
  const { className, config } = unpack(value, 'constraint');
  const Cls = (CONSTRAINT_CLASSES as Record<string, { fromConfig(c: JsonObject): Constraint }>)[className];
  if (Cls === undefined) throw unknownClass(className, 'constraint');
  return Cls.fromConfig(config);
}

/** Keras 2 / TF.js `hard_sigmoid` (activations.ts): configs from the Keras 2 dialect carry it under its own registered name (dialects/keras2-objects.ts). */
const { keras2HardSigmoid } = activations;

/** Keras writes built-in activations as their name. */
export function serializeActivation(fn: activations.ActivationFn): Json {
  if (fn === keras2HardSigmoid) return keras2HardSigmoidObject();
  const name = activations.registry.nameOf(fn);
  if (name === undefined) throw new Error(`Cannot serialize activation function ${fn.name || '(anonymous)'}: only Keras's built-in activations (${activations.registry.names().join(', ')}) can be saved in a config.`);
  return name;
}
export function deserializeActivation(value: Json): activations.ActivationFn {
  if (value === null) return activations.linear;
  if (value === KERAS2_HARD_SIGMOID) return keras2HardSigmoid;
  if (typeof value === 'string') return activations.get(value);
  // Keras 3 may also write {"module": "keras.activations", "class_name": "function", "config": "relu"}.
  if (isJsonObject(value) && value.class_name === 'function' && value.config === KERAS2_HARD_SIGMOID) return keras2HardSigmoid;
  if (isJsonObject(value) && value.class_name === 'function' && typeof value.config === 'string') return activations.get(value.config);
  throw new Error(`Could not interpret activation function identifier: ${JSON.stringify(value)}`);
}

/** Keras 3's DTypePolicy, as layers write it. */
export function serializeDtype(dtype: string): JsonObject {
  return serialized('keras', 'DTypePolicy', { name: dtype });
}
export function deserializeDtype(value: Json | undefined): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  const { className, config } = unpack(value, 'dtype policy');
  if (className !== 'DTypePolicy') throw new Error(`dtype policy ${className} is not supported by keras-jit (mixed precision / quantization); expected DTypePolicy`);
  checkConfigKeys('DTypePolicy', config, ['name']);
  if (typeof config.name !== 'string') throw new Error(`DTypePolicy: expected a string name, got ${JSON.stringify(config.name)}`);
  return config.name;
}

export function unpack(value: Json, what: string): { className: string; config: JsonObject } {
  if (!isJsonObject(value) || typeof value.class_name !== 'string') throw new Error(`Could not interpret ${what} config: expected {"class_name": ..., "config": {...}}, got ${JSON.stringify(value)}`);
  const config = value.config ?? {};
  if (!isJsonObject(config)) throw new Error(`${what} ${value.class_name}: expected "config" to be an object, got ${JSON.stringify(config)}`);
  return { className: value.class_name, config };
}

export function unknownClass(className: string, what: string): Error {
  return new Error(`Could not locate ${what} class '${className}'. keras-jit knows Keras's built-in ${what}s; a custom class must be registered with saving.registerKerasSerializable(cls, { package, name }) or passed in customObjects.`);
}
