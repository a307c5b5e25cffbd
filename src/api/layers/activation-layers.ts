/** Activation layers with arguments: ReLU, LeakyReLU, PReLU (learned slope), ELU, Softmax. */
import { formatShape, normalizeAxis, type Shape } from '../../ir/types.js';
import type { InitializerIdentifier } from '../initializers.js';
import * as ops from '../ops.js';
import type { SymbolicTensor } from '../ops.js';
import { Layer, type CallArgs, type LayerArgs, type SplitCall } from './layer.js';
import type { KerasTensor } from './keras-tensor.js';
import { firstMask, type CallMask } from './masks.js';
import { checkOptions, optionKeys } from '../strict-options.js';
import type { Variable } from './variable.js';

export interface ReLUArgs extends LayerArgs {
  readonly maxValue?: number | null;
  readonly negativeSlope?: number;
  readonly threshold?: number;
}

/**
 * Keras's relu(x, negative_slope, max_value, threshold): x above the threshold (clipped at
 * maxValue), negativeSlope * (x - threshold) below it.
 */
export class ReLU extends Layer {
  readonly maxValue: number | null;
  readonly negativeSlope: number;
  readonly threshold: number;

  constructor(args: ReLUArgs = {}) {
    super(args);
    // Keras passes the input's mask through this layer unchanged.
    this.supportsMasking = true;
    const { maxValue = null, negativeSlope = 0, threshold = 0 } = args;
    if (maxValue !== null && maxValue < 0) {
      throw new Error(`max_value of a ReLU layer cannot be a negative value. Received: max_value=${maxValue}`);
    }
    if (typeof negativeSlope !== 'number' || negativeSlope < 0) {
      throw new Error(`negative_slope of a ReLU layer cannot be None or a negative value. Received: negative_slope=${String(negativeSlope)}`);
    }
    if (typeof threshold !== 'number' || threshold < 0) {
      throw new Error(`threshold of a ReLU layer cannot be None or a negative value. Received: threshold=${String(threshold)}`);
    }
    this.maxValue = maxValue;
    this.negativeSlope = negativeSlope;
    this.threshold = threshold;
  }

  override call(x: SymbolicTensor): SymbolicTensor {
    const input = ops.cast(x, 'float32');
    // Keras's order of operations, so values at the threshold and at maxValue match exactly.
    let y = this.threshold !== 0
      ? ops.multiply(input, ops.cast(ops.greater(input, this.threshold), 'float32'))
      : ops.relu(input);
    if (this.maxValue !== null) y = ops.clip(y, 0, this.maxValue);
    if (this.negativeSlope !== 0) {
      const negativePart = ops.relu(ops.add(ops.negative(input), this.threshold));
      y = ops.subtract(y, ops.multiply(negativePart, this.negativeSlope));
    }
    return y;
  }
}

export interface LeakyReLUArgs extends LayerArgs {
  readonly negativeSlope?: number;
}

export class LeakyReLU extends Layer {
  readonly negativeSlope: number;
  constructor(args: LeakyReLUArgs = {}) {
    super(args);
    // Keras passes the input's mask through this layer unchanged.
    this.supportsMasking = true;
    const negativeSlope = args.negativeSlope ?? 0.3;
    if (typeof negativeSlope !== 'number' || negativeSlope < 0) {
      throw new Error(`The negative_slope value of a Leaky ReLU layer cannot be None or negative value. Expected a float. Received: negative_slope=${String(negativeSlope)}`);
    }
    this.negativeSlope = negativeSlope;
  }
  override call(x: SymbolicTensor): SymbolicTensor {
    return ops.leakyRelu(x, this.negativeSlope);
  }
}

export interface PReLUArgs extends LayerArgs {
  readonly alphaInitializer?: InitializerIdentifier;
  /** Axes (1-based, batch excluded) along which one slope is shared, e.g. [1, 2] for images. */
  readonly sharedAxes?: number | readonly number[] | null;
}

/** relu(x) - alpha * relu(-x), alpha a weight of the sample shape (1 on shared axes). */
export class PReLU extends Layer {
  readonly alphaInitializer: InitializerIdentifier;
  readonly sharedAxes: readonly number[] | null;
  alpha!: Variable;

  constructor(args: PReLUArgs = {}) {
    super(args);
    this.alphaInitializer = args.alphaInitializer ?? 'zeros';
    const shared = args.sharedAxes;
    this.sharedAxes = shared === undefined || shared === null ? null : typeof shared === 'number' ? [shared] : [...shared];
  }

  override build(inputShape: Shape): void {
    const paramShape = inputShape.slice(1);
    for (const axis of this.sharedAxes ?? []) {
      if (!(Number.isInteger(axis) && axis >= 1 && axis < inputShape.length)) {
        throw new Error(`Invalid value for \`shared_axes\`: each axis must be between 1 and ${inputShape.length - 1} (the batch axis 0 cannot be shared). Received: shared_axes=[${this.sharedAxes?.join(', ')}]`);
      }
      paramShape[axis - 1] = 1;
    }
    if (paramShape.some((d) => d === null)) {
      throw new Error(`PReLU needs every non-shared axis of the input to be known to create \`alpha\`; got input shape (${inputShape.map((d) => d ?? 'None').join(', ')}). Share the unknown axes with \`sharedAxes\``);
    }
    this.alpha = this.addWeight({ name: 'alpha', shape: paramShape as number[], initializer: this.alphaInitializer });
    const axes: Record<number, number> = {};
    inputShape.forEach((d, i) => { if (i > 0 && !(this.sharedAxes ?? []).includes(i) && d !== null) axes[i] = d; });
    this.inputSpec = { ndim: inputShape.length, axes };
  }

  override call(x: SymbolicTensor): SymbolicTensor {
    const input = ops.cast(x, 'float32');
    return ops.subtract(ops.relu(input), ops.multiply(this.alpha, ops.relu(ops.negative(input))));
  }
}

export interface ELUArgs extends LayerArgs {
  readonly alpha?: number;
}

export class ELU extends Layer {
  readonly alpha: number;
  constructor(args: ELUArgs = {}) {
    super(args);
    // Keras passes the input's mask through this layer unchanged.
    this.supportsMasking = true;
    this.alpha = args.alpha ?? 1;
  }
  override call(x: SymbolicTensor): SymbolicTensor {
    return ops.elu(x, this.alpha);
  }
}

export interface SoftmaxArgs extends LayerArgs {
  /** One axis, or several normalised together (Keras: exp(x - logsumexp over the axes)). */
  readonly axis?: number | readonly number[];
}

/** Softmax's call options: Keras's `mask` argument (kept where true or > 0.5), and the learning phase. */
export interface SoftmaxCallOptions<T extends KerasTensor | SymbolicTensor = KerasTensor | SymbolicTensor> {
  readonly mask?: T | null;
  readonly training?: boolean;
}
const SOFTMAX_CALL_OPTIONS = optionKeys<SoftmaxCallOptions>({ mask: true, training: true });

/** Keras's `_large_negative_number` for float32: what masked positions become before the softmax. */
const LARGE_NEGATIVE = -1e9;

/** Callable with Keras's `mask` argument: `softmax(x, { mask })`. */
export interface Softmax {
  (inputs: KerasTensor, options?: SoftmaxCallOptions<KerasTensor>): KerasTensor;
  (inputs: SymbolicTensor, options?: SoftmaxCallOptions<SymbolicTensor>): SymbolicTensor;
}

export class Softmax extends Layer {
  readonly axis: number | readonly number[];
  constructor(args: SoftmaxArgs = {}) {
    super(args);
    this.axis = args.axis ?? -1;
    this.supportsMasking = true;
  }

  override get callTakesMask(): boolean {
    return true;
  }

  /** `softmax(x, { mask })`: an explicit mask is a second input; otherwise x's Keras mask, if any, is used. */
  protected override splitCallArguments(args: readonly unknown[]): SplitCall {
    const [inputs, options] = args;
    if (options === undefined) return super.splitCallArguments(args);
    checkOptions(options, SOFTMAX_CALL_OPTIONS, `Softmax "${this.name}" call`);
    const { mask, training } = options as SoftmaxCallOptions;
    const phase = training === undefined ? {} : { training };
    if (mask === undefined || mask === null) return { inputs: inputs as KerasTensor, options: phase };
    return { inputs: [inputs, mask] as readonly KerasTensor[], options: phase, kwargs: { explicitMask: true } };
  }

  /** Keras: the output keeps the mask of x (an explicit mask argument does not become the output's mask). */
  override computeMask(_inputs: unknown, previousMask: CallMask): CallMask {
    return Array.isArray(previousMask) ? previousMask[0] : previousMask;
  }

  override call(inputs: SymbolicTensor | readonly SymbolicTensor[], { mask, kwargs }: CallArgs): SymbolicTensor {
    const [x, given] = kwargs?.explicitMask === true ? (inputs as readonly SymbolicTensor[]) : [inputs as SymbolicTensor, firstMask(mask)];
    let input = ops.cast(x, 'float32');
    const rank = input.shape.length;
    const axes = (typeof this.axis === 'number' ? [this.axis] : this.axis).map((a) => normalizeAxis(a, rank, `Softmax "${this.name}"`));
    const keep = given === undefined ? undefined : this.keepOf(given, input.shape);
    if (keep !== undefined) input = ops.where(keep, input, LARGE_NEGATIVE);
    // The max only keeps exp in range: its gradient cancels, so it is not built.
    const shifted = ops.subtract(input, ops.stopGradient(ops.max(input, { axis: axes, keepdims: true })));
    const e = ops.exp(shifted);
    const out = ops.divide(e, ops.sum(e, { axis: axes, keepdims: true }));
    // As Keras: zero the masked positions, in case a whole axis was masked (a uniform softmax).
    return keep === undefined ? out : ops.where(keep, out, 0);
  }

  /** Where the mask keeps values (true, or > 0.5), after Keras's broadcast checks. */
  private keepOf(mask: SymbolicTensor, shape: Shape): SymbolicTensor {
    const bad = (why: string) => new Error(`The \`mask\` must be broadcastable to \`inputs\`${why}. Received: inputs.shape=${formatShape(shape)}, mask.shape=${formatShape(mask.shape)}`);
    if (mask.shape.length > shape.length) throw bad(' and must not have more dimensions');
    for (let k = 1; k <= mask.shape.length; k++) {
      const m = mask.shape[mask.shape.length - k];
      const d = shape[shape.length - k];
      if (m !== null && d !== null && m !== 1 && m !== d) throw bad('. Each mask dimension must be 1 or match the corresponding input dimension');
    }
    return mask.dtype === 'bool' ? mask : ops.greater(ops.cast(mask, 'float32'), 0.5);
  }
}
