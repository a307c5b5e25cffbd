/**
 * Keras losses as compositions of IR primitives. Each loss function maps labels and predictions
 * to per-sample values (the last axis reduced, as Keras's functions do); `Loss` objects
 * (losses/loss.ts) reduce those with Keras 3's `reduction`, by default 'sum_over_batch_size'
 * (a mean over every per-sample value). The classes here check their options strictly.
 * The numerics follow Keras 3's TensorFlow backend: probabilities are clipped to
 * [1e-7, 1 - 1e-7] before the log, and logits go through a max-shifted log-softmax.
 */
import type { Node } from '../ir/node.js';
import { formatShape, ShapeError } from '../ir/types.js';
import { evalEager, isNode, type TensorLike } from './eager.js';
import { matchRank, oneHotLike } from './graph-math.js';
import * as ops from './ops.js';
import { quotedList, Registry } from './registry.js';
import type { Tensor } from './tensor.js';
import { checkOptions, optionKeys } from './strict-options.js';
import { Loss, type LossFunction, type Reduction } from './losses/loss.js';
import * as defs from './losses/definitions.js';
import { checkSameShape } from './losses/definitions.js';
import type { ConfigSpec } from './saving/config/option-spec.js';

export { Loss, REDUCTIONS, weightsLike, type LossFunction, type Reduction } from './losses/loss.js';
export type { BinaryFocalOptions, CategoricalFocalOptions } from './losses/definitions.js';

/** Keras's backend epsilon, used for clipping probabilities. */
export const EPSILON = 1e-7;

export interface CrossentropyOptions {
  /** Predictions are logits rather than probabilities. */
  readonly fromLogits?: boolean;
  /** Mixes the labels with the uniform distribution (categorical) or 0.5 (binary). */
  readonly labelSmoothing?: number;
}
export interface SparseCrossentropyOptions {
  readonly fromLogits?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Per-sample loss definitions on nodes

function mseNode(yTrue: Node, yPred: Node): Node {
  const [t, p] = matchRank(ops.cast(yTrue, 'float32'), yPred);
  return ops.mean(ops.square(ops.subtract(p, t)), -1);
}

function maeNode(yTrue: Node, yPred: Node): Node {
  const [t, p] = matchRank(ops.cast(yTrue, 'float32'), yPred);
  return ops.mean(ops.abs(ops.subtract(p, t)), -1);
}


function categoricalNode(yTrue: Node, yPred: Node, options: CrossentropyOptions = {}): Node {
  let t = ops.cast(yTrue, 'float32');
  checkSameShape('categorical_crossentropy', t, yPred);
  const smoothing = options.labelSmoothing ?? 0;
  if (smoothing > 0) {
    const classes = yPred.shape[yPred.shape.length - 1] as number;
    t = ops.add(ops.multiply(t, 1 - smoothing), smoothing / classes);
  }
  if (options.fromLogits) return ops.negative(ops.sum(ops.multiply(t, ops.logSoftmax(yPred)), -1));
  // Keras rescales so the class probabilities sum to 1, then clips before the log.
  const p = ops.clip(ops.divide(yPred, ops.sum(yPred, { axis: -1, keepdims: true })), EPSILON, 1 - EPSILON);
  return ops.negative(ops.sum(ops.multiply(t, ops.log(p)), -1));
}

/** Integer labels of shape (N, ...) from labels of shape (N, ...) or (N, ..., 1). */
function sparseLabels(yTrue: Node, yPred: Node): Node {
  let t = yTrue;
  if (t.shape.length === yPred.shape.length && t.shape[t.shape.length - 1] === 1) t = ops.reshape(t, t.shape.slice(0, -1));
  if (t.shape.length !== yPred.shape.length - 1) {
    throw new ShapeError(`sparse_categorical_crossentropy: labels of shape ${formatShape(yTrue.shape)} do not fit predictions of shape ${formatShape(yPred.shape)}; expected integer labels of shape ${formatShape(yPred.shape.slice(0, -1))}`);
  }
  return ops.cast(t, 'int32');
}

export { oneHotLike };

function sparseCategoricalNode(yTrue: Node, yPred: Node, options: SparseCrossentropyOptions = {}): Node {
  const onehot = oneHotLike(sparseLabels(yTrue, yPred), yPred);
  // Keras feeds log(clip(p)) to a softmax crossentropy, which renormalises the clipped
  // probabilities: -log(p[label]) + log(sum(p)).
  const logits = options.fromLogits ? yPred : ops.log(ops.clip(yPred, EPSILON, 1 - EPSILON));
  return ops.negative(ops.sum(ops.multiply(onehot, ops.logSoftmax(logits)), -1));
}

function binaryNode(yTrue: Node, yPred: Node, options: CrossentropyOptions = {}): Node {
  let [t, p] = matchRank(ops.cast(yTrue, 'float32'), yPred);
  checkSameShape('binary_crossentropy', t, p);
  const smoothing = options.labelSmoothing ?? 0;
  if (smoothing > 0) t = ops.add(ops.multiply(t, 1 - smoothing), 0.5 * smoothing);
  if (options.fromLogits) {
    // TF's sigmoid_cross_entropy_with_logits: max(x, 0) - x z + log(1 + exp(-|x|)), stable for any x.
    const softplus = ops.log(ops.add(1, ops.exp(ops.negative(ops.abs(p)))));
    return ops.mean(ops.add(ops.subtract(ops.maximum(p, 0), ops.multiply(p, t)), softplus), -1);
  }
  p = ops.clip(p, EPSILON, 1 - EPSILON);
  const ll = ops.add(ops.multiply(t, ops.log(p)), ops.multiply(ops.subtract(1, t), ops.log(ops.subtract(1, p))));
  return ops.mean(ops.negative(ll), -1);
}

// ---------------------------------------------------------------------------------------------
// Public functions: on nodes they build graph values; on tensors (or arrays) they compute now.

export interface DualLoss<O> {
  (yTrue: Node, yPred: Node, options?: O): Node;
  (yTrue: TensorLike, yPred: TensorLike, options?: O): Tensor;
}

function dual<O>(fn: (t: Node, p: Node, o?: O) => Node): DualLoss<O> {
  function call(yTrue: Node, yPred: Node, options?: O): Node;
  function call(yTrue: TensorLike, yPred: TensorLike, options?: O): Tensor;
  function call(yTrue: Node | TensorLike, yPred: Node | TensorLike, options?: O): Node | Tensor {
    if (isNode(yTrue) && isNode(yPred)) return fn(yTrue, yPred, options);
    if (isNode(yTrue) || isNode(yPred)) throw new Error('loss: pass two graph values or two tensors, not one of each');
    return evalEager((t, p) => fn(t, p, options), [yTrue, yPred]);
  }
  return call;
}

export const meanSquaredError = dual<never>(mseNode);
export const meanAbsoluteError = dual<never>(maeNode);
export const categoricalCrossentropy = dual<CrossentropyOptions>(categoricalNode);
export const sparseCategoricalCrossentropy = dual<SparseCrossentropyOptions>(sparseCategoricalNode);
export const binaryCrossentropy = dual<CrossentropyOptions>(binaryNode);
export const mse = meanSquaredError;
export const mae = meanAbsoluteError;
export const huber = dual<{ readonly delta?: number }>((t, p, o) => defs.huberNode(t, p, o?.delta ?? 1));
export const logCosh = dual<never>(defs.logCoshNode);
export const klDivergence = dual<never>(defs.klDivergenceNode);
export const poisson = dual<never>(defs.poissonNode);
export const cosineSimilarity = dual<{ readonly axis?: number }>((t, p, o) => defs.cosineSimilarityNode(t, p, o?.axis ?? -1));
export const hinge = dual<never>(defs.hingeNode);
export const squaredHinge = dual<never>(defs.squaredHingeNode);
export const categoricalHinge = dual<never>(defs.categoricalHingeNode);
export const meanAbsolutePercentageError = dual<never>(defs.mapeNode);
export const meanSquaredLogarithmicError = dual<never>(defs.msleNode);
export const binaryFocalCrossentropy = dual<defs.BinaryFocalOptions>(defs.binaryFocalNode);
export const categoricalFocalCrossentropy = dual<defs.CategoricalFocalOptions>(defs.categoricalFocalNode);
export const mape = meanAbsolutePercentageError;
export const msle = meanSquaredLogarithmicError;

// ---------------------------------------------------------------------------------------------
// Loss objects

/** What every Loss class takes, as Keras's `reduction` and `name`. */
export interface LossOptions {
  readonly reduction?: Reduction;
  readonly name?: string;
}
const BASE_KEYS = ['reduction', 'name'] as const;

/** Options checked against `keys` (plus reduction and name), so a typo or a Python spelling is an error. */
function checked<O extends LossOptions>(cls: string, options: O | undefined, keys: readonly string[] = []): O {
  checkOptions(options, [...keys, ...BASE_KEYS], cls);
  return (options ?? {}) as O;
}

function checkNumber(cls: string, key: string, v: number | undefined, min = -Infinity, max = Infinity): void {
  if (v === undefined) return;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    throw new Error(`${cls}: ${key} must be a number${min > -Infinity ? ` >= ${min}` : ''}${max < Infinity ? ` and <= ${max}` : ''}, got ${String(v)}`);
  }
}

export class MeanSquaredError extends Loss {
  static override readonly kerasConfig: ConfigSpec = {};
  constructor(options?: LossOptions) {
    const o = checked('MeanSquaredError', options);
    super(o.name ?? 'mean_squared_error', mseNode, o.reduction);
    this.constructorOptions = o;
  }
}
export class MeanAbsoluteError extends Loss {
  static override readonly kerasConfig: ConfigSpec = {};
  constructor(options?: LossOptions) {
    const o = checked('MeanAbsoluteError', options);
    super(o.name ?? 'mean_absolute_error', maeNode, o.reduction);
    this.constructorOptions = o;
  }
}
export type CrossentropyLossOptions = CrossentropyOptions & LossOptions;
const CROSSENTROPY_KEYS = optionKeys<CrossentropyOptions>({ fromLogits: true, labelSmoothing: true });
export class CategoricalCrossentropy extends Loss {
  static override readonly kerasConfig: ConfigSpec = { from_logits: false, label_smoothing: 0, axis: { fixed: -1 } };
  constructor(options?: CrossentropyLossOptions) {
    const o = checked('CategoricalCrossentropy', options, CROSSENTROPY_KEYS);
    checkNumber('CategoricalCrossentropy', 'labelSmoothing', o.labelSmoothing, 0, 1);
    super(o.name ?? 'categorical_crossentropy', (t, p) => categoricalNode(t, p, o), o.reduction);
    this.constructorOptions = o;
  }
}
export class SparseCategoricalCrossentropy extends Loss {
  static override readonly kerasConfig: ConfigSpec = { from_logits: false, ignore_class: { fixed: null } };
  constructor(options?: SparseCrossentropyOptions & LossOptions) {
    const o = checked('SparseCategoricalCrossentropy', options, ['fromLogits']);
    super(o.name ?? 'sparse_categorical_crossentropy', (t, p) => sparseCategoricalNode(t, p, o), o.reduction);
    this.constructorOptions = o;
  }
  /** One class index per prediction row. */
  override labelSample(predictionSample: readonly number[]): readonly number[] {
    return predictionSample.slice(0, -1);
  }
}
export class BinaryCrossentropy extends Loss {
  static override readonly kerasConfig: ConfigSpec = { from_logits: false, label_smoothing: 0, axis: { fixed: -1 } };
  constructor(options?: CrossentropyLossOptions) {
    const o = checked('BinaryCrossentropy', options, CROSSENTROPY_KEYS);
    checkNumber('BinaryCrossentropy', 'labelSmoothing', o.labelSmoothing, 0, 1);
    super(o.name ?? 'binary_crossentropy', (t, p) => binaryNode(t, p, o), o.reduction);
    this.constructorOptions = o;
  }
}
export class Huber extends Loss {
  static override readonly kerasConfig: ConfigSpec = { delta: { extra: 1 } };
  constructor(options?: { readonly delta?: number } & LossOptions) {
    const o = checked('Huber', options, ['delta']);
    checkNumber('Huber', 'delta', o.delta, 0);
    super(o.name ?? 'huber_loss', (t, p) => defs.huberNode(t, p, o.delta ?? 1), o.reduction);
    this.constructorOptions = o;
  }
}
export class LogCosh extends Loss {
  static override readonly kerasConfig: ConfigSpec = {};
  constructor(options?: LossOptions) {
    const o = checked('LogCosh', options);
    super(o.name ?? 'log_cosh', defs.logCoshNode, o.reduction);
    this.constructorOptions = o;
  }
}
export class KLDivergence extends Loss {
  static override readonly kerasConfig: ConfigSpec = {};
  constructor(options?: LossOptions) {
    const o = checked('KLDivergence', options);
    super(o.name ?? 'kl_divergence', defs.klDivergenceNode, o.reduction);
    this.constructorOptions = o;
  }
}
export class Poisson extends Loss {
  static override readonly kerasConfig: ConfigSpec = {};
  constructor(options?: LossOptions) {
    const o = checked('Poisson', options);
    super(o.name ?? 'poisson', defs.poissonNode, o.reduction);
    this.constructorOptions = o;
  }
}
export class CosineSimilarity extends Loss {
  static override readonly kerasConfig: ConfigSpec = { axis: { extra: -1 } };
  constructor(options?: { readonly axis?: number } & LossOptions) {
    const o = checked('CosineSimilarity', options, ['axis']);
    if (o.axis !== undefined && !Number.isInteger(o.axis)) throw new Error(`CosineSimilarity: axis must be an integer, got ${String(o.axis)}`);
    super(o.name ?? 'cosine_similarity', (t, p) => defs.cosineSimilarityNode(t, p, o.axis ?? -1), o.reduction);
    this.constructorOptions = o;
  }
}
export class Hinge extends Loss {
  static override readonly kerasConfig: ConfigSpec = {};
  constructor(options?: LossOptions) {
    const o = checked('Hinge', options);
    super(o.name ?? 'hinge', defs.hingeNode, o.reduction);
    this.constructorOptions = o;
  }
}
export class SquaredHinge extends Loss {
  static override readonly kerasConfig: ConfigSpec = {};
  constructor(options?: LossOptions) {
    const o = checked('SquaredHinge', options);
    super(o.name ?? 'squared_hinge', defs.squaredHingeNode, o.reduction);
    this.constructorOptions = o;
  }
}
export class CategoricalHinge extends Loss {
  static override readonly kerasConfig: ConfigSpec = {};
  constructor(options?: LossOptions) {
    const o = checked('CategoricalHinge', options);
    super(o.name ?? 'categorical_hinge', defs.categoricalHingeNode, o.reduction);
    this.constructorOptions = o;
  }
}
export class MeanAbsolutePercentageError extends Loss {
  static override readonly kerasConfig: ConfigSpec = {};
  constructor(options?: LossOptions) {
    const o = checked('MeanAbsolutePercentageError', options);
    super(o.name ?? 'mean_absolute_percentage_error', defs.mapeNode, o.reduction);
    this.constructorOptions = o;
  }
}
export class MeanSquaredLogarithmicError extends Loss {
  static override readonly kerasConfig: ConfigSpec = {};
  constructor(options?: LossOptions) {
    const o = checked('MeanSquaredLogarithmicError', options);
    super(o.name ?? 'mean_squared_logarithmic_error', defs.msleNode, o.reduction);
    this.constructorOptions = o;
  }
}
export class BinaryFocalCrossentropy extends Loss {
  static override readonly kerasConfig: ConfigSpec = { apply_class_balancing: false, alpha: 0.25, gamma: 2, from_logits: false, label_smoothing: 0, axis: { fixed: -1 } };
  constructor(options?: defs.BinaryFocalOptions & LossOptions) {
    const o = checked('BinaryFocalCrossentropy', options, optionKeys<defs.BinaryFocalOptions>({ applyClassBalancing: true, alpha: true, gamma: true, fromLogits: true, labelSmoothing: true }));
    checkNumber('BinaryFocalCrossentropy', 'gamma', o.gamma, 0);
    checkNumber('BinaryFocalCrossentropy', 'alpha', o.alpha, 0, 1);
    checkNumber('BinaryFocalCrossentropy', 'labelSmoothing', o.labelSmoothing, 0, 1);
    super(o.name ?? 'binary_focal_crossentropy', (t, p) => defs.binaryFocalNode(t, p, o), o.reduction);
    this.constructorOptions = o;
  }
}
export class CategoricalFocalCrossentropy extends Loss {
  static override readonly kerasConfig: ConfigSpec = { alpha: 0.25, gamma: 2, from_logits: false, label_smoothing: 0, axis: { fixed: -1 } };
  constructor(options?: defs.CategoricalFocalOptions & LossOptions) {
    const o = checked('CategoricalFocalCrossentropy', options, optionKeys<defs.CategoricalFocalOptions>({ alpha: true, gamma: true, fromLogits: true, labelSmoothing: true }));
    checkNumber('CategoricalFocalCrossentropy', 'gamma', o.gamma, 0);
    checkNumber('CategoricalFocalCrossentropy', 'alpha', o.alpha, 0, 1);
    checkNumber('CategoricalFocalCrossentropy', 'labelSmoothing', o.labelSmoothing, 0, 1);
    super(o.name ?? 'categorical_focal_crossentropy', (t, p) => defs.categoricalFocalNode(t, p, o), o.reduction);
    this.constructorOptions = o;
  }
}

// ---------------------------------------------------------------------------------------------
// Identifiers

/** Keras's snake_case names, each making a fresh Loss; the aliases are the spellings Keras accepts. */
export const registry = new Registry<() => Loss>('loss', {
  unknown: (identifier, r) => `Unknown loss '${identifier}'. Valid names: ${quotedList(r.spellings())}`,
})
  .register('mean_squared_error', () => new MeanSquaredError(), ['mse', 'MSE', 'meanSquaredError', 'MeanSquaredError'])
  .register('mean_absolute_error', () => new MeanAbsoluteError(), ['mae', 'MAE', 'meanAbsoluteError', 'MeanAbsoluteError'])
  .register('categorical_crossentropy', () => new CategoricalCrossentropy(), ['categoricalCrossentropy', 'CategoricalCrossentropy'])
  .register('sparse_categorical_crossentropy', () => new SparseCategoricalCrossentropy(), ['sparseCategoricalCrossentropy', 'SparseCategoricalCrossentropy'])
  .register('binary_crossentropy', () => new BinaryCrossentropy(), ['binaryCrossentropy', 'BinaryCrossentropy'])
  .register('huber', () => new Huber(), ['huber_loss', 'Huber'])
  .register('log_cosh', () => new LogCosh(), ['logcosh', 'logCosh', 'LogCosh'])
  .register('kl_divergence', () => new KLDivergence(), ['kld', 'KLD', 'kullback_leibler_divergence', 'klDivergence', 'KLDivergence'])
  .register('poisson', () => new Poisson(), ['Poisson'])
  .register('cosine_similarity', () => new CosineSimilarity(), ['cosineSimilarity', 'CosineSimilarity'])
  .register('hinge', () => new Hinge(), ['Hinge'])
  .register('squared_hinge', () => new SquaredHinge(), ['squaredHinge', 'SquaredHinge'])
  .register('categorical_hinge', () => new CategoricalHinge(), ['categoricalHinge', 'CategoricalHinge'])
  .register('mean_absolute_percentage_error', () => new MeanAbsolutePercentageError(), ['mape', 'MAPE', 'meanAbsolutePercentageError', 'MeanAbsolutePercentageError'])
  .register('mean_squared_logarithmic_error', () => new MeanSquaredLogarithmicError(), ['msle', 'MSLE', 'meanSquaredLogarithmicError', 'MeanSquaredLogarithmicError'])
  .register('binary_focal_crossentropy', () => new BinaryFocalCrossentropy(), ['binaryFocalCrossentropy', 'BinaryFocalCrossentropy'])
  .register('categorical_focal_crossentropy', () => new CategoricalFocalCrossentropy(), ['categoricalFocalCrossentropy', 'CategoricalFocalCrossentropy']);

/** The canonical snake_case name of a loss identifier, or undefined when unknown. */
export function canonicalLossName(name: string): string | undefined {
  return registry.canonicalName(name);
}

export const LOSS_NAMES: readonly string[] = registry.spellings();

export type LossIdentifier = string | Loss | LossFunction;

/**
 * Resolves what compile() accepts: a name, a Loss object or a per-sample function. A function's
 * name (if any) becomes the loss name, as Keras does with get_object_name.
 */
export function getLoss(identifier: LossIdentifier): Loss {
  if (identifier instanceof Loss) return identifier;
  if (typeof identifier === 'function') return new Loss(identifier.name || 'loss', identifier);
  if (typeof identifier === 'string') return registry.get(identifier)();
  throw new Error(`Could not interpret loss identifier: ${String(identifier)}`);
}

/** Per-sample loss nodes by canonical name, for metrics that reuse losses (e.g. metrics: ['binary_crossentropy']). */
export function lossFunctionByName(name: string): LossFunction | undefined {
  const make = registry.find(name);
  return make === undefined ? undefined : (t, p) => make().call(t, p);
}
