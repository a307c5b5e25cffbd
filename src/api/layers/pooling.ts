/** 2-D pooling layers (NHWC). */
import { avgPool2d, maxPool2d } from '../../ir/build.js';
import type { Pair } from '../../ir/attrs.js';
import * as ops from '../ops.js';
import type { SymbolicTensor } from '../ops.js';
import { checkPadding, padding2d, toPair, type IntOrPair, type PaddingMode } from './conv-utils.js';
import { Layer, type LayerArgs } from './layer.js';

export interface Pooling2DArgs extends LayerArgs {
  readonly poolSize?: IntOrPair;
  /** Defaults to poolSize. */
  readonly strides?: IntOrPair | null;
  readonly padding?: PaddingMode;
  readonly dataFormat?: 'channels_last';
}

/** Accepts `new MaxPooling2D([2, 2], { ... })` (Keras's positional pool_size) or `new MaxPooling2D({ poolSize, ... })`. */
type PoolSizeOrArgs = IntOrPair | Pooling2DArgs;

abstract class Pooling2D extends Layer {
  readonly poolSize: Pair;
  readonly strides: Pair;
  readonly padding: PaddingMode;

  constructor(poolSizeOrArgs: PoolSizeOrArgs | undefined, more: Pooling2DArgs) {
    const args: Pooling2DArgs = typeof poolSizeOrArgs === 'number' || Array.isArray(poolSizeOrArgs)
      ? { ...more, poolSize: poolSizeOrArgs as IntOrPair }
      : { ...more, ...(poolSizeOrArgs as Pooling2DArgs | undefined) };
    super(args);
    this.poolSize = toPair(this.name, 'pool_size', args.poolSize ?? 2);
    this.strides = toPair(this.name, 'strides', args.strides ?? this.poolSize);
    this.padding = checkPadding(this.name, args.padding ?? 'valid');
    this.inputSpec = { ndim: 4 };
  }

  protected pad(x: SymbolicTensor) {
    return padding2d(this.name, this.padding, x.shape[1], x.shape[2], this.poolSize, this.strides);
  }
}

export class MaxPooling2D extends Pooling2D {
  constructor(poolSize?: PoolSizeOrArgs, args: Pooling2DArgs = {}) {
    super(poolSize, args);
  }
  override call(x: SymbolicTensor): SymbolicTensor {
    return maxPool2d(ops.cast(x, 'float32'), this.poolSize, this.strides, this.pad(x));
  }
}

/** Averages over each window's in-bounds pixels (with 'same' padding the border windows are smaller, as in Keras). */
export class AveragePooling2D extends Pooling2D {
  constructor(poolSize?: PoolSizeOrArgs, args: Pooling2DArgs = {}) {
    super(poolSize, args);
  }
  override call(x: SymbolicTensor): SymbolicTensor {
    return avgPool2d(ops.cast(x, 'float32'), this.poolSize, this.strides, this.pad(x));
  }
}

export interface GlobalPooling2DArgs extends LayerArgs {
  readonly keepdims?: boolean;
  readonly dataFormat?: 'channels_last';
}

export class GlobalAveragePooling2D extends Layer {
  readonly keepdims: boolean;
  constructor(args: GlobalPooling2DArgs = {}) {
    super(args);
    this.keepdims = args.keepdims ?? false;
    this.inputSpec = { ndim: 4 };
  }
  override call(x: SymbolicTensor): SymbolicTensor {
    return ops.mean(x, { axis: [1, 2], keepdims: this.keepdims });
  }
}

export class GlobalMaxPooling2D extends Layer {
  readonly keepdims: boolean;
  constructor(args: GlobalPooling2DArgs = {}) {
    super(args);
    this.keepdims = args.keepdims ?? false;
    this.inputSpec = { ndim: 4 };
  }
  override call(x: SymbolicTensor): SymbolicTensor {
    return ops.max(x, { axis: [1, 2], keepdims: this.keepdims });
  }
}
