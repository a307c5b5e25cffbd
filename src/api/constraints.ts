/**
 * Keras 3 weight constraints (keras/src/constraints/constraints.py): a projection applied to a
 * weight after each optimizer update, inside the compiled step.
 */
import type { Node } from '../ir/node.js';
import { checkKnownOptions } from './optimizers/known-options.js';
import * as ops from './ops.js';
import { lowerCaseSpelling, quotedList, Registry } from './registry.js';
import { checkConfigKeys, type Json, type JsonObject } from './saving/config/json.js';

/** Keras's backend.epsilon(), added to norms before dividing. */
const EPSILON = 1e-7;

export abstract class Constraint {
  /** The projected weight. */
  abstract apply(w: Node): Node;
  /** Keras 3's get_config(): what serialize_keras_object writes under "config". */
  abstract getConfig(): Record<string, Json>;
}

type Axis = number | readonly number[];
const axisJson = (a: Axis): Json => (typeof a === 'number' ? a : [...a]);

/** Constructor options from a constraint config: snake_case keys, each a number or (axis) a list of them. */
function optionsOf(owner: string, config: JsonObject, keys: readonly string[]): Record<string, number | number[]> {
  checkConfigKeys(owner, config, keys);
  const out: Record<string, number | number[]> = {};
  for (const key of keys) {
    const v = config[key];
    if (v === undefined || v === null) continue;
    const ok = typeof v === 'number' || (key === 'axis' && Array.isArray(v) && v.every((x) => typeof x === 'number'));
    if (!ok) throw new Error(`${owner}: expected \`${key}\` to be a number${key === 'axis' ? ' or a list of numbers' : ''}, got ${JSON.stringify(v)}`);
    out[key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())] = v as number | number[];
  }
  return out;
}
const norms = (w: Node, axis: Axis) => ops.sqrt(ops.sum(ops.square(w), { axis, keepdims: true }));

/** Rescales each slice along `axis` whose L2 norm exceeds maxValue down to it; Keras's defaults 2 and axis 0. */
export class MaxNorm extends Constraint {
  readonly maxValue: number;
  readonly axis: Axis;
  constructor(options: { readonly maxValue?: number; readonly axis?: Axis } = {}) {
    super();
    checkKnownOptions('MaxNorm', options, ['maxValue', 'axis']);
    this.maxValue = options.maxValue ?? 2;
    this.axis = options.axis ?? 0;
  }
  apply(w: Node): Node {
    const n = norms(w, this.axis);
    return ops.multiply(w, ops.divide(ops.clip(n, 0, this.maxValue), ops.add(n, EPSILON)));
  }
  getConfig(): Record<string, Json> { return { max_value: this.maxValue, axis: axisJson(this.axis) }; }
  static fromConfig(config: JsonObject): MaxNorm { return new MaxNorm(optionsOf('constraint MaxNorm', config, ['max_value', 'axis'])); }
}

/** Moves each slice's norm towards [minValue, maxValue] by `rate`; Keras's defaults 0, 1, 1, axis 0. */
export class MinMaxNorm extends Constraint {
  readonly minValue: number;
  readonly maxValue: number;
  readonly rate: number;
  readonly axis: Axis;
  constructor(options: { readonly minValue?: number; readonly maxValue?: number; readonly rate?: number; readonly axis?: Axis } = {}) {
    super();
    checkKnownOptions('MinMaxNorm', options, ['minValue', 'maxValue', 'rate', 'axis']);
    this.minValue = options.minValue ?? 0;
    this.maxValue = options.maxValue ?? 1;
    this.rate = options.rate ?? 1;
    this.axis = options.axis ?? 0;
  }
  apply(w: Node): Node {
    const n = norms(w, this.axis);
    const desired = ops.add(ops.multiply(this.rate, ops.clip(n, this.minValue, this.maxValue)), ops.multiply(1 - this.rate, n));
    return ops.multiply(w, ops.divide(desired, ops.add(n, EPSILON)));
  }
  getConfig(): Record<string, Json> { return { min_value: this.minValue, max_value: this.maxValue, rate: this.rate, axis: axisJson(this.axis) }; }
  static fromConfig(config: JsonObject): MinMaxNorm { return new MinMaxNorm(optionsOf('constraint MinMaxNorm', config, ['min_value', 'max_value', 'rate', 'axis'])); }
}

/** Clamps weights at zero from below. */
export class NonNeg extends Constraint {
  apply(w: Node): Node { return ops.maximum(w, 0); }
  getConfig(): Record<string, Json> { return {}; }
  static fromConfig(config: JsonObject): NonNeg { optionsOf('constraint NonNeg', config, []); return new NonNeg(); }
}

/** Scales each slice along `axis` to unit L2 norm; Keras's default axis 0. */
export class UnitNorm extends Constraint {
  readonly axis: Axis;
  constructor(options: { readonly axis?: Axis } = {}) {
    super();
    checkKnownOptions('UnitNorm', options, ['axis']);
    this.axis = options.axis ?? 0;
  }
  apply(w: Node): Node { return ops.divide(w, ops.add(norms(w, this.axis), EPSILON)); }
  getConfig(): Record<string, Json> { return { axis: axisJson(this.axis) }; }
  static fromConfig(config: JsonObject): UnitNorm { return new UnitNorm(optionsOf('constraint UnitNorm', config, ['axis'])); }
}

/** The constraint classes by Keras class name. */
export const CONSTRAINT_CLASSES = { MaxNorm, MinMaxNorm, NonNeg, UnitNorm } as const;

export const maxNorm = (maxValue?: number, axis?: Axis): MaxNorm => new MaxNorm({ maxValue, axis });
export const minMaxNorm = (options?: ConstructorParameters<typeof MinMaxNorm>[0]): MinMaxNorm => new MinMaxNorm(options);
export const nonNeg = (): NonNeg => new NonNeg();
export const unitNorm = (axis?: Axis): UnitNorm => new UnitNorm({ axis });

/** Keras's names, each making a constraint with Keras's defaults; case-insensitive. */
export const registry = new Registry<() => Constraint>('constraint', {
  spelling: lowerCaseSpelling,
  unknown: (identifier, r) => `Could not interpret constraint identifier: '${identifier}'. Valid names: ${quotedList(r.names())}`,
})
  .register('max_norm', () => new MaxNorm())
  .register('min_max_norm', () => new MinMaxNorm())
  .register('non_neg', () => new NonNeg())
  .register('unit_norm', () => new UnitNorm());

export type ConstraintIdentifier = string | Constraint;

export function getConstraint(identifier: ConstraintIdentifier | undefined): Constraint | undefined {
  if (identifier === undefined || identifier instanceof Constraint) return identifier;
  if (typeof identifier === 'string') return registry.get(identifier)();
  throw new Error(`Could not interpret constraint identifier: ${String(identifier)}`);
}
