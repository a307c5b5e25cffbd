/**
 * Precision, Recall and AUC: weighted confusion counts per threshold, as Keras's
 * update_confusion_matrix_variables (a prediction counts as positive when it is strictly above
 * the threshold; a label counts as positive when it is non-zero; every value of the batch is
 * one decision unless classId picks one class).
 */
import type { Node } from '../../ir/node.js';
import type { Shape } from '../../ir/types.js';
import * as B from '../../ir/build.js';
import { matchRank } from '../graph-math.js';
import * as ops from '../ops.js';
import { checkOptions, optionKeys } from '../strict-options.js';
import type { ConfigSpec } from '../saving/config/option-spec.js';
import { divideNoNan, lastDim, StatefulMetric, weightsTo, type StateSpec } from './stateful.js';

type Count = 'true_positives' | 'false_positives' | 'true_negatives' | 'false_negatives';

/** Keras's backend epsilon, which widens AUC's outer thresholds so 0 and 1 predictions fall inside. */
const EPSILON = 1e-7;

/** A rank-1 float32 node of the given values. */
function constantVector(values: readonly number[]): Node {
  return B.concatenate(values.map((v) => B.fill(v, [1])), 0);
}

/** Whether each value is among the k largest of its last axis (fewer than k values strictly larger). */
function inTopK(p: Node, k: number): Node {
  const larger = ops.cast(ops.greater(ops.expandDims(p, -2), ops.expandDims(p, -1)), 'float32');
  return ops.less(ops.sum(larger, -1), k);
}

/** Picks class `classId` of the last axis (keeping the batch axes). */
function classSlice(x: Node, classId: number, name: string): Node {
  const classes = lastDim(name, x.shape);
  if (classId >= classes) throw new Error(`${name}: classId ${classId} is out of range for predictions with ${classes} classes`);
  const pick = ops.cast(ops.equal(B.iota(x.shape.map((d) => d ?? 1) as number[], x.shape.length - 1), classId), 'float32');
  return ops.sum(ops.multiply(x, pick), -1);
}

export interface ConfusionSetup {
  readonly thresholds: Node;
  readonly count: number;
  readonly topK?: number;
  readonly classId?: number;
  /** Counts per label (the last axis) instead of over every value: each count is (labels, thresholds). */
  readonly multiLabel?: boolean;
}

/** The weighted counts of a batch per threshold, in `which` order, each of shape (thresholds,). */
export function confusionCounts(name: string, yTrue: Node, yPred: Node, sampleWeight: Node | undefined, setup: ConfusionSetup, which: readonly Count[]): Node[] {
  let [t, p] = matchRank(ops.cast(yTrue, 'float32'), ops.cast(yPred, 'float32'));
  if (t.shape.length !== p.shape.length || t.shape.some((d, i) => d !== null && p.shape[i] !== null && d !== p.shape[i])) {
    throw new Error(`${name}: labels of shape (${t.shape.join(', ')}) do not match predictions of shape (${p.shape.join(', ')})`);
  }
  let w = sampleWeight === undefined ? undefined : weightsTo(sampleWeight, p);
  let kept: Node | undefined = setup.topK === undefined ? undefined : ops.cast(inTopK(p, setup.topK), 'float32');
  if (setup.classId !== undefined) {
    t = classSlice(t, setup.classId, name);
    if (kept !== undefined) kept = classSlice(kept, setup.classId, name);
    if (w !== undefined) w = classSlice(w, setup.classId, name);
    p = classSlice(p, setup.classId, name);
  }
  const labels = setup.multiLabel ? lastDim(name, p.shape) : 1;
  const flat = (x: Node) => ops.reshape(x, setup.multiLabel ? [-1, labels, 1] : [-1, 1]);
  const label = flat(ops.cast(ops.notEqual(t, 0), 'float32'));
  let predicted = ops.cast(ops.greater(flat(p), ops.reshape(setup.thresholds, setup.multiLabel ? [1, 1, setup.count] : [1, setup.count])), 'float32');
  if (kept !== undefined) predicted = ops.multiply(predicted, flat(kept));
  const weight = w === undefined ? undefined : flat(w);
  const weighted = (x: Node) => (weight === undefined ? x : ops.multiply(x, weight));
  const pos = weighted(label), neg = weighted(ops.subtract(1, label));
  const notPredicted = ops.subtract(1, predicted);
  const of: Record<Count, () => Node> = {
    true_positives: () => ops.sum(ops.multiply(pos, predicted), 0),
    false_positives: () => ops.sum(ops.multiply(neg, predicted), 0),
    true_negatives: () => ops.sum(ops.multiply(neg, notPredicted), 0),
    false_negatives: () => ops.sum(ops.multiply(pos, notPredicted), 0),
  };
  return which.map((c) => of[c]());
}

export interface PrecisionRecallOptions {
  /** One threshold or several (then the result has one value per threshold); default 0.5, or none with topK. */
  readonly thresholds?: number | readonly number[];
  /** Only the k largest predictions of each sample can count as positive. */
  readonly topK?: number;
  /** Scores only this class of the last axis. */
  readonly classId?: number;
  readonly name?: string;
}
const PR_KEYS = optionKeys<PrecisionRecallOptions>({ thresholds: true, topK: true, classId: true, name: true });

function checkedSetup(cls: string, o: PrecisionRecallOptions): { thresholds: number[]; topK?: number; classId?: number } {
  checkOptions(o, PR_KEYS, cls);
  const list = o.thresholds === undefined ? [o.topK === undefined ? 0.5 : -Infinity] : typeof o.thresholds === 'number' ? [o.thresholds] : [...o.thresholds];
  if (list.length === 0) throw new Error(`${cls}: thresholds must hold at least one value`);
  for (const v of list) {
    if (!(typeof v === 'number' && ((v >= 0 && v <= 1) || v === -Infinity))) throw new Error(`${cls}: threshold values must be in [0, 1], got ${String(v)}`);
  }
  for (const [key, v] of [['topK', o.topK], ['classId', o.classId]] as const) {
    if (v !== undefined && !(Number.isInteger(v) && v >= (key === 'topK' ? 1 : 0))) throw new Error(`${cls}: ${key} must be an integer >= ${key === 'topK' ? 1 : 0}, got ${String(v)}`);
  }
  return { thresholds: list, topK: o.topK, classId: o.classId };
}

abstract class ThresholdMetric extends StatefulMetric {
  protected readonly setup: { thresholds: number[]; topK?: number; classId?: number };
  constructor(cls: string, defaultName: string, options: PrecisionRecallOptions, private readonly counts: readonly Count[]) {
    super(options.name ?? defaultName);
    this.setup = checkedSetup(cls, options);
    this.constructorOptions = options;
  }
  stateSpecs(_t: Shape, _p: Shape): readonly StateSpec[] {
    return this.counts.map((name) => ({ name, shape: [this.setup.thresholds.length] }));
  }
  increments(yTrue: Node, yPred: Node, sampleWeight?: Node): readonly Node[] {
    // -Infinity (topK without thresholds) is Keras's NEG_INF: every kept prediction is positive.
    const thresholds = constantVector(this.setup.thresholds.map((v) => (v === -Infinity ? -1e10 : v)));
    return confusionCounts(this.name, yTrue, yPred, sampleWeight, { ...this.setup, thresholds, count: this.setup.thresholds.length }, this.counts);
  }
}

export class Precision extends ThresholdMetric {
  static override readonly kerasConfig: ConfigSpec = { thresholds: null, top_k: null, class_id: null };
  constructor(options: PrecisionRecallOptions = {}) {
    super('Precision', 'precision', options, ['true_positives', 'false_positives']);
  }
  resultOf(states: readonly ArrayLike<number>[]): number[] {
    return this.setup.thresholds.map((_, i) => (states.length === 0 ? 0 : divideNoNan(states[0][i], states[0][i] + states[1][i])));
  }
}

export class Recall extends ThresholdMetric {
  static override readonly kerasConfig: ConfigSpec = { thresholds: null, top_k: null, class_id: null };
  constructor(options: PrecisionRecallOptions = {}) {
    super('Recall', 'recall', options, ['true_positives', 'false_negatives']);
  }
  resultOf(states: readonly ArrayLike<number>[]): number[] {
    return this.setup.thresholds.map((_, i) => (states.length === 0 ? 0 : divideNoNan(states[0][i], states[0][i] + states[1][i])));
  }
}

export interface AUCOptions {
  readonly numThresholds?: number;
  /** 'ROC' (default) or 'PR'. */
  readonly curve?: 'ROC' | 'PR';
  /** 'interpolation' (default), 'minoring' or 'majoring'. */
  readonly summationMethod?: 'interpolation' | 'minoring' | 'majoring';
  /** Predictions are logits; a sigmoid is applied first. */
  readonly fromLogits?: boolean;
  /** One curve per label (the last axis), the result their mean; by default all values form one curve. */
  readonly multiLabel?: boolean;
  readonly name?: string;
}
const AUC_KEYS = optionKeys<AUCOptions>({ numThresholds: true, curve: true, summationMethod: true, fromLogits: true, multiLabel: true, name: true });
const AUC_UNSUPPORTED = {
  thresholds: 'AUC uses numThresholds evenly spaced thresholds',
  labelWeights: 'multi-label AUC is the plain mean over labels',
  numLabels: 'the number of labels is read from the predictions',
};
const ALL_COUNTS: readonly Count[] = ['true_positives', 'false_positives', 'true_negatives', 'false_negatives'];

export class AUC extends StatefulMetric {
  static override readonly kerasConfig: ConfigSpec = {
    num_thresholds: 200, curve: 'ROC', summation_method: 'interpolation', multi_label: false,
    num_labels: { fixed: null }, label_weights: { fixed: null }, from_logits: false,
  };
  readonly numThresholds: number;
  readonly curve: 'ROC' | 'PR';
  readonly summationMethod: 'interpolation' | 'minoring' | 'majoring';
  private readonly fromLogits: boolean;

  constructor(options: AUCOptions = {}) {
    checkOptions(options, AUC_KEYS, 'AUC', AUC_UNSUPPORTED);
    super(options.name ?? 'auc');
    this.constructorOptions = options;
    this.numThresholds = options.numThresholds ?? 200;
    if (!Number.isInteger(this.numThresholds) || this.numThresholds <= 1) throw new Error(`AUC: numThresholds must be an integer > 1, got ${String(options.numThresholds)}`);
    const curve = options.curve ?? 'ROC';
    if (curve !== 'ROC' && curve !== 'PR') throw new Error(`AUC: invalid curve '${String(curve)}'; expected 'ROC' or 'PR'`);
    const method = options.summationMethod ?? 'interpolation';
    if (!['interpolation', 'minoring', 'majoring'].includes(method)) throw new Error(`AUC: invalid summationMethod '${String(method)}'; expected 'interpolation', 'minoring' or 'majoring'`);
    this.curve = curve;
    this.summationMethod = method;
    this.fromLogits = options.fromLogits ?? false;
    this.multiLabel = options.multiLabel ?? false;
  }

  private readonly multiLabel: boolean;

  stateSpecs(_yTrueShape: Shape, yPredShape: Shape): readonly StateSpec[] {
    const shape = this.multiLabel ? [lastDim(this.name, yPredShape), this.numThresholds] : [this.numThresholds];
    return ALL_COUNTS.map((name) => ({ name, shape }));
  }

  /** Keras's thresholds: i / (n - 1), with the ends moved to -epsilon and 1 + epsilon. */
  private thresholds(): Node {
    const n = this.numThresholds;
    const i = B.iota([n], 0, 'int32');
    const inner = ops.divide(ops.cast(i, 'float32'), n - 1);
    return ops.where(ops.equal(i, 0), -EPSILON, ops.where(ops.equal(i, n - 1), 1 + EPSILON, inner));
  }

  increments(yTrue: Node, yPred: Node, sampleWeight?: Node): readonly Node[] {
    const p = this.fromLogits ? ops.sigmoid(yPred) : yPred;
    return confusionCounts(this.name, yTrue, p, sampleWeight, { thresholds: this.thresholds(), count: this.numThresholds, multiLabel: this.multiLabel }, ALL_COUNTS);
  }

  resultOf(states: readonly ArrayLike<number>[]): number[] {
    if (states.length === 0) return [0];
    const n = this.numThresholds;
    const labels = states[0].length / n;
    let sum = 0;
    for (let l = 0; l < labels; l++) {
      const row = (s: ArrayLike<number>) => Array.prototype.slice.call(s, l * n, (l + 1) * n) as number[];
      sum += this.curveArea(row(states[0]), row(states[1]), row(states[2]), row(states[3]));
    }
    return [sum / labels];
  }

  /** The area under one curve from its counts per threshold. */
  private curveArea(tp: ArrayLike<number>, fp: ArrayLike<number>, tn: ArrayLike<number>, fn: ArrayLike<number>): number {
    const n = this.numThresholds;
    if (this.curve === 'PR' && this.summationMethod === 'interpolation') return interpolatedPrAuc(tp, fp, fn, n);
    const x: number[] = [], y: number[] = [];
    for (let i = 0; i < n; i++) {
      const recall = divideNoNan(tp[i], tp[i] + fn[i]);
      if (this.curve === 'ROC') {
        x.push(divideNoNan(fp[i], fp[i] + tn[i]));
        y.push(recall);
      } else {
        x.push(recall);
        y.push(divideNoNan(tp[i], tp[i] + fp[i]));
      }
    }
    let area = 0;
    for (let i = 0; i < n - 1; i++) {
      const height = this.summationMethod === 'interpolation' ? (y[i] + y[i + 1]) / 2 : this.summationMethod === 'minoring' ? Math.min(y[i], y[i + 1]) : Math.max(y[i], y[i + 1]);
      area += (x[i] - x[i + 1]) * height;
    }
    return area;
  }
}

/** Davis & Goadrich's interpolation of the PR curve, as Keras's AUC.interpolate_pr_auc. */
function interpolatedPrAuc(tp: ArrayLike<number>, fp: ArrayLike<number>, fn: ArrayLike<number>, n: number): number {
  let total = 0;
  for (let i = 0; i < n - 1; i++) {
    const dtp = tp[i] - tp[i + 1];
    const pA = tp[i] + fp[i], pB = tp[i + 1] + fp[i + 1];
    const slope = divideNoNan(dtp, Math.max(pA - pB, 0));
    const intercept = tp[i + 1] - slope * pB;
    const ratio = pA > 0 && pB > 0 ? divideNoNan(pA, Math.max(pB, 0)) : 1;
    total += divideNoNan(slope * (dtp + intercept * Math.log(ratio)), Math.max(tp[i + 1] + fn[i + 1], 0));
  }
  return total;
}
