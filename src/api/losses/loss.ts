/**
 * The Loss object: a name, a per-sample function and Keras 3's reduction of the (weighted)
 * per-sample values to what a batch reports.
 */
import type { Node } from '../../ir/node.js';
import { formatShape, ShapeError } from '../../ir/types.js';
import { evalEager, type TensorLike } from '../eager.js';
import type { Tensor } from '../tensor.js';
import * as ops from '../ops.js';
import type { Json, JsonObject } from '../saving/config/json.js';
import { camelOptions, configFromOptions, optionsFromConfig, type ConfigSpec } from '../saving/config/option-spec.js';

/** A per-sample loss over graph nodes: what custom losses passed to compile() implement. */
export type LossFunction = (yTrue: Node, yPred: Node) => Node;

/**
 * Keras 3's reductions: 'sum_over_batch_size' and 'mean' divide the weighted sum by the number
 * of values, 'mean_with_sample_weight' by the weight sum, 'sum' does not divide, 'none' keeps
 * the weighted per-sample values.
 */
export type Reduction = 'sum_over_batch_size' | 'sum' | 'none' | 'mean' | 'mean_with_sample_weight';
export const REDUCTIONS: readonly Reduction[] = ['sum_over_batch_size', 'sum', 'none', 'mean', 'mean_with_sample_weight'];

export function checkReduction(reduction: unknown, where: string): Reduction {
  if (reduction === undefined) return 'sum_over_batch_size';
  if (reduction === null) return 'none';
  if (typeof reduction !== 'string' || !(REDUCTIONS as readonly string[]).includes(reduction)) {
    throw new Error(`${where}: invalid value for argument \`reduction\`. Expected one of ${REDUCTIONS.map((r) => `'${r}'`).join(', ')}. Received: reduction=${String(reduction)}`);
  }
  return reduction as Reduction;
}

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

/**
 * Keras 3's apply_mask: the Keras mask of the predictions merged into the sample weights. For the
 * averaging reductions a kept value weighs total/valid, so the mean is over the kept values
 * (divide_no_nan: an all-masked batch weighs 0); otherwise the mask is a 0/1 weight.
 */
export function applyMask(sampleWeight: Node | undefined, mask: Node, reduction: Reduction): Node {
  let maskWeight: Node;
  if (reduction === 'mean' || reduction === 'sum_over_batch_size') {
    const total = mask.shape.reduce<number>((n, d) => n * (d ?? 0), 1);
    const valid = ops.sum(ops.cast(mask, 'float32'));
    const ratio = ops.where(ops.equal(valid, 0), 0, ops.divide(total, ops.where(ops.equal(valid, 0), 1, valid)));
    maskWeight = ops.where(ops.cast(mask, 'bool'), ratio, 0);
  } else {
    maskWeight = ops.cast(mask, 'float32');
  }
  if (sampleWeight === undefined) return maskWeight;
  // Keras's squeeze_or_expand_to_same_rank: only a trailing axis of 1 is reconciled. Keras then
  // fails to broadcast (N,) weights against an (N, steps) mask; say so here instead.
  let w = ops.cast(sampleWeight, 'float32');
  if (w.shape.length === maskWeight.shape.length + 1 && w.shape.at(-1) === 1) w = ops.squeeze(w, -1);
  if (maskWeight.shape.length === w.shape.length + 1 && maskWeight.shape.at(-1) === 1) maskWeight = ops.squeeze(maskWeight, -1);
  if (w.shape.length !== maskWeight.shape.length) {
    throw new ShapeError(`sample weights of shape ${formatShape(sampleWeight.shape)} cannot weigh predictions masked per step (mask shape ${formatShape(mask.shape)}), as in Keras; give one weight per step, shape ${formatShape(mask.shape)}`);
  }
  return ops.multiply(maskWeight, w);
}

/** A loss with its name: `call` gives per-sample values, `reduce` the batch value Keras reports. */
export class Loss {
  readonly reduction: Reduction;
  /** The options the subclass was constructed with (what a Keras config of the loss records). */
  constructorOptions: object = {};

  constructor(readonly name: string, private readonly fn: LossFunction, reduction: Reduction = 'sum_over_batch_size') {
    this.reduction = checkReduction(reduction, name);
  }

  /**
   * The keys of the class's Keras config besides name and reduction (see option-spec.ts);
   * undefined for a Loss wrapping a plain function, which has no Keras config.
   */
  static readonly kerasConfig: ConfigSpec | undefined = undefined;

  /** Keras 3's get_config(): what serialize_keras_object writes under "config", snake_case keys. */
  getConfig(): Record<string, Json> {
    const spec = (this.constructor as typeof Loss).kerasConfig;
    // A custom subclass writes Keras's base Loss config (override getConfig to add its own keys).
    if (spec === undefined && this.constructor !== Loss) return { name: this.name, reduction: this.reduction };
    if (spec === undefined) throw new Error(`Cannot get the config of loss '${this.name}': it wraps a function, not a Keras loss class; pass a built-in loss (e.g. 'categorical_crossentropy' or new losses.Huber()) or a Loss subclass to make it savable`);
    return { name: this.name, reduction: this.reduction, ...configFromOptions(spec, this.constructorOptions) };
  }

  /** Keras 3's from_config(): a loss of this class from the config getConfig() (or Keras) wrote. */
  static fromConfig<T extends Loss>(this: (new (options?: never) => T) & { readonly kerasConfig: ConfigSpec | undefined; readonly name: string }, config: JsonObject): T {
    if (this.kerasConfig === undefined && (this as unknown) === Loss) throw new Error(`${this.name}.fromConfig: the base Loss wraps a function and has no Keras config; use a Loss class such as losses.MeanSquaredError`);
    // A custom subclass gets every key, camelCased, as Keras's from_config calls cls(**config).
    if (this.kerasConfig === undefined) return new (this as unknown as new (o: object) => T)(camelOptions(config));
    const options = optionsFromConfig(`loss ${this.name}`, this.kerasConfig, config, ['name', 'reduction']);
    if (typeof config.name === 'string') options.name = config.name;
    if (config.reduction !== undefined) options.reduction = config.reduction;
    return new (this as unknown as new (o: object) => T)(options);
  }

  /** Per-sample losses (the last axis reduced). */
  call(yTrue: Node, yPred: Node): Node {
    return this.fn(yTrue, yPred);
  }

  /**
   * The loss of a batch under this loss's reduction. With the default 'sum_over_batch_size',
   * weights divide by the count, not by their own sum, so a weight of 0 removes a sample's loss
   * without raising the others'. 'none' gives the weighted per-sample values.
   */
  reduce(yTrue: Node, yPred: Node, sampleWeight?: Node, mask?: Node): Node {
    const values = this.call(yTrue, yPred);
    if (values.dtype !== 'float32') throw new ShapeError(`loss '${this.name}' returned ${values.dtype} values; losses must be float32`);
    const weights = mask === undefined ? sampleWeight : applyMask(sampleWeight, mask, this.reduction);
    const w = weights === undefined ? undefined : ops.broadcastTo(weightsLike(weights, values), values.shape);
    const weighted = w === undefined ? values : ops.multiply(values, w);
    if (this.reduction === 'none' || values.shape.length === 0) return weighted;
    const total = ops.sum(weighted);
    if (this.reduction === 'sum') return total;
    if (this.reduction === 'mean_with_sample_weight' && w !== undefined) {
      // Keras's divide_no_nan: a zero weight sum gives 0, not NaN.
      const divisor = ops.sum(w);
      const safe = ops.where(ops.equal(divisor, 0), 1, divisor);
      return ops.where(ops.equal(divisor, 0), 0, ops.divide(total, safe));
    }
    return ops.mean(weighted);
  }

  /** The per-sample shape of the labels this loss expects for predictions of `predictionSample` (what a dump traces with). */
  labelSample(predictionSample: readonly number[]): readonly number[] {
    return predictionSample;
  }

  /** Keras's `loss_obj(y_true, y_pred, sample_weight)` on concrete tensors: the reduced loss as a tensor. */
  apply(yTrue: TensorLike, yPred: TensorLike, sampleWeight?: TensorLike): Tensor {
    if (sampleWeight === undefined) return evalEager((t, p) => this.reduce(t, p), [yTrue, yPred]);
    return evalEager((t, p, w) => this.reduce(t, p, w), [yTrue, yPred, sampleWeight]);
  }

  /** The batch loss of concrete tensors as a number (a scalar reduction only). */
  compute(yTrue: TensorLike, yPred: TensorLike, sampleWeight?: TensorLike): number {
    if (this.reduction === 'none') throw new Error(`${this.name}: compute() gives one number, but reduction 'none' keeps a value per sample; use apply()`);
    return this.apply(yTrue, yPred, sampleWeight).data[0];
  }
}
