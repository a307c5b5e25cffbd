/**
 * Keras 3 learning-rate schedules (keras/src/optimizers/schedules/learning_rate_schedule.py),
 * passed as an optimizer's `learningRate`. A schedule is a graph function of the optimizer's
 * iteration counter, so it is evaluated inside the compiled training step: changing the rate
 * costs neither a recompilation nor host work per step.
 */
import type { Node } from '../ir/node.js';
import { checkKnownOptions } from './optimizers/known-options.js';
import * as ops from './ops.js';
import { checkConfigKeys, isJsonObject, type Json, type JsonObject } from './saving/config/json.js';

const snakeKey = (k: string): string => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const camelKey = (k: string): string => k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const toJson = (v: unknown): Json => (v === undefined ? null : Array.isArray(v) ? v.map(toJson) : v as Json);

export abstract class LearningRateSchedule {
  readonly name: string;
  constructor(name: string) {
    this.name = name;
  }
  /** The rate at `step` (a float32 scalar node holding a whole, non-negative number). */
  abstract value(step: Node): Node;
  /** The rate before the first step (every Keras schedule starts from its first value). */
  abstract initialValue(): number;
  /** The schedule's constructor options (camelCase), in Keras's config order. */
  protected abstract options(): Record<string, unknown>;

  /** Keras 3's get_config(): what serialize_keras_object writes under "config", snake_case keys. */
  getConfig(): Record<string, Json> {
    return Object.fromEntries(Object.entries(this.options()).map(([k, v]) => [snakeKey(k), toJson(v)]));
  }

  /** Keras 3's from_config(): a schedule of this class from the config getConfig() (or Keras) wrote. */
  static fromConfig<T extends LearningRateSchedule>(this: (new (options: never) => T) & { readonly name: string }, config: JsonObject): T {
    const options = Object.fromEntries(Object.entries(config).filter(([, v]) => v !== null).map(([k, v]) => [camelKey(k), v]));
    const made = new (this as unknown as new (o: unknown) => T)(options);
    // A key the class does not write back is one it does not know (the constructor's own check names camelCase ones).
    checkConfigKeys(`schedule ${this.name}`, config, Object.keys(made.getConfig()));
    return made;
  }
}

/** floor(x) for x >= 0: the IR has no floor op, and truncation agrees with floor there. */
function floorNonNegative(x: Node): Node {
  return ops.cast(ops.cast(x, 'int32'), 'float32');
}

/** ceil(x) for x >= 0, from the truncation above. */
function ceilNonNegative(x: Node): Node {
  const t = floorNonNegative(x);
  return ops.add(t, ops.cast(ops.greater(x, t), 'float32'));
}

/**
 * cos(x) for x in [0, pi], the only range the cosine schedules use (the IR has no cos op):
 * cos(x) = -sin(x - pi/2), the sine by its Taylor series to y^15, whose truncation error on
 * [-pi/2, pi/2] is far below float32 resolution.
 */
function cosOnZeroToPi(x: Node): Node {
  const y = ops.subtract(x, Math.PI / 2);
  const y2 = ops.multiply(y, y);
  let series: Node = ops.convertToTensor(-1 / factorial(15));
  for (let k = 13; k >= 1; k -= 2) series = ops.add(ops.multiply(series, y2), (((k - 1) / 2) % 2 === 0 ? 1 : -1) / factorial(k));
  return ops.negative(ops.multiply(series, y));
}

function factorial(n: number): number {
  let f = 1;
  for (let i = 2; i <= n; i++) f *= i;
  return f;
}

function positive(owner: string, what: string, value: number): void {
  if (!(Number.isFinite(value) && value > 0)) throw new Error(`${owner}: argument \`${what}\` must be > 0. Received: ${what}=${value}`);
}

export interface ExponentialDecayOptions {
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly decayRate: number;
  readonly staircase?: boolean;
  readonly name?: string;
}

/** initialLearningRate * decayRate ^ (step / decaySteps), the exponent floored when staircase. */
export class ExponentialDecay extends LearningRateSchedule {
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly decayRate: number;
  readonly staircase: boolean;
  constructor(options: ExponentialDecayOptions) {
    checkKnownOptions('ExponentialDecay', options, ['initialLearningRate', 'decaySteps', 'decayRate', 'staircase', 'name']);
    super(options.name ?? 'ExponentialDecay');
    this.initialLearningRate = options.initialLearningRate;
    this.decaySteps = options.decaySteps;
    this.decayRate = options.decayRate;
    this.staircase = options.staircase ?? false;
    positive('ExponentialDecay', 'decaySteps', this.decaySteps);
  }
  value(step: Node): Node {
    let p = ops.divide(step, this.decaySteps);
    if (this.staircase) p = floorNonNegative(p);
    return ops.multiply(this.initialLearningRate, ops.power(ops.convertToTensor(this.decayRate), p));
  }
  initialValue(): number { return this.initialLearningRate; }
  protected options() { return { initialLearningRate: this.initialLearningRate, decaySteps: this.decaySteps, decayRate: this.decayRate, staircase: this.staircase, name: this.name }; }
}

export interface PiecewiseConstantDecayOptions {
  readonly boundaries: readonly number[];
  readonly values: readonly number[];
  readonly name?: string;
}

/** values[0] up to and including boundaries[0], values[i] on (boundaries[i-1], boundaries[i]], the last value after. */
export class PiecewiseConstantDecay extends LearningRateSchedule {
  readonly boundaries: readonly number[];
  readonly values: readonly number[];
  constructor(options: PiecewiseConstantDecayOptions) {
    checkKnownOptions('PiecewiseConstantDecay', options, ['boundaries', 'values', 'name']);
    super(options.name ?? 'PiecewiseConstant');
    const { boundaries, values } = options;
    if (boundaries.length !== values.length - 1) {
      throw new Error(`PiecewiseConstantDecay: the length of boundaries should be 1 less than the length of values. Received: boundaries=[${boundaries.join(', ')}] of length ${boundaries.length}, and values=[${values.join(', ')}] of length ${values.length}.`);
    }
    this.boundaries = [...boundaries];
    this.values = [...values];
  }
  value(step: Node): Node {
    const b = this.boundaries, v = this.values;
    const indicator = (c: Node) => ops.cast(c, 'float32');
    let result = ops.multiply(indicator(ops.lessEqual(step, b[0])), v[0]);
    result = ops.add(result, ops.multiply(indicator(ops.greater(step, b[b.length - 1])), v[v.length - 1]));
    for (let i = 1; i < b.length; i++) {
      result = ops.add(result, ops.multiply(indicator(ops.logicalAnd(ops.greater(step, b[i - 1]), ops.lessEqual(step, b[i]))), v[i]));
    }
    return result;
  }
  initialValue(): number {
    const i = this.boundaries.findIndex((b) => 0 <= b);
    return this.values[i === -1 ? this.values.length - 1 : i];
  }
  protected options() { return { boundaries: [...this.boundaries], values: [...this.values], name: this.name }; }
}

export interface PolynomialDecayOptions {
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly endLearningRate?: number;
  readonly power?: number;
  readonly cycle?: boolean;
  readonly name?: string;
}

/** (initial - end) * (1 - step / decaySteps) ^ power + end, the step capped (or the period stretched when cycle). */
export class PolynomialDecay extends LearningRateSchedule {
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly endLearningRate: number;
  readonly power: number;
  readonly cycle: boolean;
  constructor(options: PolynomialDecayOptions) {
    checkKnownOptions('PolynomialDecay', options, ['initialLearningRate', 'decaySteps', 'endLearningRate', 'power', 'cycle', 'name']);
    super(options.name ?? 'PolynomialDecay');
    this.initialLearningRate = options.initialLearningRate;
    this.decaySteps = options.decaySteps;
    this.endLearningRate = options.endLearningRate ?? 0.0001;
    this.power = options.power ?? 1.0;
    this.cycle = options.cycle ?? false;
    positive('PolynomialDecay', 'decaySteps', this.decaySteps);
  }
  value(step: Node): Node {
    let globalStep = step;
    let decaySteps: Node = ops.convertToTensor(this.decaySteps);
    if (this.cycle) {
      const multiplier = ops.where(ops.equal(step, 0), 1, ceilNonNegative(ops.divide(step, this.decaySteps)));
      decaySteps = ops.multiply(decaySteps, multiplier);
    } else {
      globalStep = ops.minimum(step, this.decaySteps);
    }
    const p = ops.divide(globalStep, decaySteps);
    return ops.add(ops.multiply(this.initialLearningRate - this.endLearningRate, ops.power(ops.subtract(1, p), this.power)), this.endLearningRate);
  }
  initialValue(): number { return this.initialLearningRate; }
  protected options() { return { initialLearningRate: this.initialLearningRate, decaySteps: this.decaySteps, endLearningRate: this.endLearningRate, power: this.power, cycle: this.cycle, name: this.name }; }
}

export interface InverseTimeDecayOptions {
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly decayRate: number;
  readonly staircase?: boolean;
  readonly name?: string;
}

/** initialLearningRate / (1 + decayRate * step / decaySteps), the ratio floored when staircase. */
export class InverseTimeDecay extends LearningRateSchedule {
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly decayRate: number;
  readonly staircase: boolean;
  constructor(options: InverseTimeDecayOptions) {
    checkKnownOptions('InverseTimeDecay', options, ['initialLearningRate', 'decaySteps', 'decayRate', 'staircase', 'name']);
    super(options.name ?? 'InverseTimeDecay');
    this.initialLearningRate = options.initialLearningRate;
    this.decaySteps = options.decaySteps;
    this.decayRate = options.decayRate;
    this.staircase = options.staircase ?? false;
    positive('InverseTimeDecay', 'decaySteps', this.decaySteps);
  }
  value(step: Node): Node {
    let p = ops.divide(step, this.decaySteps);
    if (this.staircase) p = floorNonNegative(p);
    return ops.divide(this.initialLearningRate, ops.add(1, ops.multiply(this.decayRate, p)));
  }
  initialValue(): number { return this.initialLearningRate; }
  protected options() { return { initialLearningRate: this.initialLearningRate, decaySteps: this.decaySteps, decayRate: this.decayRate, staircase: this.staircase, name: this.name }; }
}

export interface CosineDecayOptions {
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly alpha?: number;
  readonly warmupTarget?: number;
  readonly warmupSteps?: number;
  readonly name?: string;
}

/** Optional linear warmup from initialLearningRate to warmupTarget, then a cosine decay to alpha times the peak. */
export class CosineDecay extends LearningRateSchedule {
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly alpha: number;
  readonly warmupTarget?: number;
  readonly warmupSteps: number;
  constructor(options: CosineDecayOptions) {
    checkKnownOptions('CosineDecay', options, ['initialLearningRate', 'decaySteps', 'alpha', 'warmupTarget', 'warmupSteps', 'name']);
    super(options.name ?? 'CosineDecay');
    this.initialLearningRate = options.initialLearningRate;
    this.decaySteps = options.decaySteps;
    this.alpha = options.alpha ?? 0.0;
    this.warmupTarget = options.warmupTarget;
    this.warmupSteps = options.warmupSteps ?? 0;
    positive('CosineDecay', 'decaySteps', this.decaySteps);
    if (!(this.warmupSteps >= 0)) throw new Error(`CosineDecay: argument \`warmupSteps\` must be >= 0. Received: warmupSteps=${this.warmupSteps}`);
  }
  private decay(step: Node, from: number): Node {
    const cosineDecayed = ops.multiply(0.5, ops.add(1, cosOnZeroToPi(ops.multiply(Math.PI, ops.divide(step, this.decaySteps)))));
    return ops.multiply(from, ops.add(ops.multiply(1 - this.alpha, cosineDecayed), this.alpha));
  }
  value(step: Node): Node {
    if (this.warmupTarget === undefined) return this.decay(ops.minimum(step, this.decaySteps), this.initialLearningRate);
    const capped = ops.minimum(step, this.decaySteps + this.warmupSteps);
    // Both branches are finite for every step, so a select is Keras's cond.
    const warmup = ops.add(ops.multiply(this.warmupTarget - this.initialLearningRate, ops.divide(capped, Math.max(this.warmupSteps, 1))), this.initialLearningRate);
    return ops.where(ops.less(capped, this.warmupSteps), warmup, this.decay(ops.subtract(capped, this.warmupSteps), this.warmupTarget));
  }
  initialValue(): number {
    return this.warmupTarget === undefined || this.warmupSteps === 0 ? (this.warmupTarget ?? this.initialLearningRate) : this.initialLearningRate;
  }
  protected options() { return { initialLearningRate: this.initialLearningRate, decaySteps: this.decaySteps, alpha: this.alpha, name: this.name, warmupTarget: this.warmupTarget ?? null, warmupSteps: this.warmupSteps }; }
}

export interface CosineDecayRestartsOptions {
  readonly initialLearningRate: number;
  readonly firstDecaySteps: number;
  readonly tMul?: number;
  readonly mMul?: number;
  readonly alpha?: number;
  readonly name?: string;
}

/** SGDR: cosine decays restarted after firstDecaySteps, each period tMul times longer and mMul times lower. */
export class CosineDecayRestarts extends LearningRateSchedule {
  readonly initialLearningRate: number;
  readonly firstDecaySteps: number;
  readonly tMul: number;
  readonly mMul: number;
  readonly alpha: number;
  constructor(options: CosineDecayRestartsOptions) {
    checkKnownOptions('CosineDecayRestarts', options, ['initialLearningRate', 'firstDecaySteps', 'tMul', 'mMul', 'alpha', 'name']);
    super(options.name ?? 'SGDRDecay');
    this.initialLearningRate = options.initialLearningRate;
    this.firstDecaySteps = options.firstDecaySteps;
    this.tMul = options.tMul ?? 2.0;
    this.mMul = options.mMul ?? 1.0;
    this.alpha = options.alpha ?? 0.0;
    positive('CosineDecayRestarts', 'firstDecaySteps', this.firstDecaySteps);
    positive('CosineDecayRestarts', 'tMul', this.tMul);
  }
  value(step: Node): Node {
    const fraction = ops.divide(step, this.firstDecaySteps);
    let restart: Node, within: Node;
    if (this.tMul === 1) {
      restart = floorNonNegative(fraction);
      within = ops.subtract(fraction, restart);
    } else {
      const t = this.tMul;
      restart = floorNonNegative(ops.divide(ops.log(ops.subtract(1, ops.multiply(fraction, 1 - t))), Math.log(t)));
      const sumR = ops.divide(ops.subtract(1, ops.power(ops.convertToTensor(t), restart)), 1 - t);
      within = ops.divide(ops.subtract(fraction, sumR), ops.power(ops.convertToTensor(t), restart));
    }
    const mFac = ops.power(ops.convertToTensor(this.mMul), restart);
    const cosineDecayed = ops.multiply(ops.multiply(0.5, mFac), ops.add(1, cosOnZeroToPi(ops.multiply(Math.PI, within))));
    return ops.multiply(this.initialLearningRate, ops.add(ops.multiply(1 - this.alpha, cosineDecayed), this.alpha));
  }
  initialValue(): number { return this.initialLearningRate; }
  protected options() { return { initialLearningRate: this.initialLearningRate, firstDecaySteps: this.firstDecaySteps, tMul: this.tMul, mMul: this.mMul, alpha: this.alpha, name: this.name }; }
}

/** The schedule classes by Keras class name. */
export const SCHEDULE_CLASSES = { ExponentialDecay, PiecewiseConstantDecay, PolynomialDecay, InverseTimeDecay, CosineDecay, CosineDecayRestarts } as const;

/** Keras's serialize_keras_object(schedule). */
export function serializeSchedule(s: LearningRateSchedule): JsonObject {
  const className = Object.keys(SCHEDULE_CLASSES).find((k) => SCHEDULE_CLASSES[k as keyof typeof SCHEDULE_CLASSES] === s.constructor);
  if (className === undefined) throw new Error(`Cannot serialize learning-rate schedule ${s.constructor.name}: not a built-in Keras schedule`);
  return { module: 'keras.optimizers.schedules', class_name: className, config: s.getConfig(), registered_name: null };
}

/** A schedule from serialize_keras_object form. */
export function deserializeSchedule(value: Json): LearningRateSchedule {
  if (!isJsonObject(value) || typeof value.class_name !== 'string' || !isJsonObject(value.config ?? {})) {
    throw new Error(`Could not interpret learning rate schedule config: expected {"class_name": ..., "config": {...}}, got ${JSON.stringify(value)}`);
  }
  const Cls = (SCHEDULE_CLASSES as Record<string, { fromConfig(c: JsonObject): LearningRateSchedule }>)[value.class_name];
  if (Cls === undefined) throw new Error(`Could not locate learning rate schedule class '${value.class_name}'. keras-jit knows Keras's built-in learning rate schedules: ${Object.keys(SCHEDULE_CLASSES).join(', ')}`);
  return Cls.fromConfig((value.config ?? {}) as JsonObject);
}
