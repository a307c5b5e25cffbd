/**
 * DepthwiseConv2D and SeparableConv2D (channels-last). The depthwise convolution is composed
 * from existing primitives: one strided view of the padded input per kernel tap, multiplied by
 * that tap's per-channel weights and summed, so it costs what a native depthwise kernel costs
 * and fuses into one elementwise kernel (no new IR primitive, both tiers, gradients from the
 * slice/pad/reshape VJPs).
 */
import { conv2d } from '../../ir/build.js';
import type { Pair } from '../../ir/attrs.js';
import { formatShape, type Shape } from '../../ir/types.js';
import * as activations from '../activations.js';
import type { InitializerIdentifier } from '../initializers.js';
import * as ops from '../ops.js';
import type { SymbolicTensor } from '../ops.js';
import { channelsOf, convGeometry, padding2d, type IntOrPair, type PaddingMode } from './conv-utils.js';
import { Layer, type LayerArgs } from './layer.js';
import type { Variable } from './variable.js';

/** Rows (or columns) start, start + stride, ... (count of them) of axis `axis` of x. */
function stridedView(x: SymbolicTensor, axis: number, start: number, count: number, stride: number): SymbolicTensor {
  const size = x.shape[axis] as number;
  const begin = x.shape.map((_, i) => (i === axis ? start : 0));
  if (stride === 1) return ops.slice(x, begin, x.shape.map((_, i) => (i === axis ? count : -1)));
  // Take count * stride rows (zero rows past the end never get picked), fold them into
  // (count, stride) and keep the first of each stride.
  const span = count * stride;
  const extra = Math.max(start + span - size, 0);
  const padded = extra > 0 ? ops.pad(x, x.shape.map((_, i) => (i === axis ? [0, extra] as const : [0, 0] as const))) : x;
  const window = ops.slice(padded, begin, padded.shape.map((_, i) => (i === axis ? span : -1)));
  const folded = ops.reshape(window, [...window.shape.slice(0, axis), count, stride, ...window.shape.slice(axis + 1)]);
  const firsts = ops.slice(folded, folded.shape.map(() => 0), folded.shape.map((_, i) => (i === axis + 1 ? 1 : -1)));
  return ops.reshape(firsts, [...window.shape.slice(0, axis), count, ...window.shape.slice(axis + 1)]);
}

function outputLength(size: number, kernel: number, stride: number, dilation: number, padTotal: number): number {
  return Math.floor((size + padTotal - ((kernel - 1) * dilation + 1)) / stride) + 1;
}

/**
 * y[b, i, j, c * m + k] = sum over taps (di, dj) of x[b, i*s + di*d, j*s + dj*d, c] * w[di, dj, c, k]
 * for a kernel w of shape (kh, kw, channels, multiplier).
 */
export function depthwiseConv2d(layer: string, x: SymbolicTensor, kernel: SymbolicTensor, strides: Pair, mode: PaddingMode, dilation: Pair): SymbolicTensor {
  const [kh, kw, channels, multiplier] = kernel.shape as number[];
  const [b, h, w] = x.shape;
  const pad = padding2d(layer, mode, h, w, [kh, kw], strides, dilation);
  if (h === null || w === null) throw new Error(`Layer "${layer}": spatial dimensions must be known; got ${formatShape(x.shape)}`);
  const outH = outputLength(h, kh, strides[0], dilation[0], pad[0] + pad[1]);
  const outW = outputLength(w, kw, strides[1], dilation[1], pad[2] + pad[3]);
  if (outH <= 0 || outW <= 0) {
    throw new Error(`Layer "${layer}": the kernel (${kh}, ${kw}) with dilation (${dilation.join(', ')}) is larger than the input ${formatShape(x.shape)}; use padding="same" or a larger input`);
  }
  const padded = ops.pad(ops.cast(x, 'float32'), [[0, 0], [pad[0], pad[1]], [pad[2], pad[3]], [0, 0]]);
  let sum: SymbolicTensor | undefined;
  for (let di = 0; di < kh; di++) {
    const rows = stridedView(padded, 1, di * dilation[0], outH, strides[0]);
    for (let dj = 0; dj < kw; dj++) {
      const patch = ops.reshape(stridedView(rows, 2, dj * dilation[1], outW, strides[1]), [b, outH, outW, channels, 1]);
      const tap = ops.reshape(ops.slice(kernel, [di, dj, 0, 0], [1, 1, channels, multiplier]), [channels, multiplier]);
      const term = ops.multiply(patch, tap);
      sum = sum === undefined ? term : ops.add(sum, term);
    }
  }
  return ops.reshape(sum!, [b, outH, outW, channels * multiplier]);
}

export interface DepthwiseConv2DArgs extends LayerArgs {
  readonly depthMultiplier?: number;
  readonly strides?: IntOrPair;
  readonly padding?: PaddingMode;
  readonly dilationRate?: IntOrPair;
  readonly activation?: activations.ActivationIdentifier;
  readonly useBias?: boolean;
  readonly depthwiseInitializer?: InitializerIdentifier;
  readonly biasInitializer?: InitializerIdentifier;
  readonly dataFormat?: 'channels_last';
}

/** What DepthwiseConv2D and SeparableConv2D share: the depthwise stage's arguments and kernel. */
abstract class DepthwiseBase extends Layer {
  readonly kernelSize: Pair;
  readonly strides: Pair;
  readonly padding: PaddingMode;
  readonly dilationRate: Pair;
  readonly depthMultiplier: number;
  readonly activation: activations.ActivationFn;
  readonly useBias: boolean;
  readonly depthwiseInitializer: InitializerIdentifier;
  readonly biasInitializer: InitializerIdentifier;
  depthwiseKernel!: Variable;
  bias: Variable | undefined;

  constructor(kernelSize: IntOrPair, args: DepthwiseConv2DArgs) {
    super(args);
    const depthMultiplier = args.depthMultiplier ?? 1;
    if (!(Number.isInteger(depthMultiplier) && depthMultiplier > 0)) {
      throw new Error(`Invalid value for argument \`depth_multiplier\`. Expected a strictly positive value. Received depth_multiplier=${depthMultiplier}.`);
    }
    this.depthMultiplier = depthMultiplier;
    ({ kernelSize: this.kernelSize, strides: this.strides, padding: this.padding, dilationRate: this.dilationRate } = convGeometry(this, kernelSize, args));
    this.activation = activations.get(args.activation);
    this.useBias = args.useBias ?? true;
    this.depthwiseInitializer = args.depthwiseInitializer ?? 'glorot_uniform';
    this.biasInitializer = args.biasInitializer ?? 'zeros';
    this.inputSpec = { ndim: 4 };
  }

  protected channelsOf(inputShape: Shape): number {
    const channels = channelsOf(inputShape);
    this.inputSpec = { ndim: 4, axes: { [-1]: channels } };
    return channels;
  }

  protected depthwise(x: SymbolicTensor): SymbolicTensor {
    return depthwiseConv2d(this.name, x, this.depthwiseKernel.node, this.strides, this.padding, this.dilationRate);
  }

  protected finish(y: SymbolicTensor): SymbolicTensor {
    return this.activation(this.bias === undefined ? y : ops.add(y, this.bias));
  }
}

/** One kernel per input channel (times depthMultiplier); kernel (kh, kw, channels, depthMultiplier). */
export class DepthwiseConv2D extends DepthwiseBase {
  constructor(kernelSize: IntOrPair, args: DepthwiseConv2DArgs = {}) {
    super(kernelSize, args);
  }
  override build(inputShape: Shape): void {
    const channels = this.channelsOf(inputShape);
    this.depthwiseKernel = this.addWeight({ name: 'kernel', shape: [...this.kernelSize, channels, this.depthMultiplier], initializer: this.depthwiseInitializer });
    if (this.useBias) this.bias = this.addWeight({ name: 'bias', shape: [channels * this.depthMultiplier], initializer: this.biasInitializer });
  }
  override call(x: SymbolicTensor): SymbolicTensor {
    return this.finish(this.depthwise(x));
  }
}

export interface SeparableConv2DArgs extends DepthwiseConv2DArgs {
  readonly pointwiseInitializer?: InitializerIdentifier;
}

/** A depthwise convolution followed by a 1x1 convolution to `filters` channels. */
export class SeparableConv2D extends DepthwiseBase {
  readonly filters: number;
  readonly pointwiseInitializer: InitializerIdentifier;
  pointwiseKernel!: Variable;

  constructor(filters: number, kernelSize: IntOrPair, args: SeparableConv2DArgs = {}) {
    super(kernelSize, args);
    if (!(Number.isInteger(filters) && filters > 0)) {
      throw new Error(`Layer "${this.name}" (SeparableConv2D): invalid value for argument \`filters\`. Expected a strictly positive value. Received filters=${filters}.`);
    }
    this.filters = filters;
    this.pointwiseInitializer = args.pointwiseInitializer ?? 'glorot_uniform';
  }
  override build(inputShape: Shape): void {
    const channels = this.channelsOf(inputShape);
    this.depthwiseKernel = this.addWeight({ name: 'depthwise_kernel', shape: [...this.kernelSize, channels, this.depthMultiplier], initializer: this.depthwiseInitializer });
    this.pointwiseKernel = this.addWeight({ name: 'pointwise_kernel', shape: [1, 1, channels * this.depthMultiplier, this.filters], initializer: this.pointwiseInitializer });
    if (this.useBias) this.bias = this.addWeight({ name: 'bias', shape: [this.filters], initializer: this.biasInitializer });
  }
  override call(x: SymbolicTensor): SymbolicTensor {
    return this.finish(conv2d(this.depthwise(x), this.pointwiseKernel.node, [1, 1], [0, 0, 0, 0]));
  }
}
