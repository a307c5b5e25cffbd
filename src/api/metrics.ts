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
import * as B from '../ir/build.js';
import { quotedList, Registry } from './registry.js';
import { lossFunctionByName, meanAbsoluteError, meanSquaredError, registry as lossRegistry } from './losses.js';
import type { Tensor } from './tensor.js';
import { checkOptions, optionKeys } from './strict-options.js';
import { StatefulMetric } from './metrics/stateful.js';
import type { Json, JsonObject } from './saving/config/json.js';
import { metricConfig, metricOptionsFromConfig, type ConfigSpec } from './saving/config/option-spec.js';
import { AUC, Precision, Recall } from './metrics/confusion.js';
import { F1Score, Mean, MeanIoU, R2Score, RootMeanSquaredError, Sum } from './metrics/streaming.js';

export { StatefulMetric, type StateSpec } from './metrics/stateful.js';
export { AUC, Precision, Recall, type AUCOptions, type PrecisionRecallOptions } from './metrics/confusion.js';
export { F1Score, Mean, MeanIoU, R2Score, RootMeanSquaredError, Sum, type F1ScoreOptions, type R2ScoreOptions } from './metrics/streaming.js';

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

/** 1 where the label's class is among the k largest predictions (fewer than k strictly larger), as Keras's in_top_k. */
function inTopKNode(labels: Node, yPred: Node, k: number): Node {
  const onehot = ops.cast(ops.equal(ops.expandDims(labels, -1), ops.cast(classIndices(yPred), 'float32')), 'float32');
  const target = ops.sum(ops.multiply(onehot, yPred), { axis: -1, keepdims: true });
  const larger = ops.sum(ops.cast(ops.greater(yPred, target), 'float32'), -1);
  return ops.cast(ops.less(larger, k), 'float32');
}

function classIndices(like: Node): Node {
  return B.iota(like.shape.map((d) => d ?? 1) as number[], like.shape.length - 1, 'int32');
}

function topKCategoricalNode(yTrue: Node, yPred: Node, k = 5): Node {
  return inTopKNode(lastAxisArgmax(ops.cast(yTrue, 'float32')), yPred, k);
}

function sparseTopKCategoricalNode(yTrue: Node, yPred: Node, k = 5): Node {
  let t = ops.cast(yTrue, 'float32');
  if (t.shape.length === yPred.shape.length && t.shape[t.shape.length - 1] === 1) t = ops.reshape(t, t.shape.slice(0, -1));
  if (t.shape.length !== yPred.shape.length - 1) {
    throw new ShapeError(`sparse_top_k_categorical_accuracy: labels of shape ${formatShape(yTrue.shape)} do not fit predictions of shape ${formatShape(yPred.shape)}`);
  }
  return inTopKNode(t, yPred, k);
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
export const topKCategoricalAccuracy = dual((t, p) => topKCategoricalNode(t, p));
export const sparseTopKCategoricalAccuracy = dual((t, p) => sparseTopKCategoricalNode(t, p));

/** A metric as the engine uses it: the name it is logged under and its per-sample values. */
export class Metric {
  private total = 0;
  private count = 0;

  /** The options the subclass was constructed with (what its Keras config records). */
  constructorOptions: object = {};
  /** Keras's config keys of the class besides name and dtype; undefined for a wrapped function. */
  static readonly kerasConfig: ConfigSpec | undefined = undefined;
  static readonly kerasDtype: string = 'float32';

  constructor(readonly name: string, readonly fn: MetricFunction) {}

  /** Keras 3's get_config(): what serialize_keras_object writes under "config". */
  getConfig(): Record<string, Json> {
    return metricConfig(this.constructor as typeof Metric, this.name, this.constructorOptions, this.constructor === Metric);
  }

  /** Keras 3's from_config(): a metric of this class from the config getConfig() (or Keras) wrote. */
  static fromConfig<T extends Metric>(this: (new (options?: never) => T) & typeof Metric, config: JsonObject): T {
    return new (this as unknown as new (o: object) => T)(metricOptionsFromConfig(this, config, (this as unknown) === Metric));
  }

  /**
   * Keras's MeanMetricWrapper.update_state on concrete tensors: adds the batch's per-sample
   * values (averaged over any axes past the batch), weighted by `sampleWeight` when given.
   */
  updateState(yTrue: TensorLike, yPred: TensorLike, sampleWeight?: TensorLike): void {
    const perSample = (t: Node, p: Node) => {
      const v = ops.cast(this.fn(t, p), 'float32');
      return v.shape.length > 1 ? ops.mean(v, v.shape.slice(1).map((_, k) => k + 1)) : v;
    };
    const values = evalEager(perSample, [yTrue, yPred]).data;
    const weights = sampleWeight === undefined ? undefined : evalEager((w) => ops.reshape(w, [-1]), [sampleWeight]).data;
    if (weights !== undefined && weights.length !== values.length) {
      throw new ShapeError(`${this.name}: ${weights.length} sample weights for ${values.length} samples`);
    }
    values.forEach((v, i) => {
      const w = weights === undefined ? 1 : weights[i];
      this.total += v * w;
      this.count += w;
    });
  }

  result(): number {
    return this.count === 0 ? 0 : this.total / this.count;
  }

  resetState(): void {
    this.total = 0;
    this.count = 0;
  }
}

/** Keras's accuracy(): 1 where the label equals the prediction exactly (ranks matched as Keras squeezes them). */
function exactAccuracyNode(yTrue: Node, yPred: Node): Node {
  const [t, p] = matchRank(ops.cast(yTrue, 'float32'), ops.cast(yPred, 'float32'));
  if (t.shape.length !== p.shape.length) throw new ShapeError(`accuracy: labels of shape ${formatShape(yTrue.shape)} do not fit predictions of shape ${formatShape(yPred.shape)}`);
  const equal = ops.cast(ops.equal(t, p), 'float32');
  return equal.shape.length > 1 ? ops.mean(equal, -1) : equal;
}

/**
 * Keras's Accuracy class: how often predictions equal labels exactly (not the 'accuracy' string,
 * which compile() resolves to binary, categorical or sparse categorical accuracy).
 */
export class Accuracy extends Metric {
  static override readonly kerasConfig: ConfigSpec = {};
  constructor(options: { name?: string } = {}) {
    checkOptions(options, optionKeys<{ name?: string }>({ name: true }), 'Accuracy');
    super(options.name ?? 'accuracy', exactAccuracyNode);
    this.constructorOptions = options;
  }
}

/** Keras's MeanMetricWrapper classes, for `metrics: [new metrics.BinaryAccuracy({ threshold })]`. */
export class BinaryAccuracy extends Metric {
  static override readonly kerasConfig: ConfigSpec = { threshold: 0.5 };
  constructor(options: { name?: string; threshold?: number } = {}) {
    super(options.name ?? 'binary_accuracy', (t, p) => binaryAccuracyNode(t, p, options.threshold ?? 0.5));
    this.constructorOptions = options;
  }
}
export class CategoricalAccuracy extends Metric {
  static override readonly kerasConfig: ConfigSpec = {};
  constructor(options: { name?: string } = {}) { super(options.name ?? 'categorical_accuracy', categoricalAccuracyNode); this.constructorOptions = options; }
}
export class SparseCategoricalAccuracy extends Metric {
  static override readonly kerasConfig: ConfigSpec = {};
  constructor(options: { name?: string } = {}) { super(options.name ?? 'sparse_categorical_accuracy', sparseCategoricalAccuracyNode); this.constructorOptions = options; }
}
export class MeanSquaredError extends Metric {
  static override readonly kerasConfig: ConfigSpec = {};
  constructor(options: { name?: string } = {}) { super(options.name ?? 'mean_squared_error', (t, p) => meanSquaredError(t, p)); this.constructorOptions = options; }
}
export class MeanAbsoluteError extends Metric {
  static override readonly kerasConfig: ConfigSpec = {};
  constructor(options: { name?: string } = {}) { super(options.name ?? 'mean_absolute_error', (t, p) => meanAbsoluteError(t, p)); this.constructorOptions = options; }
}

function checkK(cls: string, k: number | undefined): number {
  if (k !== undefined && !(Number.isInteger(k) && k >= 1)) throw new Error(`${cls}: k must be an integer >= 1, got ${String(k)}`);
  return k ?? 5;
}
export class TopKCategoricalAccuracy extends Metric {
  static override readonly kerasConfig: ConfigSpec = { k: 5 };
  constructor(options: { name?: string; k?: number } = {}) {
    checkOptions(options, optionKeys<{ name?: string; k?: number }>({ name: true, k: true }), 'TopKCategoricalAccuracy');
    const k = checkK('TopKCategoricalAccuracy', options.k);
    super(options.name ?? 'top_k_categorical_accuracy', (t, p) => topKCategoricalNode(t, p, k));
    this.constructorOptions = options;
  }
}
export class SparseTopKCategoricalAccuracy extends Metric {
  static override readonly kerasConfig: ConfigSpec = { k: 5 };
  constructor(options: { name?: string; k?: number } = {}) {
    checkOptions(options, optionKeys<{ name?: string; k?: number }>({ name: true, k: true }), 'SparseTopKCategoricalAccuracy', { fromSortedIds: 'predictions are scores per class' });
    const k = checkK('SparseTopKCategoricalAccuracy', options.k);
    super(options.name ?? 'sparse_top_k_categorical_accuracy', (t, p) => sparseTopKCategoricalNode(t, p, k));
    this.constructorOptions = options;
  }
}

export type MetricIdentifier = string | Metric | StatefulMetric | MetricFunction;

/** A metric class with a Keras config, as the saving code uses it. */
export interface MetricClass {
  new (options?: never): Metric | StatefulMetric;
  readonly kerasConfig: ConfigSpec | undefined;
  fromConfig(config: JsonObject): Metric | StatefulMetric;
}

/** Keras's stateful metric names (class names in snake_case), each making a fresh metric object. */
export const statefulRegistry = new Registry<() => StatefulMetric>('metric', {
  unknown: (identifier, r) => `Unknown metric '${identifier}'. Valid names: ${quotedList(r.spellings())}`,
})
  .register('auc', () => new AUC(), ['AUC'])
  .register('precision', () => new Precision(), ['Precision'])
  .register('recall', () => new Recall(), ['Recall'])
  .register('root_mean_squared_error', () => new RootMeanSquaredError(), ['rootMeanSquaredError', 'RootMeanSquaredError'])
  .register('r2_score', () => new R2Score(), ['r2Score', 'R2Score'])
  .register('f1_score', () => new F1Score(), ['f1Score', 'F1Score'])
  .register('mean', () => new Mean(), ['Mean'])
  .register('sum', () => new Sum(), ['Sum']);

/**
 * Keras's snake_case metric names with their camelCase aliases. 'accuracy' and 'acc' are not
 * here: what they mean depends on the shapes (see resolveAccuracy); loss names are metrics too.
 */
export const registry = new Registry<MetricFunction>('metric', {
  unknown: (identifier, r) =>
    `Unknown metric '${identifier}'. Valid names: ${quotedList(['accuracy', 'acc', ...r.spellings(), ...statefulRegistry.spellings(), ...lossRegistry.spellings()])}`,
})
  .register('binary_accuracy', (t, p) => binaryAccuracyNode(t, p), ['binaryAccuracy'])
  .register('categorical_accuracy', categoricalAccuracyNode, ['categoricalAccuracy'])
  .register('sparse_categorical_accuracy', sparseCategoricalAccuracyNode, ['sparseCategoricalAccuracy'])
  .register('top_k_categorical_accuracy', (t, p) => topKCategoricalNode(t, p), ['topKCategoricalAccuracy'])
  .register('sparse_top_k_categorical_accuracy', (t, p) => sparseTopKCategoricalNode(t, p), ['sparseTopKCategoricalAccuracy']);

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
export function getMetric(identifier: MetricIdentifier, yTrueShape: Shape, yPredShape: Shape): Metric | StatefulMetric {
  if (identifier instanceof Metric || identifier instanceof StatefulMetric) return identifier;
  if (typeof identifier === 'function') return new Metric(identifier.name || 'metric', identifier);
  if (typeof identifier === 'string') {
    const lower = identifier.toLowerCase();
    if (lower === 'accuracy' || lower === 'acc') return new Metric(identifier, resolveAccuracy(yTrueShape, yPredShape));
    const stateful = statefulRegistry.find(identifier);
    if (stateful !== undefined) return stateful();
    // An unknown name reaches registry.get, whose error lists every metric and loss name.
    return new Metric(identifier, registry.find(identifier) ?? lossFunctionByName(identifier) ?? registry.get(identifier));
  }
  throw new Error(`Could not interpret metric identifier: ${String(identifier)}`);
}
