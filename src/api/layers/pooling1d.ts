/**
 * 1-D pooling over (batch, steps, channels): the 2-D pooling primitives on a height-1 image, so
 * both tiers' pooling kernels and gradients serve sequences.
 */
import { avgPool2d, maxPool2d } from '../../ir/build.js';
import * as ops from '../ops.js';
import type { SymbolicTensor } from '../ops.js';
import { checkPadding, requireChannelsLast, type PaddingMode } from './conv-utils.js';
import { asImage, fromImage, padding1d, toSingle } from './conv1d-utils.js';
import { checkLayerOptions } from './layer-options.js';
import { Layer, type CallArgs, type LayerArgs } from './layer.js';
import { firstMask } from './masks.js';

export interface Pooling1DArgs extends LayerArgs {
  readonly poolSize?: number | readonly [number];
  /** Defaults to poolSize. */
  readonly strides?: number | readonly [number] | null;
  readonly padding?: PaddingMode;
  readonly dataFormat?: 'channels_last';
}

/** `new MaxPooling1D(3, { ... })` (Keras's positional pool_size) or `new MaxPooling1D({ poolSize, ... })`. */
type PoolSizeOrArgs = number | readonly [number] | Pooling1DArgs;

abstract class Pooling1D extends Layer {
  readonly poolSize: number;
  readonly strides: number;
  readonly padding: PaddingMode;

  constructor(poolSizeOrArgs: PoolSizeOrArgs | undefined, more: Pooling1DArgs) {
    const args: Pooling1DArgs = typeof poolSizeOrArgs === 'number' || Array.isArray(poolSizeOrArgs)
      ? { ...more, poolSize: poolSizeOrArgs as number | readonly [number] }
      : { ...more, ...(poolSizeOrArgs as Pooling1DArgs | undefined) };
    super(args);
    checkLayerOptions<Pooling1DArgs>(this.className, args, { poolSize: true, strides: true, padding: true, dataFormat: true });
    requireChannelsLast(this, args.dataFormat);
    this.poolSize = toSingle('pool_size', args.poolSize ?? 2);
    this.strides = toSingle('strides', args.strides ?? this.poolSize);
    this.padding = checkPadding(this.name, args.padding ?? 'valid');
    this.inputSpec = { ndim: 3 };
  }

  protected window(x: SymbolicTensor) {
    return { size: [1, this.poolSize] as const, strides: [1, this.strides] as const, pad: padding1d(this.name, this.padding, x.shape[1], this.poolSize, this.strides) };
  }
}

export class MaxPooling1D extends Pooling1D {
  constructor(poolSize?: PoolSizeOrArgs, args: Pooling1DArgs = {}) {
    super(poolSize, args);
  }
  override call(x: SymbolicTensor): SymbolicTensor {
    const { size, strides, pad } = this.window(x);
    return fromImage(maxPool2d(asImage(ops.cast(x, 'float32')), size, strides, pad));
  }
}

/** Averages over each window's in-bounds steps (with 'same' padding the border windows are shorter, as in Keras). */
export class AveragePooling1D extends Pooling1D {
  constructor(poolSize?: PoolSizeOrArgs, args: Pooling1DArgs = {}) {
    super(poolSize, args);
  }
  override call(x: SymbolicTensor): SymbolicTensor {
    const { size, strides, pad } = this.window(x);
    return fromImage(avgPool2d(asImage(ops.cast(x, 'float32')), size, strides, pad));
  }
}

export interface GlobalPooling1DArgs extends LayerArgs {
  readonly keepdims?: boolean;
  readonly dataFormat?: 'channels_last';
}

abstract class GlobalPooling1D extends Layer {
  readonly keepdims: boolean;
  constructor(args: GlobalPooling1DArgs) {
    super(args);
    checkLayerOptions<GlobalPooling1DArgs>(this.className, args, { keepdims: true, dataFormat: true });
    requireChannelsLast(this, args.dataFormat);
    this.keepdims = args.keepdims ?? false;
    this.inputSpec = { ndim: 3 };
  }
}

/** The mean over the steps axis; with a Keras mask, the mean over the unmasked steps only. */
export class GlobalAveragePooling1D extends GlobalPooling1D {
  constructor(args: GlobalPooling1DArgs = {}) {
    super(args);
    this.supportsMasking = true;
  }
  override get callTakesMask(): boolean {
    return true;
  }
  /** Keras: the pooled output has no steps left to mask. */
  override computeMask(): undefined {
    return undefined;
  }
  override call(x: SymbolicTensor, { mask }: CallArgs): SymbolicTensor {
    const m = firstMask(mask);
    const values = ops.cast(x, 'float32');
    if (m === undefined) return ops.mean(values, { axis: 1, keepdims: this.keepdims });
    // As Keras: sum of the kept steps over their count (a fully masked sample divides 0 by 0).
    const keep = ops.expandDims(ops.cast(m, 'bool'), 2);
    const total = ops.sum(ops.where(keep, values, 0), { axis: 1, keepdims: this.keepdims });
    return ops.divide(total, ops.sum(ops.cast(keep, 'float32'), { axis: 1, keepdims: this.keepdims }));
  }
}

/** The maximum over the steps axis. */
export class GlobalMaxPooling1D extends GlobalPooling1D {
  constructor(args: GlobalPooling1DArgs = {}) {
    super(args);
  }
  override call(x: SymbolicTensor): SymbolicTensor {
    return ops.max(x, { axis: 1, keepdims: this.keepdims });
  }
}
