/**
 * Keras metrics as per-sample graph values. Every built-in metric here is a Keras
 * MeanMetricWrapper: its epoch value is total / count over all per-sample values seen, so the
 * engine only needs each batch's sum (a graph output) and count (known from the shapes).
 */
import type { Node } from '../ir/node.js';
import { formatShape, ShapeError, type Shape } from '../ir/types.js';
import { evalEager, isNode, type TensorLike } from './eager.js';
import { firstMaxIndex, matchRank } from './graph-math.js';
import * as ops from './ops.js';
import { quotedList, Registry } from './registry.js';
import { lossFunctionByName, meanAbsoluteError, meanSquaredError, registry as lossRegistry } from './losses.js';
import type { Tensor } from './tensor.js';

/** Per-sample metric values over graph nodes: what custom metrics passed to compile() implement. */
export type MetricFunction = (yTrue: Node, yPred: Node) => Node;

/** The first-maximum index along the last axis as float32, so it compares with float labels. */
function lastAxisArgmax(x: Node): Node {
  return firstMaxIndex(x, x.shape.length - 1);
}

function binaryAccuracyNode(yTrue: Node, yPred: Node, threshold = 0.5): Node {
  const [t, p] = matchRank(ops.cast(yTrue, 'float32'), yPred);
  const predicted = ops.cast(ops.greater(p, threshold), 'float32');
  return ops.mean(ops.cast(ops.equal(t, predicted), 'float32'), -1);
}

function categoricalAccuracyNode(yTrue: Node, yPred: Node): Node {
  return ops.cast(ops.equal(lastAxisArgmax(ops.cast(yTrue, 'float32')), lastAxisArgmax(yPred)), 'float32');
}

function sparseCategoricalAccuracyNode(yTrue: Node, yPred: Node): Node {
  let t = ops.cast(yTrue, 'float32');
  // Labels of shape (N, 1) are squeezed to (N,), and the matches keep the labels' shape, as Keras does.
  const keepShape = t.shape.length === yPred.shape.length;
  if (keepShape) t = ops.reshape(t, t.shape.slice(0, -1));
  if (t.shape.length !== yPred.shape.length - 1) {
    throw new ShapeError(`sparse_categorical_accuracy: labels of shape ${formatShape(yTrue.shape)} do not fit predictions of shape ${formatShape(yPred.shape)}`);
  }
  const matches = ops.cast(ops.equal(t, lastAxisArgmax(yPred)), 'float32');
  return keepShape ? ops.reshape(matches, yTrue.shape) : matches;
}

interface Dual {
  (yTrue: Node, yPred: Node): Node;
  (yTrue: TensorLike, yPred: TensorLike): Tensor;
}
function dual(fn: MetricFunction): Dual {
  function call(yTrue: Node, yPred: Node): Node;
  function call(yTrue: TensorLike, yPred: TensorLike): Tensor;
  function call(yTrue: Node | TensorLike, yPred: Node | TensorLike): Node | Tensor {
    if (isNode(yTrue) && isNode(yPred)) return fn(yTrue, yPred);
    if (isNode(yTrue) || isNode(yPred)) throw new Error('metric: pass two graph values or two tensors, not one of each');
    return evalEager(fn, [yTrue, yPred]);
  }
  return call;
}

export const binaryAccuracy = dual((t, p) => binaryAccuracyNode(t, p));
export const categoricalAccuracy = dual(categoricalAccuracyNode);
export const sparseCategoricalAccuracy = dual(sparseCategoricalAccuracyNode);
export { meanSquaredError, meanAbsoluteError };
export const mse = meanSquaredError;
export const mae = meanAbsoluteError;

/** A metric as the engine uses it: the name it is logged under and its per-sample values. */
export class Metric {
  constructor(readonly name: string, readonly fn: MetricFunction) {}
}

/** Keras's MeanMetricWrapper classes, for `metrics: [new metrics.BinaryAccuracy({ threshold })]`. */
export class BinaryAccuracy extends Metric {
  constructor(options: { name?: string; threshold?: number } = {}) {
    super(options.name ?? 'binary_accuracy', (t, p) => binaryAccuracyNode(t, p, options.threshold ?? 0.5));
  }
}
export class CategoricalAccuracy extends Metric {
  constructor(options: { name?: string } = {}) { super(options.name ?? 'categorical_accuracy', categoricalAccuracyNode); }
}
export class SparseCategoricalAccuracy extends Metric {
  constructor(options: { name?: string } = {}) { super(options.name ?? 'sparse_categorical_accuracy', sparseCategoricalAccuracyNode); }
}
export class MeanSquaredError extends Metric {
  constructor(options: { name?: string } = {}) { super(options.name ?? 'mean_squared_error', (t, p) => meanSquaredError(t, p)); }
}
export class MeanAbsoluteError extends Metric {
  constructor(options: { name?: string } = {}) { super(options.name ?? 'mean_absolute_error', (t, p) => meanAbsoluteError(t, p)); }
}

export type MetricIdentifier = string | Metric | MetricFunction;

/**
 * Keras's snake_case metric names with their camelCase aliases. 'accuracy' and 'acc' are not
 * here: what they mean depends on the shapes (see resolveAccuracy); loss names are metrics too.
 */
export const registry = new Registry<MetricFunction>('metric', {
  unknown: (identifier, r) =>
    `Unknown metric '${identifier}'. Valid names: ${quotedList(['accuracy', 'acc', ...r.spellings(), ...lossRegistry.spellings()])}`,
})
  .register('binary_accuracy', (t, p) => binaryAccuracyNode(t, p), ['binaryAccuracy'])
  .register('categorical_accuracy', categoricalAccuracyNode, ['categoricalAccuracy'])
  .register('sparse_categorical_accuracy', sparseCategoricalAccuracyNode, ['sparseCategoricalAccuracy']);

/**
 * Keras's rule for 'accuracy': binary when the prediction has one unit, sparse categorical when
 * the labels have a lower rank (or a unit last axis against several classes), else categorical.
 */
export function resolveAccuracy(yTrueShape: Shape, yPredShape: Shape): MetricFunction {
  const tLast = yTrueShape[yTrueShape.length - 1];
  const pLast = yPredShape[yPredShape.length - 1];
  if (pLast === 1) return (t, p) => binaryAccuracyNode(t, p);
  const sparse = yTrueShape.length < yPredShape.length || (tLast === 1 && pLast !== null && pLast > 1);
  return sparse ? sparseCategoricalAccuracyNode : categoricalAccuracyNode;
}

/**
 * Resolves a compile() metric for one output, knowing the label and prediction shapes (needed for
 * 'accuracy'). The logged name is the string the user gave, as Keras 3 does ('acc' stays 'acc').
 */
export function getMetric(identifier: MetricIdentifier, yTrueShape: Shape, yPredShape: Shape): Metric {
  if (identifier instanceof Metric) return identifier;
  if (typeof identifier === 'function') return new Metric(identifier.name || 'metric', identifier);
  if (typeof identifier === 'string') {
    const lower = identifier.toLowerCase();
    if (lower === 'accuracy' || lower === 'acc') return new Metric(identifier, resolveAccuracy(yTrueShape, yPredShape));
    // An unknown name reaches registry.get, whose error lists every metric and loss name.
    return new Metric(identifier, registry.find(identifier) ?? lossFunctionByName(identifier) ?? registry.get(identifier));
  }
  throw new Error(`Could not interpret metric identifier: ${String(identifier)}`);
}
