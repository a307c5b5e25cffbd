/**
 * Keras 3 serialize_keras_object / deserialize_keras_object for the small objects inside layer
 * configs: initializers, regularizers, constraints, activations and the dtype policy
 * (keras/src/saving/serialization_lib.py). Each is `{module, class_name, config, registered_name}`.
 */
import * as activations from '../../activations.js';
import { Constraint, MaxNorm, MinMaxNorm, NonNeg, UnitNorm } from '../../constraints.js';
import * as initializers from '../../initializers.js';
import type { Initializer } from '../../initializers.js';
import { L1, L1L2, L2, OrthogonalRegularizer, Regularizer } from '../../regularizers.js';
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

/** An initializer whose seed the config fixes; without one the session's seed is used. */
export class SeededInitializer implements Initializer {
  get className(): string { return this.inner.className; }
  constructor(readonly inner: Initializer, readonly seed: number) {}
  generate(shape: readonly number[]): Float32Array {
    return this.inner.generate(shape, this.seed);
  }
}

const fanConfig = { seed: null, input_axes: null, output_axes: null };

export function serializeInitializer(id: initializers.InitializerIdentifier): JsonObject {
  const init = initializers.get(id);
  const seed = init instanceof SeededInitializer ? init.seed : null;
  const inner = init instanceof SeededInitializer ? init.inner : init;
  const M = 'keras.initializers';
  if (inner instanceof initializers.Zeros || inner instanceof initializers.Ones) return serialized(M, inner.className, {});
  if (inner instanceof initializers.Constant) return serialized(M, 'Constant', { value: inner.value });
  if (inner instanceof initializers.RandomUniform) return serialized(M, 'RandomUniform', { minval: inner.minval, maxval: inner.maxval, seed });
  if (inner instanceof initializers.RandomNormal) return serialized(M, inner.className, { mean: inner.mean, stddev: inner.stddev, seed });
  if (inner instanceof initializers.VarianceScaling) {
    if (inner.className !== 'VarianceScaling') return serialized(M, inner.className, { ...fanConfig, seed });
    return serialized(M, 'VarianceScaling', { scale: inner.scale, mode: inner.mode, distribution: inner.distribution, ...fanConfig, seed });
  }
  if (inner instanceof initializers.Orthogonal) return serialized(M, 'Orthogonal', { gain: inner.gain, seed });
  throw new Error(`Cannot serialize initializer ${inner.className}: it is not a built-in Keras initializer. Register it with saving.registerKerasSerializable.`);
}

type InitMaker = (c: JsonObject) => Initializer;
const num = (c: JsonObject, k: string, d: number): number => (c[k] === undefined ? d : Number(c[k]));
const initMakers: Record<string, [readonly string[], InitMaker]> = {
  Zeros: [[], () => new initializers.Zeros()],
  Ones: [[], () => new initializers.Ones()],
  Constant: [['value'], (c) => new initializers.Constant(num(c, 'value', 0))],
  RandomUniform: [['minval', 'maxval', 'seed'], (c) => new initializers.RandomUniform({ minval: num(c, 'minval', -0.05), maxval: num(c, 'maxval', 0.05) })],
  RandomNormal: [['mean', 'stddev', 'seed'], (c) => new initializers.RandomNormal({ mean: num(c, 'mean', 0), stddev: num(c, 'stddev', 0.05) })],
  TruncatedNormal: [['mean', 'stddev', 'seed'], (c) => new initializers.TruncatedNormal({ mean: num(c, 'mean', 0), stddev: num(c, 'stddev', 0.05) })],
  VarianceScaling: [['scale', 'mode', 'distribution', 'seed', 'input_axes', 'output_axes'], (c) => new initializers.VarianceScaling({
    scale: num(c, 'scale', 1), mode: (c.mode ?? 'fan_in') as 'fan_in', distribution: (c.distribution ?? 'truncated_normal') as 'uniform' })],
  GlorotUniform: [['seed', 'input_axes', 'output_axes'], () => new initializers.GlorotUniform()],
  GlorotNormal: [['seed', 'input_axes', 'output_axes'], () => new initializers.GlorotNormal()],
  HeUniform: [['seed', 'input_axes', 'output_axes'], () => new initializers.HeUniform()],
  HeNormal: [['seed', 'input_axes', 'output_axes'], () => new initializers.HeNormal()],
  LecunUniform: [['seed', 'input_axes', 'output_axes'], () => new initializers.LecunUniform()],
  LecunNormal: [['seed', 'input_axes', 'output_axes'], () => new initializers.LecunNormal()],
  Orthogonal: [['gain', 'seed'], (c) => new initializers.Orthogonal(num(c, 'gain', 1))],
};

/** A string (Keras name) or a serialized initializer; `seed` is honoured, fan axes must be unset. */
export function deserializeInitializer(value: Json): Initializer {
  if (typeof value === 'string') return initializers.get(value);
  const { className, config } = unpack(value, 'initializer');
  const maker = initMakers[className];
  if (maker === undefined) throw unknownClass(className, 'initializer');
  checkConfigKeys(`initializer ${className}`, config, maker[0]);
  for (const axes of ['input_axes', 'output_axes']) {
    if (config[axes] !== undefined && config[axes] !== null) throw new Error(`initializer ${className}: \`${axes}\` is not supported by keras-jit (got ${JSON.stringify(config[axes])}); expected null`);
  }
  const init = maker[1](config);
  return typeof config.seed === 'number' ? new SeededInitializer(init, config.seed) : init;
}

export function serializeRegularizer(r: Regularizer | undefined): JsonObject | null {
  if (r === undefined) return null;
  const M = 'keras.regularizers';
  // Keras's L1 and OrthogonalRegularizer keep their strength as a float32 (as Keras 3.15 writes them); L2 and L1L2 do not.
  if (r instanceof L1) return serialized(M, 'L1', { l1: Math.fround(r.l1) });
  if (r instanceof L2) return serialized(M, 'L2', { l2: r.l2 });
  if (r instanceof L1L2) return serialized(M, 'L1L2', { l1: r.l1, l2: r.l2 });
  if (r instanceof OrthogonalRegularizer) return serialized(M, 'OrthogonalRegularizer', { factor: Math.fround(r.factor), mode: r.mode });
  throw new Error(`Cannot serialize regularizer ${r.constructor.name}: it is not a built-in Keras regularizer.`);
}

export function deserializeRegularizer(value: Json): Regularizer | undefined {
  if (value === null) return undefined;
  if (typeof value === 'string') return regularizerByName(value);
  const { className, config } = unpack(value, 'regularizer');
  switch (className) {
    case 'L1': checkConfigKeys('regularizer L1', config, ['l1']); return new L1(num(config, 'l1', 0.01));
    case 'L2': checkConfigKeys('regularizer L2', config, ['l2']); return new L2(num(config, 'l2', 0.01));
    case 'L1L2': checkConfigKeys('regularizer L1L2', config, ['l1', 'l2']); return new L1L2({ l1: num(config, 'l1', 0), l2: num(config, 'l2', 0) });
    case 'OrthogonalRegularizer':
      checkConfigKeys('regularizer OrthogonalRegularizer', config, ['factor', 'mode']);
      return new OrthogonalRegularizer({ factor: num(config, 'factor', 0.01), mode: (config.mode ?? 'rows') as 'rows' });
    default: throw unknownClass(className, 'regularizer');
  }
}
function regularizerByName(name: string): Regularizer {
  const r = { l1: () => new L1(), l2: () => new L2(), l1_l2: () => new L1L2(), orthogonal_regularizer: () => new OrthogonalRegularizer() }[name.toLowerCase()];
  if (r === undefined) throw new Error(`Could not interpret regularizer identifier: '${name}'`);
  return r();
}

export function serializeConstraint(c: Constraint | undefined): JsonObject | null {
  if (c === undefined) return null;
  const M = 'keras.constraints';
  if (c instanceof MaxNorm) return serialized(M, 'MaxNorm', { max_value: c.maxValue, axis: axisJson(c.axis) });
  if (c instanceof MinMaxNorm) return serialized(M, 'MinMaxNorm', { min_value: c.minValue, max_value: c.maxValue, rate: c.rate, axis: axisJson(c.axis) });
  if (c instanceof NonNeg) return serialized(M, 'NonNeg', {});
  if (c instanceof UnitNorm) return serialized(M, 'UnitNorm', { axis: axisJson(c.axis) });
  throw new Error(`Cannot serialize constraint ${c.constructor.name}: it is not a built-in Keras constraint.`);
}
const axisJson = (a: number | readonly number[]): Json => (typeof a === 'number' ? a : [...a]);
const axisOf = (c: JsonObject): number | number[] => (c.axis === undefined ? 0 : Array.isArray(c.axis) ? c.axis.map(Number) : Number(c.axis));

export function deserializeConstraint(value: Json): Constraint | undefined {
  if (value === null) return undefined;
  if (typeof value === 'string') {
    const make = { max_norm: () => new MaxNorm(), min_max_norm: () => new MinMaxNorm(), non_neg: () => new NonNeg(), unit_norm: () => new UnitNorm() }[value.toLowerCase()];
    if (make === undefined) throw new Error(`Could not interpret constraint identifier: '${value}'`);
    return make();
  }
  const { className, config } = unpack(value, 'constraint');
  switch (className) {
    case 'MaxNorm': checkConfigKeys('constraint MaxNorm', config, ['max_value', 'axis']); return new MaxNorm({ maxValue: num(config, 'max_value', 2), axis: axisOf(config) });
    case 'MinMaxNorm':
      checkConfigKeys('constraint MinMaxNorm', config, ['min_value', 'max_value', 'rate', 'axis']);
      return new MinMaxNorm({ minValue: num(config, 'min_value', 0), maxValue: num(config, 'max_value', 1), rate: num(config, 'rate', 1), axis: axisOf(config) });
    case 'NonNeg': checkConfigKeys('constraint NonNeg', config, []); return new NonNeg();
    case 'UnitNorm': checkConfigKeys('constraint UnitNorm', config, ['axis']); return new UnitNorm({ axis: axisOf(config) });
    default: throw unknownClass(className, 'constraint');
  }
}

/** Keras writes built-in activations as their name. */
export function serializeActivation(fn: activations.ActivationFn): string {
  const name = activations.registry.nameOf(fn);
  if (name === undefined) throw new Error(`Cannot serialize activation function ${fn.name || '(anonymous)'}: only Keras's built-in activations (${activations.registry.names().join(', ')}) can be saved in a config.`);
  return name;
}
export function deserializeActivation(value: Json): activations.ActivationFn {
  if (value === null) return activations.linear;
  if (typeof value === 'string') return activations.get(value);
  // Keras 3 may also write {"module": "keras.activations", "class_name": "function", "config": "relu"}.
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
