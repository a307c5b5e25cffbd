/** Layers that move pixels or axes without weights: UpSampling2D, ZeroPadding2D, Cropping2D, Permute. */
import { formatShape, type Shape } from '../../ir/types.js';
import * as ops from '../ops.js';
import type { SymbolicTensor } from '../ops.js';
import { requireChannelsLast, toPair, type IntOrPair } from './conv-utils.js';
import { Layer, type LayerArgs } from './layer.js';
import type { Pair } from '../../ir/attrs.js';

/** [[top, bottom], [left, right]]. */
export type Margins2D = readonly [Pair, Pair];
export type MarginsArg = number | readonly [number, number] | readonly [readonly [number, number], readonly [number, number]];

/** Keras's int / (h, w) / ((top, bottom), (left, right)) forms of ZeroPadding2D's padding and Cropping2D's cropping. */
function margins(what: 'padding' | 'cropping', value: MarginsArg): Margins2D {
  const shown = JSON.stringify(value);
  const nonNegative = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
  if (typeof value === 'number') {
    if (!nonNegative(value)) throw new Error(`\`${what}\` cannot be negative. Received: ${what}=${shown}.`);
    return [[value, value], [value, value]];
  }
  if (!Array.isArray(value)) {
    throw new Error(`\`${what}\` should be either an int, a tuple of 2 ints (symmetric_height_${what === 'padding' ? 'pad' : 'crop'}, symmetric_width_${what === 'padding' ? 'pad' : 'crop'}), or a tuple of 2 tuples of 2 ints ((top_${what === 'padding' ? 'pad' : 'crop'}, bottom_${what === 'padding' ? 'pad' : 'crop'}), (left_${what === 'padding' ? 'pad' : 'crop'}, right_${what === 'padding' ? 'pad' : 'crop'})). Received: ${what}=${shown}.`);
  }
  if (value.length !== 2) throw new Error(`\`${what}\` should have two elements. Received: ${what}=${shown}.`);
  const entry = (v: unknown, which: string): Pair => {
    const pair = typeof v === 'number' ? [v, v] : v;
    if (!Array.isArray(pair) || pair.length !== 2 || !pair.every(nonNegative)) {
      throw new Error(`The \`${which} entry of ${what}\` argument must be a tuple of 2 integers. Received ${which} entry of ${what}=${JSON.stringify(v)}`);
    }
    return [pair[0], pair[1]];
  };
  return [entry(value[0], '1st'), entry(value[1], '2nd')];
}

function spatial4d(layer: Layer, x: SymbolicTensor): void {
  if (x.shape.length !== 4) throw new Error(`Layer "${layer.name}" (${layer.className}) expects a 4-D input (batch, height, width, channels); got ${formatShape(x.shape)}`);
}

export interface UpSampling2DArgs extends LayerArgs {
  readonly size?: IntOrPair;
  readonly interpolation?: 'nearest';
  readonly dataFormat?: 'channels_last';
}

/** Repeats each row `size[0]` times and each column `size[1]` times (nearest neighbour). */
export class UpSampling2D extends Layer {
  readonly size: Pair;
  readonly interpolation: 'nearest';
  constructor(args: UpSampling2DArgs = {}) {
    super(args);
    this.size = toPair(this.name, 'size', args.size ?? 2);
    const interpolation = (args.interpolation ?? 'nearest').toLowerCase();
    if (interpolation !== 'nearest') {
      throw new Error(`Layer "${this.name}" (UpSampling2D): only interpolation="nearest" is supported. Received: interpolation=${String(args.interpolation)}`);
    }
    requireChannelsLast(this, args.dataFormat);
    this.interpolation = interpolation;
    this.inputSpec = { ndim: 4 };
  }
  override call(x: SymbolicTensor): SymbolicTensor {
    const [b, h, w, c] = x.shape;
    const [sh, sw] = this.size;
    // (b, h, 1, w, 1, c) broadcast to (b, h, sh, w, sw, c): each pixel becomes an sh x sw block.
    const blocks = ops.broadcastTo(ops.reshape(x, [b, h, 1, w, 1, c]), [b, h, sh, w, sw, c]);
    return ops.reshape(blocks, [b, h === null ? null : h * sh, w === null ? null : w * sw, c]);
  }
}

export interface ZeroPadding2DArgs extends LayerArgs {
  readonly padding?: MarginsArg;
  readonly dataFormat?: 'channels_last';
}

export class ZeroPadding2D extends Layer {
  readonly padding: Margins2D;
  constructor(args: ZeroPadding2DArgs = {}) {
    super(args);
    requireChannelsLast(this, args.dataFormat);
    this.padding = margins('padding', args.padding ?? 1);
    this.inputSpec = { ndim: 4 };
  }
  override call(x: SymbolicTensor): SymbolicTensor {
    spatial4d(this, x);
    return ops.pad(x, [[0, 0], this.padding[0], this.padding[1], [0, 0]]);
  }
}

export interface Cropping2DArgs extends LayerArgs {
  readonly cropping?: MarginsArg;
  readonly dataFormat?: 'channels_last';
}

export class Cropping2D extends Layer {
  readonly cropping: Margins2D;
  constructor(args: Cropping2DArgs = {}) {
    super(args);
    requireChannelsLast(this, args.dataFormat);
    this.cropping = margins('cropping', args.cropping ?? 0);
    this.inputSpec = { ndim: 4 };
  }
  override call(x: SymbolicTensor): SymbolicTensor {
    spatial4d(this, x);
    const [[top, bottom], [left, right]] = this.cropping;
    const [, h, w] = x.shape;
    if ((h !== null && top + bottom >= h) || (w !== null && left + right >= w)) {
      throw new Error(`Values in \`cropping\` argument should be smaller than the corresponding spatial dimension of the input. Received: inputs.shape=${formatShape(x.shape)}, cropping=((${top}, ${bottom}), (${left}, ${right}))`);
    }
    if (h === null || w === null) throw new Error(`Cropping2D needs known height and width; got ${formatShape(x.shape)}`);
    return ops.slice(x, [0, top, left, 0], [-1, h - top - bottom, w - left - right, -1]);
  }
}

/** Reorders the sample axes: `dims` is a permutation of 1..rank-1 (the batch axis stays first). */
export class Permute extends Layer {
  readonly dims: readonly number[];
  constructor(dims: readonly number[], args: LayerArgs = {}) {
    super(args);
    const sorted = [...dims].sort((a, b) => a - b);
    if (!sorted.every((d, i) => d === i + 1)) {
      throw new Error(`Invalid permutation argument \`dims\` for Permute Layer. The set of indices in \`dims\` must be consecutive and start from 1. Received dims=(${dims.join(', ')})`);
    }
    this.dims = [...dims];
    this.inputSpec = { ndim: dims.length + 1 };
  }
  override call(x: SymbolicTensor): SymbolicTensor {
    return ops.transpose(x, [0, ...this.dims]);
  }
}

