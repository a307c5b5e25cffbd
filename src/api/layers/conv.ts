/** Conv2D and Conv2DTranspose (channels-last, as Keras's default). */
import { conv2d, conv2dBackpropInput } from '../../ir/build.js';
import { formatShape, type Shape } from '../../ir/types.js';
import * as activations from '../activations.js';
import { getConstraint, type ConstraintIdentifier } from '../constraints.js';
import type { InitializerIdentifier } from '../initializers.js';
import * as ops from '../ops.js';
import { getRegularizer, type RegularizerIdentifier } from '../regularizers.js';
import type { SymbolicTensor } from '../ops.js';
import { channelsOf, convGeometry, padding2d, transposeOutputLength, type IntOrPair, type PaddingMode } from './conv-utils.js';
import { Layer, type LayerArgs } from './layer.js';
import type { Variable } from './variable.js';
import type { Pair } from '../../ir/attrs.js';

export interface ConvArgs extends LayerArgs {
  readonly strides?: IntOrPair;
  readonly padding?: PaddingMode;
  readonly dilationRate?: IntOrPair;
  readonly activation?: activations.ActivationIdentifier;
  readonly useBias?: boolean;
  readonly kernelInitializer?: InitializerIdentifier;
  readonly biasInitializer?: InitializerIdentifier;
  readonly kernelRegularizer?: RegularizerIdentifier;
  readonly biasRegularizer?: RegularizerIdentifier;
  readonly kernelConstraint?: ConstraintIdentifier;
  readonly biasConstraint?: ConstraintIdentifier;
  readonly dataFormat?: 'channels_last';
}

export interface Conv2DArgs extends ConvArgs {
  /** Input channels split into this many groups, each convolved with its own filters/groups filters. */
  readonly groups?: number;
}

/** What Conv2D and Conv2DTranspose share: arguments, checks and weights. */
abstract class BaseConv2D extends Layer {
  readonly filters: number;
  readonly kernelSize: Pair;
  readonly strides: Pair;
  readonly padding: PaddingMode;
  readonly dilationRate: Pair;
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

  constructor(filters: number, kernelSize: IntOrPair, args: ConvArgs) {
    super(args);
    if (!(Number.isInteger(filters) && filters > 0)) {
      throw new Error(`Layer "${this.name}" (${this.className}): invalid value for argument \`filters\`. Expected a strictly positive value. Received filters=${filters}.`);
    }
    this.filters = filters;
    ({ kernelSize: this.kernelSize, strides: this.strides, padding: this.padding, dilationRate: this.dilationRate } = convGeometry(this, kernelSize, args));
    this.activation = activations.get(args.activation);
    this.useBias = args.useBias ?? true;
    this.kernelInitializer = args.kernelInitializer ?? 'glorot_uniform';
    this.biasInitializer = args.biasInitializer ?? 'zeros';
    this.kernelRegularizer = getRegularizer(args.kernelRegularizer);
    this.biasRegularizer = getRegularizer(args.biasRegularizer);
    this.kernelConstraint = getConstraint(args.kernelConstraint);
    this.biasConstraint = getConstraint(args.biasConstraint);
    this.inputSpec = { ndim: 4 };
  }

  protected abstract kernelShape(channels: number): number[];

  override build(inputShape: Shape): void {
    const channels = channelsOf(inputShape);
    this.kernel = this.addWeight({ name: 'kernel', shape: this.kernelShape(channels), initializer: this.kernelInitializer, regularizer: this.kernelRegularizer, constraint: this.kernelConstraint });
    if (this.useBias) this.bias = this.addWeight({ name: 'bias', shape: [this.filters], initializer: this.biasInitializer, regularizer: this.biasRegularizer, constraint: this.biasConstraint });
    this.inputSpec = { ndim: 4, axes: { [-1]: channels } };
  }

  protected finish(y: SymbolicTensor): SymbolicTensor {
    return this.activation(this.bias === undefined ? y : ops.add(y, this.bias));
  }
}

export class Conv2D extends BaseConv2D {
  readonly groups: number;
  constructor(filters: number, kernelSize: IntOrPair, args: Conv2DArgs = {}) {
    super(filters, kernelSize, args);
    const groups = args.groups ?? 1;
    if (!(Number.isInteger(groups) && groups > 0)) {
      throw new Error(`The number of groups must be a positive integer. Received: groups=${groups}.`);
    }
    if (filters % groups !== 0) {
      throw new Error(`The number of filters must be evenly divisible by the number of groups. Received: groups=${groups}, filters=${filters}.`);
    }
    this.groups = groups;
  }
  protected kernelShape(channels: number): number[] {
    if (channels % this.groups !== 0) {
      throw new Error(`The number of input channels must be evenly divisible by the number of groups. Received groups=${this.groups}, but the input has ${channels} channels.`);
    }
    return [...this.kernelSize, channels / this.groups, this.filters];
  }
  override call(x: SymbolicTensor): SymbolicTensor {
    const pad = padding2d(this.name, this.padding, x.shape[1], x.shape[2], this.kernelSize, this.strides, this.dilationRate);
    const input = ops.cast(x, 'float32');
    if (this.groups === 1) return this.finish(conv2d(input, this.kernel.node, this.strides, pad, this.dilationRate));
    // One convolution per group over its slice of channels and of filters, concatenated in group order.
    const [kh, kw, groupChannels] = this.kernel.shape;
    const groupFilters = this.filters / this.groups;
    const outputs = Array.from({ length: this.groups }, (_, g) => {
      const xs = ops.slice(input, [0, 0, 0, g * groupChannels], [-1, -1, -1, groupChannels]);
      const ws = ops.slice(this.kernel, [0, 0, 0, g * groupFilters], [kh, kw, groupChannels, groupFilters]);
      return conv2d(xs, ws, this.strides, pad, this.dilationRate);
    });
    return this.finish(ops.concatenate(outputs, { axis: -1 }));
  }
}

export interface ConvTransposeArgs extends ConvArgs {
  /** Extra rows/columns on one side of the output; each must be smaller than its stride. */
  readonly outputPadding?: IntOrPair;
}

/**
 * The transpose (gradient) of Conv2D: each input pixel scatters a kernel-sized patch into an
 * output `strides` times larger. Computed as conv2d's input gradient, with the output size
 * Keras's rules give; the kernel is (h, w, filters, input channels) as in Keras.
 */
export class Conv2DTranspose extends BaseConv2D {
  readonly outputPadding: Pair | undefined;

  constructor(filters: number, kernelSize: IntOrPair, args: ConvTransposeArgs = {}) {
    super(filters, kernelSize, args);
    if (args.outputPadding !== undefined) {
      const op: Pair = typeof args.outputPadding === 'number' ? [args.outputPadding, args.outputPadding] : [args.outputPadding[0], args.outputPadding[1]];
      if (!op.every((p) => Number.isInteger(p) && p >= 0)) {
        throw new Error(`Layer "${this.name}" (Conv2DTranspose): \`output_padding\` must be non-negative integers. Received: output_padding=${formatShape(op)}`);
      }
      if (op.some((p, i) => p >= this.strides[i])) {
        throw new Error(`Layer "${this.name}" (Conv2DTranspose): Strides must be greater than output padding. Received strides=${formatShape(this.strides)}, output_padding=${formatShape(op)}.`);
      }
      this.outputPadding = op;
    }
  }
  protected kernelShape(channels: number): number[] {
    return [...this.kernelSize, this.filters, channels];
  }
  override call(x: SymbolicTensor): SymbolicTensor {
    const out: Pair = [0, 1].map((i) => transposeOutputLength(this.name, x.shape[i + 1], this.kernelSize[i], this.padding,
      this.outputPadding?.[i], this.strides[i], this.dilationRate[i])) as unknown as Pair;
    // The padding of the forward convolution that maps the output size back to the input size.
    const pad = padding2d(this.name, this.padding, out[0], out[1], this.kernelSize, this.strides, this.dilationRate);
    return this.finish(conv2dBackpropInput(ops.cast(x, 'float32'), this.kernel.node, out, this.strides, pad, this.dilationRate));
  }
}
