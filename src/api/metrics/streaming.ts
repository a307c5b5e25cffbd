/**
 * Mean, Sum, RootMeanSquaredError, R2Score, F1Score and MeanIoU as Keras 3 computes them: sums
 * accumulated over every batch, the result from the sums (see stateful.ts).
 */
import type { Node } from '../../ir/node.js';
import { ShapeError, formatShape, type Shape } from '../../ir/types.js';
import * as B from '../../ir/build.js';
import { matchRank } from '../graph-math.js';
import * as ops from '../ops.js';
import { checkOptions, optionKeys } from '../strict-options.js';
import type { TensorLike } from '../eager.js';
import type { ConfigSpec } from '../saving/config/option-spec.js';
import { checkRank, divideNoNan, lastDim, StatefulMetric, weightsTo, type StateSpec } from './stateful.js';

const EPSILON = 1e-7;
const nameOnly = optionKeys<{ name?: string }>({ name: true });

/** Keras's reduce_to_samplewise_values: one value per sample (reduced by `reduce`) times its weight. */
function samplewise(values: Node, sampleWeight: Node | undefined, reduce: 'mean' | 'sum'): { total: Node; count: Node } {
  const r = (x: Node) => (x.shape.length > 1 ? (reduce === 'mean' ? ops.mean(x, x.shape.slice(1).map((_, k) => k + 1)) : ops.sum(x, x.shape.slice(1).map((_, k) => k + 1))) : x);
  const v = ops.cast(values, 'float32');
  if (sampleWeight === undefined) return { total: ops.sum(r(v)), count: B.fill(v.shape.length === 0 ? 1 : (v.shape[0] ?? 1), []) };
  const perSample = r(v);
  const w = perSample.shape.length === 0 ? ops.reshape(ops.cast(sampleWeight, 'float32'), []) : weightsTo(sampleWeight, perSample);
  return { total: ops.sum(ops.multiply(perSample, w)), count: ops.sum(w) };
}

abstract class ValuesMetric extends StatefulMetric {
  override get takesLabels(): boolean {
    return false;
  }
  /** Keras's update_state(values, sample_weight). */
  override updateState(values: TensorLike, sampleWeight?: TensorLike): void {
    super.updateState(values, values, sampleWeight);
  }
}

/** The weighted mean of values (Keras's Mean): total / count of per-sample means. */
export class Mean extends ValuesMetric {
  static override readonly kerasConfig: ConfigSpec = {};
  constructor(options: { readonly name?: string } = {}) {
    checkOptions(options, nameOnly, 'Mean');
    super(options.name ?? 'mean');
    this.constructorOptions = options;
  }
  stateSpecs(): readonly StateSpec[] {
    return [{ name: 'total', shape: [] }, { name: 'count', shape: [] }];
  }
  increments(values: Node, _same: Node, sampleWeight?: Node): readonly Node[] {
    const s = samplewise(values, sampleWeight, 'mean');
    return [s.total, s.count];
  }
  resultOf(states: readonly ArrayLike<number>[]): number[] {
    return [states.length === 0 ? 0 : divideNoNan(states[0][0], states[1][0])];
  }
}

/** The weighted sum of values (Keras's Sum). */
export class Sum extends ValuesMetric {
  static override readonly kerasConfig: ConfigSpec = {};
  constructor(options: { readonly name?: string } = {}) {
    checkOptions(options, nameOnly, 'Sum');
    super(options.name ?? 'sum');
    this.constructorOptions = options;
  }
  stateSpecs(): readonly StateSpec[] {
    return [{ name: 'total', shape: [] }];
  }
  increments(values: Node, _same: Node, sampleWeight?: Node): readonly Node[] {
    return [samplewise(values, sampleWeight, 'sum').total];
  }
  resultOf(states: readonly ArrayLike<number>[]): number[] {
    return [states.length === 0 ? 0 : states[0][0]];
  }
}

export class RootMeanSquaredError extends StatefulMetric {
  static override readonly kerasConfig: ConfigSpec = {};
  constructor(options: { readonly name?: string } = {}) {
    checkOptions(options, nameOnly, 'RootMeanSquaredError');
    super(options.name ?? 'root_mean_squared_error');
    this.constructorOptions = options;
  }
  stateSpecs(): readonly StateSpec[] {
    return [{ name: 'total', shape: [] }, { name: 'count', shape: [] }];
  }
  increments(yTrue: Node, yPred: Node, sampleWeight?: Node): readonly Node[] {
    const [t, p] = matchRank(ops.cast(yTrue, 'float32'), yPred);
    const s = samplewise(ops.square(ops.subtract(p, t)), sampleWeight, 'mean');
    return [s.total, s.count];
  }
  resultOf(states: readonly ArrayLike<number>[]): number[] {
    return [states.length === 0 ? 0 : Math.sqrt(divideNoNan(states[0][0], states[1][0]))];
  }
}

export interface R2ScoreOptions {
  /** 'uniform_average' (default), 'variance_weighted_average', or null for one score per output. */
  readonly classAggregation?: 'uniform_average' | 'variance_weighted_average' | null;
  readonly name?: string;
}

export class R2Score extends StatefulMetric {
  static override readonly kerasConfig: ConfigSpec = { class_aggregation: 'uniform_average', num_regressors: { fixed: 0 } };
  private readonly aggregation: 'uniform_average' | 'variance_weighted_average' | null;
  constructor(options: R2ScoreOptions = {}) {
    checkOptions(options, optionKeys<R2ScoreOptions>({ classAggregation: true, name: true }), 'R2Score', { numRegressors: 'the adjusted R2 score is not built; use the plain score' });
    super(options.name ?? 'r2_score');
    this.constructorOptions = options;
    const a = options.classAggregation === undefined ? 'uniform_average' : options.classAggregation;
    if (a !== null && a !== 'uniform_average' && a !== 'variance_weighted_average') {
      throw new Error(`R2Score: invalid value for argument classAggregation. Expected one of 'uniform_average', 'variance_weighted_average', null. Received: ${String(a)}`);
    }
    this.aggregation = a;
  }
  stateSpecs(yTrueShape: Shape, yPredShape: Shape): readonly StateSpec[] {
    checkRank('R2Score', 'labels (samples, outputs)', yTrueShape.length === 1 ? [...yTrueShape, 1] : yTrueShape, 2);
    checkRank('R2Score', 'predictions (samples, outputs)', yPredShape.length === 1 ? [...yPredShape, 1] : yPredShape, 2);
    const c = yPredShape.length === 1 ? 1 : lastDim('R2Score', yPredShape);
    return ['squared_sum', 'sum', 'total_mse', 'count'].map((name) => ({ name, shape: [c] }));
  }
  increments(yTrue: Node, yPred: Node, sampleWeight?: Node): readonly Node[] {
    let [t, p] = matchRank(ops.cast(yTrue, 'float32'), ops.cast(yPred, 'float32'));
    if (t.shape.length === 1) [t, p] = [ops.expandDims(t, -1), ops.expandDims(p, -1)];
    if (t.shape[1] !== p.shape[1]) throw new ShapeError(`R2Score: labels of shape ${formatShape(t.shape)} do not match predictions of shape ${formatShape(p.shape)}`);
    const w = sampleWeight === undefined ? ops.onesLike(t) : weightsTo(sampleWeight, t);
    const wt = ops.multiply(t, w);
    return [ops.sum(ops.multiply(t, wt), 0), ops.sum(wt, 0), ops.sum(ops.multiply(ops.square(ops.subtract(t, p)), w), 0), ops.sum(w, 0)];
  }
  resultOf(states: readonly ArrayLike<number>[]): number[] {
    if (states.length === 0) return [0];
    const [squaredSum, sum, totalMse, count] = states;
    const totals: number[] = [], scores: number[] = [];
    for (let i = 0; i < sum.length; i++) {
      const mean = sum[i] / count[i];
      const total = squaredSum[i] - sum[i] * mean;
      const raw = 1 - totalMse[i] / total;
      totals.push(total);
      scores.push(raw === Infinity || raw === -Infinity ? 0 : raw);
    }
    if (this.aggregation === null) return scores;
    if (this.aggregation === 'uniform_average') return [scores.reduce((a, b) => a + b, 0) / scores.length];
    return [scores.reduce((a, s, i) => a + s * totals[i], 0) / totals.reduce((a, b) => a + b, 0)];
  }
}

export interface F1ScoreOptions {
  /** null (default, one score per class), 'micro', 'macro' or 'weighted'. */
  readonly average?: 'micro' | 'macro' | 'weighted' | null;
  /** Predictions above it are positive; by default the largest of each sample is. */
  readonly threshold?: number;
  readonly name?: string;
}

export class F1Score extends StatefulMetric {
  static override readonly kerasConfig: ConfigSpec = { average: null, threshold: null };
  private readonly average: 'micro' | 'macro' | 'weighted' | null;
  private readonly threshold: number | undefined;
  constructor(options: F1ScoreOptions = {}) {
    checkOptions(options, optionKeys<F1ScoreOptions>({ average: true, threshold: true, name: true }), 'F1Score');
    super(options.name ?? 'f1_score');
    this.constructorOptions = options;
    const a = options.average ?? null;
    if (a !== null && a !== 'micro' && a !== 'macro' && a !== 'weighted') {
      throw new Error(`F1Score: invalid \`average\` argument value. Expected one of: null, 'micro', 'macro', 'weighted'. Received: average=${String(a)}`);
    }
    if (options.threshold !== undefined && !(typeof options.threshold === 'number' && options.threshold > 0 && options.threshold <= 1)) {
      throw new Error(`F1Score: invalid \`threshold\` argument value. It should be a number between 0 and 1 (excluded 0). Received: threshold=${String(options.threshold)}`);
    }
    this.average = a;
    this.threshold = options.threshold;
  }
  stateSpecs(yTrueShape: Shape, yPredShape: Shape): readonly StateSpec[] {
    checkRank('F1Score', 'labels (samples, classes)', yTrueShape, 2);
    checkRank('F1Score', 'predictions (samples, classes)', yPredShape, 2);
    const shape = this.average === 'micro' ? [] : [lastDim('F1Score', yPredShape)];
    return ['true_positives', 'false_positives', 'false_negatives', 'intermediate_weights'].map((name) => ({ name, shape }));
  }
  increments(yTrue: Node, yPred: Node, sampleWeight?: Node): readonly Node[] {
    const t = ops.cast(yTrue, 'float32');
    const p = ops.cast(yPred, 'float32');
    const predicted = this.threshold === undefined
      ? ops.logicalAnd(ops.greaterEqual(p, ops.max(p, { axis: -1, keepdims: true })), ops.greater(ops.abs(p), 1e-9))
      : ops.greater(p, this.threshold);
    const yp = ops.cast(predicted, 'float32');
    const w = sampleWeight === undefined ? undefined : weightsTo(sampleWeight, p);
    const sum = (x: Node) => (this.average === 'micro' ? ops.sum(w === undefined ? x : ops.multiply(x, w)) : ops.sum(w === undefined ? x : ops.multiply(x, w), 0));
    return [sum(ops.multiply(yp, t)), sum(ops.multiply(yp, ops.subtract(1, t))), sum(ops.multiply(ops.subtract(1, yp), t)), sum(t)];
  }
  resultOf(states: readonly ArrayLike<number>[]): number[] {
    if (states.length === 0) return [0];
    const [tp, fp, fn, weights] = states;
    const f1 = Array.from(tp, (_, i) => {
      const precision = tp[i] / (tp[i] + fp[i] + EPSILON);
      const recall = tp[i] / (tp[i] + fn[i] + EPSILON);
      return (2 * precision * recall) / (precision + recall + EPSILON);
    });
    if (this.average === 'weighted') {
      const total = Array.from(weights).reduce((a, b) => a + b, 0) + EPSILON;
      return [f1.reduce((a, v, i) => a + (v * weights[i]) / total, 0)];
    }
    if (this.average !== null) return [f1.reduce((a, b) => a + b, 0) / f1.length];
    return f1;
  }
}

/** Keras's MeanIoU with integer class labels and predictions (sparse, its default). */
export class MeanIoU extends StatefulMetric {
  static override readonly kerasConfig: ConfigSpec = { num_classes: null, ignore_class: { fixed: null }, sparse_y_true: { fixed: true }, sparse_y_pred: { fixed: true }, axis: { fixed: -1 } };
  /** Keras 3.15 writes MeanIoU's dtype as int32 (its confusion matrix's). */
  static override readonly kerasDtype = 'int32';
  readonly numClasses: number;
  constructor(options: { readonly numClasses: number; readonly name?: string }) {
    checkOptions(options, optionKeys<{ numClasses: number; name?: string }>({ numClasses: true, name: true }), 'MeanIoU', {
      ignoreClass: 'every class is scored', sparseYTrue: 'labels are class indices', sparseYPred: 'predictions are class indices', axis: 'labels and predictions are class indices',
    });
    super(options?.name ?? 'mean_io_u');
    this.constructorOptions = options;
    if (!Number.isInteger(options?.numClasses) || options.numClasses < 1) throw new Error(`MeanIoU: numClasses must be an integer >= 1, got ${String(options?.numClasses)}`);
    this.numClasses = options.numClasses;
  }
  stateSpecs(): readonly StateSpec[] {
    return [{ name: 'total_cm', shape: [this.numClasses, this.numClasses] }];
  }
  increments(yTrue: Node, yPred: Node, sampleWeight?: Node): readonly Node[] {
    const c = this.numClasses;
    const t = ops.reshape(ops.cast(yTrue, 'float32'), [-1, 1]);
    const p = ops.reshape(ops.cast(yPred, 'float32'), [-1, 1]);
    const classes = ops.cast(B.iota([1, c], 1, 'int32'), 'float32');
    let rows = ops.cast(ops.equal(t, classes), 'float32');
    const cols = ops.cast(ops.equal(p, classes), 'float32');
    if (sampleWeight !== undefined) {
      const w = ops.reshape(weightsTo(sampleWeight, ops.cast(yTrue, 'float32')), [-1, 1]);
      rows = ops.multiply(rows, w);
    }
    // cm[i][j]: weight of samples with label i predicted as j.
    return [ops.matmul(ops.transpose(rows, [1, 0]), cols)];
  }
  resultOf(states: readonly ArrayLike<number>[]): number[] {
    if (states.length === 0) return [0];
    const cm = states[0];
    const c = this.numClasses;
    let sum = 0, valid = 0;
    for (let i = 0; i < c; i++) {
      let row = 0, col = 0;
      for (let j = 0; j < c; j++) {
        row += cm[i * c + j];
        col += cm[j * c + i];
      }
      const denominator = row + col - cm[i * c + i];
      if (denominator !== 0) valid++;
      sum += divideNoNan(cm[i * c + i], denominator);
    }
    return [divideNoNan(sum, valid)];
  }
}
