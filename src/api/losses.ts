/**
 * Keras losses as compositions of IR primitives. Each loss function maps labels and predictions
 * to per-sample values (the last axis reduced, as Keras's functions do); `Loss` objects reduce
 * those with Keras's default 'sum_over_batch_size' (a mean over every per-sample value).
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

/** A per-sample loss over graph nodes: what custom losses passed to compile() implement. */
export type LossFunction = (yTrue: Node, yPred: Node) => Node;

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

function checkSameShape(name: string, t: Node, p: Node): void {
  if (t.shape.length !== p.shape.length || t.shape.some((d, i) => d !== null && p.shape[i] !== null && d !== p.shape[i])) {
    throw new ShapeError(`${name}: labels of shape ${formatShape(t.shape)} do not match predictions of shape ${formatShape(p.shape)}`);
  }
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

// ---------------------------------------------------------------------------------------------
// Loss objects

/**
 * Sample weights brought to the rank of per-sample values, as Keras's
 * squeeze_or_expand_to_same_rank: a trailing 1 is dropped, missing trailing axes are added, so
 * weights of shape (N,) or (N, 1) weigh losses of shape (N,) or (N, T) per sample.
 */
export function weightsLike(weights: Node, values: Node): Node {
  let w = weights;
  if (w.shape.length === values.shape.length + 1 && w.shape[w.shape.length - 1] === 1) w = ops.reshape(w, w.shape.slice(0, -1));
  if (w.shape.length > values.shape.length) {
    throw new ShapeError(`sample weights of shape ${formatShape(weights.shape)} do not fit per-sample values of shape ${formatShape(values.shape)}`);
  }
  while (w.shape.length < values.shape.length) w = ops.expandDims(w, -1);
  return w;
}

/** A loss with its name: `call` gives per-sample values, `reduce` the batch value Keras reports. */
export class Loss {
  constructor(readonly name: string, private readonly fn: LossFunction) {}

  /** Per-sample losses (the last axis reduced). */
  call(yTrue: Node, yPred: Node): Node {
    return this.fn(yTrue, yPred);
  }

  /**
   * The scalar loss of a batch, Keras's 'sum_over_batch_size': the sum of the (weighted)
   * per-sample values over their count. Weights divide by the count, not by their own sum, so a
   * weight of 0 removes a sample's loss without raising the others'.
   */
  reduce(yTrue: Node, yPred: Node, sampleWeight?: Node): Node {
    const values = this.call(yTrue, yPred);
    if (values.dtype !== 'float32') throw new ShapeError(`loss '${this.name}' returned ${values.dtype} values; losses must be float32`);
    if (sampleWeight === undefined) return ops.mean(values);
    return ops.mean(ops.multiply(values, weightsLike(sampleWeight, values)));
  }

  /** The per-sample shape of the labels this loss expects for predictions of `predictionSample` (what a dump traces with). */
  labelSample(predictionSample: readonly number[]): readonly number[] {
    return predictionSample;
  }

  /** Computes the batch loss of concrete tensors now (Keras's `loss_obj(y_true, y_pred)`). */
  compute(yTrue: TensorLike, yPred: TensorLike): number {
    return evalEager((t, p) => this.reduce(t, p), [yTrue, yPred]).data[0];
  }
}

export class MeanSquaredError extends Loss {
  constructor() { super('mean_squared_error', mseNode); }
}
export class MeanAbsoluteError extends Loss {
  constructor() { super('mean_absolute_error', maeNode); }
}
export class CategoricalCrossentropy extends Loss {
  constructor(options: CrossentropyOptions = {}) {
    super('categorical_crossentropy', (t, p) => categoricalNode(t, p, options));
  }
}
export class SparseCategoricalCrossentropy extends Loss {
  constructor(options: SparseCrossentropyOptions = {}) {
    super('sparse_categorical_crossentropy', (t, p) => sparseCategoricalNode(t, p, options));
  }
  /** One class index per prediction row. */
  override labelSample(predictionSample: readonly number[]): readonly number[] {
    return predictionSample.slice(0, -1);
  }
}
export class BinaryCrossentropy extends Loss {
  constructor(options: CrossentropyOptions = {}) {
    super('binary_crossentropy', (t, p) => binaryNode(t, p, options));
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
  .register('binary_crossentropy', () => new BinaryCrossentropy(), ['binaryCrossentropy', 'BinaryCrossentropy']);

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
