/** Argument normalisation and TensorFlow's padding rules, shared by convolution and pooling layers. */
import type { Padding2D, Pair } from '../../ir/attrs.js';
import { formatShape, type Dim, type Shape } from '../../ir/types.js';

export type PaddingMode = 'valid' | 'same';
export type IntOrPair = number | readonly [number, number];

export function toPair(layer: string, what: string, v: IntOrPair): Pair {
  const p: Pair = typeof v === 'number' ? [v, v] : [v[0], v[1]];
  if (!(Array.isArray(v) ? v.length === 2 : true) || !p.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new Error(`Layer "${layer}": the \`${what}\` argument must be a positive integer or a list of 2 positive integers. Received: ${what}=${JSON.stringify(v)}`);
  }
  return p;
}

export function checkPadding(layer: string, padding: string): PaddingMode {
  const p = padding.toLowerCase();
  if (p !== 'valid' && p !== 'same') {
    throw new Error(`Layer "${layer}": the \`padding\` argument must be one of "valid", "same". Received: padding=${padding}`);
  }
  return p;
}

function spatial(layer: string, d: Dim): number {
  if (d === null) throw new Error(`Layer "${layer}": spatial dimensions must be known; got None (give Input a full shape)`);
  return d;
}

/** TensorFlow's SAME: output ceil(in / stride), the odd pixel of padding at the end. */
function samePad(size: number, window: number, stride: number, dilation: number): [number, number] {
  const effective = (window - 1) * dilation + 1;
  const total = Math.max((Math.ceil(size / stride) - 1) * stride + effective - size, 0);
  const lo = Math.floor(total / 2);
  return [lo, total - lo];
}

/** [top, bottom, left, right] padding for a window op over an [h, w] input. */
export function padding2d(layer: string, mode: PaddingMode, h: Dim, w: Dim, window: Pair, strides: Pair, dilation: Pair = [1, 1]): Padding2D {
  if (mode === 'valid') return [0, 0, 0, 0];
  const [t, b] = samePad(spatial(layer, h), window[0], strides[0], dilation[0]);
  const [l, r] = samePad(spatial(layer, w), window[1], strides[1], dilation[1]);
  return [t, b, l, r];
}

/** Keras's compute_conv_transpose_output_length. */
export function transposeOutputLength(layer: string, size: Dim, kernel: number, mode: PaddingMode, outputPadding: number | undefined, stride: number, dilation: number): number {
  const n = spatial(layer, size);
  const k = kernel + (kernel - 1) * (dilation - 1);
  if (outputPadding === undefined) return mode === 'valid' ? n * stride + Math.max(k - stride, 0) : n * stride;
  const pad = mode === 'same' ? Math.floor(k / 2) : 0;
  return (n - 1) * stride + k - 2 * pad + outputPadding;
}

/** Only channels-last data (Keras's default) is supported; any other data_format is an error, not ignored. */
export function requireChannelsLast(layer: { readonly name: string; readonly className: string }, dataFormat: string | undefined): void {
  if (dataFormat !== undefined && dataFormat !== 'channels_last') {
    throw new Error(`Layer "${layer.name}" (${layer.className}): only data_format="channels_last" (NHWC) is supported. Received: data_format=${String(dataFormat)}`);
  }
}

export interface ConvGeometryArgs {
  readonly strides?: IntOrPair;
  readonly padding?: PaddingMode;
  readonly dilationRate?: IntOrPair;
  readonly dataFormat?: 'channels_last';
}

export interface ConvGeometry {
  readonly kernelSize: Pair;
  readonly strides: Pair;
  readonly padding: PaddingMode;
  readonly dilationRate: Pair;
}

/** A convolution layer's window arguments, checked as Keras checks them (channels-last only). */
export function convGeometry(layer: { readonly name: string; readonly className: string }, kernelSize: IntOrPair, args: ConvGeometryArgs): ConvGeometry {
  requireChannelsLast(layer, args.dataFormat);
  const geometry: ConvGeometry = {
    kernelSize: toPair(layer.name, 'kernel_size', kernelSize),
    strides: toPair(layer.name, 'strides', args.strides ?? 1),
    padding: checkPadding(layer.name, args.padding ?? 'valid'),
    dilationRate: toPair(layer.name, 'dilation_rate', args.dilationRate ?? 1),
  };
  if (geometry.strides.some((s) => s > 1) && geometry.dilationRate.some((d) => d > 1)) {
    throw new Error(`Layer "${layer.name}" (${layer.className}): \`strides > 1\` not supported in conjunction with \`dilation_rate > 1\`. Received: strides=${formatShape(geometry.strides)} and dilation_rate=${formatShape(geometry.dilationRate)}`);
  }
  return geometry;
}

/** The channel count of a channels-last input shape, which must be known to create weights. */
export function channelsOf(inputShape: Shape): number {
  const channels = inputShape.at(-1);
  if (channels === null || channels === undefined) {
    throw new Error(`The channel dimension of the inputs should be defined. The input_shape received is ${formatShape(inputShape)}, where axis -1 (0-based) is the channel dimension, which found to be \`None\`.`);
  }
  return channels;
}
