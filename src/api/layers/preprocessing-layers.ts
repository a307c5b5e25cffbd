/** Rescaling and Normalization: fixed or data-fitted affine maps of the input features. */
import { formatShape, type Shape } from '../../ir/types.js';
import * as ops from '../ops.js';
import type { SymbolicTensor } from '../ops.js';
import { Tensor } from '../tensor.js';
import { Layer, type LayerArgs } from './layer.js';
import type { Variable } from './variable.js';

export interface RescalingArgs extends LayerArgs {
  readonly offset?: number | readonly number[];
}

/** x * scale + offset; scale and offset may be per-channel lists (broadcast over the last axis). */
export class Rescaling extends Layer {
  readonly scale: number | readonly number[];
  readonly offset: number | readonly number[];
  constructor(scale: number | readonly number[], args: RescalingArgs = {}) {
    super(args);
    this.scale = scale;
    this.offset = args.offset ?? 0;
  }
  override call(x: SymbolicTensor): SymbolicTensor {
    const asTensor = (v: number | readonly number[], what: string) => {
      if (typeof v === 'number') return v;
      if (v.length !== x.shape.at(-1)) {
        throw new Error(`Rescaling's \`${what}\` has ${v.length} values but the input's last axis has ${x.shape.at(-1) ?? 'None'}: give one value or one per channel. Received input shape ${formatShape(x.shape)}`);
      }
      return ops.reshape(ops.stack(v.map((c) => ops.convertToTensor(c))), [v.length]);
    };
    return ops.add(ops.multiply(ops.cast(x, 'float32'), asTensor(this.scale, 'scale')), asTensor(this.offset, 'offset'));
  }
}

export interface NormalizationArgs extends LayerArgs {
  /** The axes that keep their own mean and variance (the rest are averaged over). Default -1; null for one scalar. */
  readonly axis?: number | readonly number[] | null;
  /** Fixed statistics instead of adapt(); a scalar or the shape of the kept axes. */
  readonly mean?: number | readonly number[];
  readonly variance?: number | readonly number[];
  /** Undo the normalisation: mean + x * sqrt(variance). */
  readonly invert?: boolean;
}

/** Keras's backend.epsilon(): the floor of the standard deviation. */
const EPSILON = 1e-7;

/**
 * (x - mean) / max(sqrt(variance), 1e-7) per kept axis. The statistics are fixed at construction
 * or computed by `adapt(data)` on the host (float64, Keras's batch-merging formula), stored as
 * non-trainable weights `mean`, `variance` and `count`.
 */
export class Normalization extends Layer {
  readonly axis: readonly number[];
  readonly invert: boolean;
  private readonly fixedMean: readonly number[] | undefined;
  private readonly fixedVariance: readonly number[] | undefined;
  private keepAxes: number[] = [];
  private buildShape: Shape | undefined;
  adaptMean: Variable | undefined;
  adaptVariance: Variable | undefined;
  count: Variable | undefined;

  constructor(args: NormalizationArgs = {}) {
    super(args);
    const axis = args.axis === undefined ? -1 : args.axis;
    this.axis = axis === null ? [] : typeof axis === 'number' ? [axis] : [...axis];
    this.invert = args.invert ?? false;
    if ((args.mean !== undefined) !== (args.variance !== undefined)) {
      throw new Error(`When setting values directly, both \`mean\` and \`variance\` must be set. Received: mean=${JSON.stringify(args.mean ?? null)} and variance=${JSON.stringify(args.variance ?? null)}`);
    }
    if (args.mean !== undefined && args.variance !== undefined) {
      const mean = typeof args.mean === 'number' ? [args.mean] : [...args.mean];
      const variance = typeof args.variance === 'number' ? [args.variance] : [...args.variance];
      if (mean.length !== variance.length || (typeof args.mean === 'number') !== (typeof args.variance === 'number')) {
        throw new Error(`When setting values directly, \`mean\` and \`variance\` must have the same shape. Received: mean=${JSON.stringify(args.mean)} and variance=${JSON.stringify(args.variance)}`);
      }
      this.fixedMean = mean;
      this.fixedVariance = variance;
    }
  }

  override build(inputShape: Shape): void {
    const ndim = inputShape.length;
    if (this.axis.some((a) => a < -ndim || a >= ndim)) {
      throw new Error(`All \`axis\` values must be in the range [-ndim, ndim). Received inputs with ndim=${ndim}, while axis=(${this.axis.join(', ')})`);
    }
    this.keepAxes = [...new Set(this.axis.map((a) => (a < 0 ? a + ndim : a)))].sort((a, b) => a - b);
    for (const d of this.keepAxes) {
      if (inputShape[d] === null) {
        throw new Error(`All \`axis\` values to be kept must have a known shape. Received axis=(${this.axis.join(', ')}), inputs.shape=${formatShape(inputShape)}, with unknown axis at index ${d}`);
      }
    }
    this.buildShape = [...inputShape];
    const statsShape = this.keepAxes.map((d) => inputShape[d] as number);
    if (this.fixedMean !== undefined) {
      const size = statsShape.reduce((p, d) => p * d, 1);
      if (this.fixedMean.length !== 1 && this.fixedMean.length !== size) {
        throw new Error(`Normalization's \`mean\` and \`variance\` have ${this.fixedMean.length} values; the kept axes ${formatShape(statsShape)} need 1 or ${size}`);
      }
      return;
    }
    this.adaptMean = this.addWeight({ name: 'mean', shape: statsShape, initializer: 'zeros', trainable: false });
    this.adaptVariance = this.addWeight({ name: 'variance', shape: statsShape, initializer: 'ones', trainable: false });
    this.count = this.addWeight({ name: 'count', shape: [], dtype: 'int32', initializer: 'zeros', trainable: false });
  }

  /**
   * Computes the mean and variance of `data` (one tensor, or batches of it) over the averaged
   * axes and stores them; later calls normalise with them.
   */
  adapt(data: Tensor | Iterable<Tensor>): void {
    const batches = data instanceof Tensor ? [data] : [...data];
    if (batches.length === 0) {
      throw new Error('adapt() received an empty iterable (no batches). Expected at least one batch. Pass a non-empty iterable of arrays or tensors, e.g. layer.adapt([x]) or layer.adapt(list_of_batches).');
    }
    if (this.fixedMean !== undefined) {
      throw new Error(`Layer "${this.name}" (Normalization) was given \`mean\` and \`variance\`; adapt() would overwrite them. Create the layer without them to adapt it.`);
    }
    const first = batches[0].shape;
    this.maybeBuild(first);
    for (const b of batches) {
      if (b.shape.length !== first.length || this.keepAxes.some((d) => b.shape[d] !== this.buildShape![d])) {
        throw new Error(`The layer was built with input_shape=${formatShape(this.buildShape!)}, but adapt() is being called with data with an incompatible shape, data.shape=${formatShape(b.shape)}`);
      }
    }
    const statsSize = this.keepAxes.reduce((p, d) => p * first[d], 1);
    let totalMean = new Float64Array(statsSize);
    let totalVariance = new Float64Array(statsSize);
    let totalCount = 0;
    for (const batch of batches) {
      const { mean, variance, count } = momentsOver(batch, this.keepAxes);
      totalCount += count;
      const batchWeight = count / totalCount;
      const existingWeight = 1 - batchWeight;
      const merged = totalMean.map((m, i) => m * existingWeight + mean[i] * batchWeight);
      totalVariance = totalVariance.map((v, i) =>
        (v + (totalMean[i] - merged[i]) ** 2) * existingWeight + (variance[i] + (mean[i] - merged[i]) ** 2) * batchWeight);
      totalMean = merged;
    }
    this.adaptMean!.assign(Float32Array.from(totalMean));
    this.adaptVariance!.assign(Float32Array.from(totalVariance));
  }

  override call(x: SymbolicTensor): SymbolicTensor {
    const input = ops.cast(x, 'float32');
    const broadcast = input.shape.map((d, i) => (this.keepAxes.includes(i) ? d : 1));
    const stat = (fixed: readonly number[] | undefined, weight: Variable | undefined): SymbolicTensor => {
      if (weight !== undefined) return ops.reshape(weight, broadcast);
      const values = fixed!;
      const node = ops.stack(values.map((v) => ops.convertToTensor(v)));
      return ops.reshape(node, values.length === 1 ? broadcast.map(() => 1) : broadcast);
    };
    const mean = stat(this.fixedMean, this.adaptMean);
    const std = ops.maximum(ops.sqrt(stat(this.fixedVariance, this.adaptVariance)), EPSILON);
    return this.invert ? ops.add(mean, ops.multiply(input, std)) : ops.divide(ops.subtract(input, mean), std);
  }
}

/** Mean and population variance of t over every axis not in `keep`, in float64. */
function momentsOver(t: Tensor, keep: readonly number[]): { mean: Float64Array; variance: Float64Array; count: number } {
  const shape = t.shape;
  const keptSize = keep.reduce((p, d) => p * shape[d], 1);
  const count = t.data.length / Math.max(keptSize, 1);
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((p, d) => p * d, 1));
  const keptIndex = (flat: number): number => keep.reduce((acc, d) => acc * shape[d] + (Math.floor(flat / strides[d]) % shape[d]), 0);
  const mean = new Float64Array(keptSize);
  for (let i = 0; i < t.data.length; i++) mean[keptIndex(i)] += t.data[i];
  for (let k = 0; k < keptSize; k++) mean[k] /= count;
  const variance = new Float64Array(keptSize);
  for (let i = 0; i < t.data.length; i++) {
    const k = keptIndex(i);
    variance[k] += (t.data[i] - mean[k]) ** 2;
  }
  for (let k = 0; k < keptSize; k++) variance[k] /= count;
  return { mean, variance, count };
}

