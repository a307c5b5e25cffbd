/**
 * Keras's stateful metrics: state variables that batches add to and a result computed from
 * them, so an epoch's value is the metric of all its samples, not a mean of per-batch values.
 * Every state here is additive (counts, sums, confusion matrices): a batch contributes
 * increments, which the compiled step adds to the state variables; the result is read from
 * the states in float64 on the host. The same object runs standalone (updateState/result).
 */
import type { Node } from '../../ir/node.js';
import { formatShape, ShapeError, type Shape } from '../../ir/types.js';
import { evalEager, toTensor, type TensorLike } from '../eager.js';
import * as ops from '../ops.js';
import type { Json, JsonObject } from '../saving/config/json.js';
import { metricConfig, metricOptionsFromConfig, type ConfigSpec } from '../saving/config/option-spec.js';

/** A state variable: its name (Keras's, e.g. 'true_positives') and concrete shape. */
export interface StateSpec {
  readonly name: string;
  readonly shape: readonly number[];
}

export abstract class StatefulMetric {
  private standalone: { specs: readonly StateSpec[]; values: Float64Array[] } | undefined;

  /** The options the subclass was constructed with (what its Keras config records). */
  constructorOptions: object = {};
  /** Keras's config keys of the class besides name and dtype (see option-spec.ts). */
  static readonly kerasConfig: ConfigSpec | undefined = undefined;
  static readonly kerasDtype: string = 'float32';

  constructor(readonly name: string) {}

  /** Keras 3's get_config(): what serialize_keras_object writes under "config". */
  getConfig(): Record<string, Json> {
    return metricConfig(this.constructor as typeof StatefulMetric, this.name, this.constructorOptions, false);
  }

  /** Keras 3's from_config(): a metric of this class from the config getConfig() (or Keras) wrote. */
  static fromConfig<T extends StatefulMetric>(this: (new (options?: never) => T) & { readonly name: string; readonly kerasConfig: ConfigSpec | undefined; readonly kerasDtype: string }, config: JsonObject): T {
    return new (this as unknown as new (o: object) => T)(metricOptionsFromConfig(this, config, false));
  }

  /** The states for labels and predictions of these shapes (the batch axis may be unknown). */
  abstract stateSpecs(yTrueShape: Shape, yPredShape: Shape): readonly StateSpec[];

  /** What one batch adds to each state, in stateSpecs order; `sampleWeight` is (N,) or (N, 1). */
  abstract increments(yTrue: Node, yPred: Node, sampleWeight?: Node): readonly Node[];

  /** The metric from the accumulated states: one number, or one per threshold or class. */
  abstract resultOf(states: readonly ArrayLike<number>[]): number[];

  /** Whether compile() can use it (Mean and Sum take values, not labels and predictions). */
  get takesLabels(): boolean {
    return true;
  }

  /** Keras's update_state on concrete tensors, accumulated in this object until resetState(). */
  updateState(yTrue: TensorLike, yPred: TensorLike, sampleWeight?: TensorLike): void {
    const t = toTensor(yTrue), p = toTensor(yPred);
    const specs = this.stateSpecs(t.shape, p.shape);
    if (this.standalone !== undefined && this.standalone.specs.map((s) => s.shape.join()).join('|') !== specs.map((s) => s.shape.join()).join('|')) {
      throw new ShapeError(`${this.name}: this batch needs states of shapes ${specs.map((s) => formatShape(s.shape)).join(', ')} but earlier batches built ${this.standalone.specs.map((s) => formatShape(s.shape)).join(', ')}`);
    }
    const st = (this.standalone ??= { specs, values: specs.map((s) => new Float64Array(s.shape.reduce((a, d) => a * d, 1))) });
    const add = (incs: readonly Node[]) => ops.concatenate(incs.map((n) => ops.reshape(n, [-1])), 0);
    const out = sampleWeight === undefined
      ? evalEager((a, b) => add(this.increments(a, b)), [t, p])
      : evalEager((a, b, w) => add(this.increments(a, b, w)), [t, p, sampleWeight]);
    let at = 0;
    for (const v of st.values) for (let i = 0; i < v.length; i++) v[i] += out.data[at++];
  }

  /** Keras's result(): a number, or an array for several thresholds or per-class values. */
  result(): number | number[] {
    const st = this.standalone;
    const values = this.resultOf(st === undefined ? [] : st.values);
    return values.length === 1 ? values[0] : values;
  }

  resetState(): void {
    this.standalone = undefined;
  }
}

/** Keras's divide_no_nan. */
export function divideNoNan(a: number, b: number): number {
  return b === 0 ? 0 : a / b;
}

/** Sample weights of shape (N,) or (N, 1) broadcast to `like`'s shape (Keras broadcasts them per sample). */
export function weightsTo(sampleWeight: Node, like: Node): Node {
  let w = ops.cast(sampleWeight, 'float32');
  if (w.shape.length === like.shape.length + 1 && w.shape[w.shape.length - 1] === 1) w = ops.reshape(w, w.shape.slice(0, -1));
  while (w.shape.length < like.shape.length) w = ops.expandDims(w, -1);
  if (w.shape.length > like.shape.length) throw new ShapeError(`sample weights of shape ${formatShape(sampleWeight.shape)} do not fit values of shape ${formatShape(like.shape)}`);
  return ops.broadcastTo(w, like.shape);
}

export function checkRank(name: string, what: string, shape: Shape, rank: number): void {
  if (shape.length !== rank) throw new ShapeError(`${name}: expected ${what} of rank ${rank}, got shape ${formatShape(shape)}`);
}

export function lastDim(name: string, shape: Shape): number {
  const d = shape[shape.length - 1];
  if (d === null || d === undefined) throw new ShapeError(`${name}: the last axis of shape ${formatShape(shape)} must be known`);
  return d;
}
