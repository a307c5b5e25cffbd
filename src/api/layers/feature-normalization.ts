/** Per-sample normalisations: UnitNormalization (L2) and GroupNormalization. */
import { formatShape, normalizeAxis, type Shape } from '../../ir/types.js';
import type { InitializerIdentifier } from '../initializers.js';
import * as ops from '../ops.js';
import type { SymbolicTensor } from '../ops.js';
import { Layer, type LayerArgs } from './layer.js';
import type { Variable } from './variable.js';

export interface UnitNormalizationArgs extends LayerArgs {
  readonly axis?: number | readonly number[];
}

/** Scales each sample to unit L2 norm along `axis` (Keras: epsilon 1e-12 under the norm). */
export class UnitNormalization extends Layer {
  readonly axis: number | readonly number[];
  constructor(args: UnitNormalizationArgs = {}) {
    super(args);
    const axis = args.axis ?? -1;
    if (!(typeof axis === 'number' ? Number.isInteger(axis) : Array.isArray(axis) && axis.every(Number.isInteger))) {
      throw new TypeError(`Invalid value for \`axis\` argument: expected an int or a list/tuple of ints. Received: axis=${JSON.stringify(axis)}`);
    }
    this.axis = typeof axis === 'number' ? axis : [...axis];
  }
  override call(x: SymbolicTensor): SymbolicTensor {
    return ops.normalize(x, { axis: this.axis, epsilon: 1e-12 });
  }
}

export interface GroupNormalizationArgs extends LayerArgs {
  /** Channel groups; -1 for one group per channel (instance normalisation). */
  readonly groups?: number;
  readonly axis?: number;
  readonly epsilon?: number;
  readonly center?: boolean;
  readonly scale?: boolean;
  readonly betaInitializer?: InitializerIdentifier;
  readonly gammaInitializer?: InitializerIdentifier;
}

/**
 * Splits the channels of `axis` into groups and normalises each group of each sample by its
 * own mean and variance (over the group's channels and every other non-batch axis).
 */
export class GroupNormalization extends Layer {
  groups: number;
  readonly axis: number;
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  readonly betaInitializer: InitializerIdentifier;
  readonly gammaInitializer: InitializerIdentifier;
  gamma: Variable | undefined;
  beta: Variable | undefined;

  constructor(args: GroupNormalizationArgs = {}) {
    const groups = args.groups ?? 32;
    if (!Number.isInteger(groups) || (groups <= 0 && groups !== -1)) {
      throw new Error(`Received an invalid value for argument \`groups\`, expected a positive integer (or \`-1\` for instance normalization). Received: groups=${groups}`);
    }
    super(args);
    this.groups = groups;
    this.axis = args.axis ?? -1;
    this.epsilon = args.epsilon ?? 1e-3;
    this.center = args.center ?? true;
    this.scale = args.scale ?? true;
    this.betaInitializer = args.betaInitializer ?? 'zeros';
    this.gammaInitializer = args.gammaInitializer ?? 'ones';
  }

  override build(inputShape: Shape): void {
    const axis = normalizeAxis(this.axis, inputShape.length, `GroupNormalization "${this.name}"`);
    const dim = inputShape[axis];
    if (dim === null) {
      throw new Error(`Axis ${this.axis} of input tensor should have a defined dimension but the layer received an input with shape ${formatShape(inputShape)}.`);
    }
    if (this.groups === -1) this.groups = dim;
    if (dim < this.groups) throw new Error(`Number of groups (${this.groups}) cannot be more than the number of channels (${dim}).`);
    if (dim % this.groups !== 0) throw new Error(`Number of groups (${this.groups}) must be a multiple of the number of channels (${dim}).`);
    this.inputSpec = { ndim: inputShape.length, axes: { [axis]: dim } };
    if (this.scale) this.gamma = this.addWeight({ name: 'gamma', shape: [dim], initializer: this.gammaInitializer });
    if (this.center) this.beta = this.addWeight({ name: 'beta', shape: [dim], initializer: this.betaInitializer });
  }

  override call(x: SymbolicTensor): SymbolicTensor {
    const input = ops.cast(x, 'float32');
    const rank = input.shape.length;
    const axis = normalizeAxis(this.axis, rank, 'GroupNormalization');
    const dim = input.shape[axis] as number;
    // (..., groups, channels per group, ...): statistics over every axis but batch and groups.
    const grouped = [...input.shape.slice(0, axis), this.groups, dim / this.groups, ...input.shape.slice(axis + 1)];
    const reshaped = ops.reshape(input, grouped);
    const reduceAxes = grouped.map((_, i) => i).filter((i) => i !== 0 && i !== axis);
    const mean = ops.mean(reshaped, { axis: reduceAxes, keepdims: true });
    const variance = ops.variance(reshaped, { axis: reduceAxes, keepdims: true });
    const perChannel = grouped.map((d, i) => (i === axis || i === axis + 1 ? d : 1));
    let inv = ops.rsqrt(ops.add(variance, this.epsilon));
    if (this.gamma !== undefined) inv = ops.multiply(inv, ops.reshape(this.gamma, perChannel));
    let shift = ops.multiply(ops.negative(mean), inv);
    if (this.beta !== undefined) shift = ops.add(shift, ops.reshape(this.beta, perChannel));
    return ops.reshape(ops.add(ops.multiply(reshaped, inv), shift), input.shape);
  }
}
