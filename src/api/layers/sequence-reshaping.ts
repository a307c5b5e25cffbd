/** Layers that move steps of a (batch, steps, features) sequence without weights: UpSampling1D, ZeroPadding1D, Cropping1D. */
import type { Pair } from '../../ir/attrs.js';
import { formatShape } from '../../ir/types.js';
import * as ops from '../ops.js';
import type { SymbolicTensor } from '../ops.js';
import { requireChannelsLast } from './conv-utils.js';
import { toMargins } from './conv1d-utils.js';
import { checkLayerOptions } from './layer-options.js';
import { Layer, type LayerArgs } from './layer.js';

/** Keras's check of an integer count argument (UpSampling1D's size, RepeatVector's n). */
export function positiveCount(what: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new TypeError(`Expected an integer value for \`${what}\`, got ${typeof value === 'number' ? 'a non-integer number' : typeof value}: ${JSON.stringify(value)}.`);
  }
  if (value <= 0) throw new Error(`Argument \`${what}\` should be a positive integer. Received: ${what}=${value}`);
  return value;
}

export interface UpSampling1DArgs extends LayerArgs {
  readonly size?: number;
}

/** Repeats each step `size` times. */
export class UpSampling1D extends Layer {
  readonly size: number;
  constructor(args: UpSampling1DArgs = {}) {
    super(args);
    checkLayerOptions<UpSampling1DArgs>('UpSampling1D', args, { size: true });
    this.size = positiveCount('size', args.size ?? 2);
    this.inputSpec = { ndim: 3 };
  }
  override call(x: SymbolicTensor): SymbolicTensor {
    const [b, steps, c] = x.shape;
    // (b, steps, 1, c) broadcast to (b, steps, size, c): each step becomes `size` copies in a row.
    const repeated = ops.broadcastTo(ops.reshape(x, [b, steps, 1, c]), [b, steps, this.size, c]);
    return ops.reshape(repeated, [b, steps === null ? null : steps * this.size, c]);
  }
}

export interface ZeroPadding1DArgs extends LayerArgs {
  /** Zeros before and after the steps: an int for both ends or [before, after]. */
  readonly padding?: number | readonly [number, number];
  readonly dataFormat?: 'channels_last';
}

export class ZeroPadding1D extends Layer {
  readonly padding: Pair;
  constructor(args: ZeroPadding1DArgs = {}) {
    super(args);
    checkLayerOptions<ZeroPadding1DArgs>('ZeroPadding1D', args, { padding: true, dataFormat: true });
    requireChannelsLast(this, args.dataFormat);
    this.padding = toMargins('padding', args.padding ?? 1);
    this.inputSpec = { ndim: 3 };
  }
  override call(x: SymbolicTensor): SymbolicTensor {
    return ops.pad(x, [[0, 0], this.padding, [0, 0]]);
  }
}

export interface Cropping1DArgs extends LayerArgs {
  /** Steps removed at the start and the end: an int for both ends or [start, end]. */
  readonly cropping?: number | readonly [number, number];
}

export class Cropping1D extends Layer {
  readonly cropping: Pair;
  constructor(args: Cropping1DArgs = {}) {
    super(args);
    checkLayerOptions<Cropping1DArgs>('Cropping1D', args, { cropping: true });
    this.cropping = toMargins('cropping', args.cropping ?? [1, 1]);
    this.inputSpec = { ndim: 3 };
  }
  override call(x: SymbolicTensor): SymbolicTensor {
    const [start, end] = this.cropping;
    const steps = x.shape[1];
    if (steps === null) throw new Error(`Cropping1D needs a known number of steps; got ${formatShape(x.shape)}`);
    if (start + end >= steps) {
      throw new Error(`\`cropping\` parameter of \`Cropping1D\` layer must be smaller than the input length. Received: inputs.shape=${formatShape(x.shape)}, cropping=(${start}, ${end})`);
    }
    return ops.slice(x, [0, start, 0], [-1, steps - start - end, -1]);
  }
}
