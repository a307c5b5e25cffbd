/**
 * Conv1D over (batch, steps, channels): conv2d on a height-1 image, so it shares Conv2D's
 * kernels on both tiers and its gradients. 'causal' padding is Keras's: the input is padded on
 * the left by dilation * (kernel - 1) and convolved 'valid', so step t sees only steps <= t.
 */
import type { Padding2D } from '../../ir/attrs.js';
import { conv2d } from '../../ir/build.js';
import { formatShape, type Shape } from '../../ir/types.js';
import * as activations from '../activations.js';
import { getConstraint, type ConstraintIdentifier } from '../constraints.js';
import type { InitializerIdentifier } from '../initializers.js';
import * as ops from '../ops.js';
import type { SymbolicTensor } from '../ops.js';
import { getRegularizer, type RegularizerIdentifier } from '../regularizers.js';
import { channelsOf, requireChannelsLast } from './conv-utils.js';
import { asImage, fromImage, padding1d, toSingle } from './conv1d-utils.js';
import { checkLayerOptions } from './layer-options.js';
import { Layer, type LayerArgs } from './layer.js';
import type { Variable } from './variable.js';

export type Padding1DMode = 'valid' | 'same' | 'causal';

export interface Conv1DArgs extends LayerArgs {
  readonly strides?: number | readonly [number];
  readonly padding?: Padding1DMode;
  readonly dataFormat?: 'channels_last';
  readonly dilationRate?: number | readonly [number];
  /** Input channels split into this many groups, each convolved with its own filters / groups filters. */
  readonly groups?: number;
  readonly activation?: activations.ActivationIdentifier;
  readonly useBias?: boolean;
  readonly kernelInitializer?: InitializerIdentifier;
  readonly biasInitializer?: InitializerIdentifier;
  readonly kernelRegularizer?: RegularizerIdentifier;
  readonly biasRegularizer?: RegularizerIdentifier;
  readonly kernelConstraint?: ConstraintIdentifier;
  readonly biasConstraint?: ConstraintIdentifier;
}

function checkPadding1D(padding: string): Padding1DMode {
  const p = typeof padding === 'string' ? padding.toLowerCase() : padding;
  if (p !== 'valid' && p !== 'same' && p !== 'causal') {
    throw new Error(`The \`padding\` argument must be a list/tuple or one of {'valid', 'same', 'causal'}. Received: ${String(padding)}`);
  }
  return p;
}

export class Conv1D extends Layer {
  readonly filters: number;
  readonly kernelSize: number;
  readonly strides: number;
  readonly padding: Padding1DMode;
  readonly dilationRate: number;
  readonly groups: number;
  readonly activation: activations.ActivationFn;
  readonly useBias: boolean;
  readonly kernelInitializer: InitializerIdentifier;
  readonly biasInitializer: InitializerIdentifier;
  readonly kernelRegularizer?: RegularizerIdentifier;
  readonly biasRegularizer?: RegularizerIdentifier;
  readonly kernelConstraint?: ConstraintIdentifier;
  readonly biasConstraint?: ConstraintIdentifier;
  kernel!: Variable;
  bias: Variable | undefined;

  constructor(filters: number, kernelSize: number | readonly [number], args: Conv1DArgs = {}) {
    super(args);
    checkLayerOptions<Conv1DArgs>('Conv1D', args, {
      strides: true, padding: true, dataFormat: true, dilationRate: true, groups: true, activation: true, useBias: true,
      kernelInitializer: true, biasInitializer: true, kernelRegularizer: true, biasRegularizer: true, kernelConstraint: true, biasConstraint: true,
    });
    if (!(Number.isInteger(filters) && filters > 0)) {
      throw new Error(`Invalid value for argument \`filters\`. Expected a strictly positive value. Received filters=${filters}.`);
    }
    requireChannelsLast(this, args.dataFormat);
    this.filters = filters;
    this.kernelSize = toSingle('kernel_size', kernelSize);
    this.strides = toSingle('strides', args.strides ?? 1);
    this.dilationRate = toSingle('dilation_rate', args.dilationRate ?? 1);
    this.padding = checkPadding1D(args.padding ?? 'valid');
    if (this.strides > 1 && this.dilationRate > 1) {
      throw new Error(`\`strides > 1\` not supported in conjunction with \`dilation_rate > 1\`. Received: strides=(${this.strides},) and dilation_rate=(${this.dilationRate},)`);
    }
    const groups = args.groups ?? 1;
    if (!(Number.isInteger(groups) && groups > 0)) {
      throw new Error(`The number of groups must be a positive integer. Received: groups=${groups}.`);
    }
    if (filters % groups !== 0) {
      throw new Error(`The number of filters must be evenly divisible by the number of groups. Received: groups=${groups}, filters=${filters}.`);
    }
    this.groups = groups;
    this.activation = activations.get(args.activation);
    this.useBias = args.useBias ?? true;
    this.kernelInitializer = args.kernelInitializer ?? 'glorot_uniform';
    this.biasInitializer = args.biasInitializer ?? 'zeros';
    this.kernelRegularizer = getRegularizer(args.kernelRegularizer);
    this.biasRegularizer = getRegularizer(args.biasRegularizer);
    this.kernelConstraint = getConstraint(args.kernelConstraint);
    this.biasConstraint = getConstraint(args.biasConstraint);
    this.inputSpec = { ndim: 3 };
  }

  override build(inputShape: Shape): void {
    const channels = channelsOf(inputShape);
    if (channels % this.groups !== 0) {
      throw new Error(`The number of input channels must be evenly divisible by the number of groups. Received groups=${this.groups}, but the input has ${channels} channels (full input shape is ${formatShape(inputShape)}).`);
    }
    this.kernel = this.addWeight({ name: 'kernel', shape: [this.kernelSize, channels / this.groups, this.filters], initializer: this.kernelInitializer, regularizer: this.kernelRegularizer, constraint: this.kernelConstraint });
    if (this.useBias) this.bias = this.addWeight({ name: 'bias', shape: [this.filters], initializer: this.biasInitializer, regularizer: this.biasRegularizer, constraint: this.biasConstraint });
    this.inputSpec = { ndim: 3, axes: { [-1]: channels } };
  }

  override call(x: SymbolicTensor): SymbolicTensor {
    const input = ops.cast(x, 'float32');
    const steps = input.shape[1];
    const effective = (this.kernelSize - 1) * this.dilationRate + 1;
    if (steps !== null && this.padding === 'valid' && steps < effective) {
      throw new Error(`The input sequence has ${steps} steps, fewer than the dilated kernel size ${effective} needs with padding="valid" (received input shape ${formatShape(x.shape)}).`);
    }
    // Causal padding is the convolution's own left padding, so no padded copy of the input is made.
    const pad: Padding2D = this.padding === 'causal'
      ? [0, 0, this.dilationRate * (this.kernelSize - 1), 0]
      : padding1d(this.name, this.padding, steps, this.kernelSize, this.strides, this.dilationRate);
    const image = asImage(input);
    const [k, groupChannels, filters] = this.kernel.shape;
    const kernel = ops.reshape(this.kernel, [1, k, groupChannels, filters]);
    const convolve = (xs: SymbolicTensor, ws: SymbolicTensor) => conv2d(xs, ws, [1, this.strides], pad, [1, this.dilationRate]);
    let y: SymbolicTensor;
    if (this.groups === 1) y = convolve(image, kernel);
    else {
      // One convolution per group over its slice of channels and of filters, concatenated in group order.
      const groupFilters = this.filters / this.groups;
      y = ops.concatenate(Array.from({ length: this.groups }, (_, g) => convolve(
        ops.slice(image, [0, 0, 0, g * groupChannels], [-1, -1, -1, groupChannels]),
        ops.slice(kernel, [0, 0, 0, g * groupFilters], [1, k, groupChannels, groupFilters]),
      )), { axis: -1 });
    }
    // Bias and activation on the image-shaped result, so they fuse into the convolution's epilogue.
    return fromImage(this.activation(this.bias === undefined ? y : ops.add(y, this.bias)));
  }
}
