import { normalizeAxis, type Shape } from '../../ir/types.js';
import type { InitializerIdentifier } from '../initializers.js';
import * as ops from '../ops.js';
import type { SymbolicTensor } from '../ops.js';
import { Layer, type CallArgs, type LayerArgs } from './layer.js';
import type { Variable } from './variable.js';

export interface BatchNormalizationArgs extends LayerArgs {
  readonly axis?: number;
  readonly momentum?: number;
  readonly epsilon?: number;
  readonly center?: boolean;
  readonly scale?: boolean;
  readonly betaInitializer?: InitializerIdentifier;
  readonly gammaInitializer?: InitializerIdentifier;
  readonly movingMeanInitializer?: InitializerIdentifier;
  readonly movingVarianceInitializer?: InitializerIdentifier;
}

/**
 * Normalises each feature of `axis`. Training: with the batch's mean and (biased) variance, and
 * the moving statistics updated as `moving = moving * momentum + batch * (1 - momentum)` (returned
 * as trace updates, applied in place by the program). Inference, or a frozen layer
 * (`trainable = false`, as Keras 3): with the moving statistics.
 */
export class BatchNormalization extends Layer {
  readonly axis: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  private readonly inits: Required<Pick<BatchNormalizationArgs, 'betaInitializer' | 'gammaInitializer' | 'movingMeanInitializer' | 'movingVarianceInitializer'>>;
  gamma: Variable | undefined;
  beta: Variable | undefined;
  movingMean!: Variable;
  movingVariance!: Variable;

  constructor(args: BatchNormalizationArgs = {}) {
    super(args);
    this.axis = args.axis ?? -1;
    this.momentum = args.momentum ?? 0.99;
    this.epsilon = args.epsilon ?? 1e-3;
    this.center = args.center ?? true;
    this.scale = args.scale ?? true;
    this.inits = {
      betaInitializer: args.betaInitializer ?? 'zeros',
      gammaInitializer: args.gammaInitializer ?? 'ones',
      movingMeanInitializer: args.movingMeanInitializer ?? 'zeros',
      movingVarianceInitializer: args.movingVarianceInitializer ?? 'ones',
    };
  }

  override build(inputShape: Shape): void {
    const axis = normalizeAxis(this.axis, inputShape.length, `BatchNormalization "${this.name}"`);
    const dim = inputShape[axis];
    if (dim === null) throw new Error(`Axis ${this.axis} of input tensor should have a defined dimension but the layer received an input with shape ${JSON.stringify(inputShape)}.`);
    const shape = [dim];
    if (this.scale) this.gamma = this.addWeight({ name: 'gamma', shape, initializer: this.inits.gammaInitializer });
    if (this.center) this.beta = this.addWeight({ name: 'beta', shape, initializer: this.inits.betaInitializer });
    this.movingMean = this.addWeight({ name: 'moving_mean', shape, initializer: this.inits.movingMeanInitializer, trainable: false });
    this.movingVariance = this.addWeight({ name: 'moving_variance', shape, initializer: this.inits.movingVarianceInitializer, trainable: false });
    this.inputSpec = { ndim: inputShape.length, axes: { [axis]: dim } };
  }

  override call(x: SymbolicTensor, { training }: CallArgs): SymbolicTensor {
    const input = ops.cast(x, 'float32');
    const axis = normalizeAxis(this.axis, input.shape.length, 'BatchNormalization');
    // Per-feature vectors reshaped so they broadcast along `axis`.
    const bshape = input.shape.map((d, i) => (i === axis ? d : 1));
    const bcast = (v: SymbolicTensor | Variable) => ops.reshape(v, bshape);
    let mean: SymbolicTensor;
    let variance: SymbolicTensor;
    if (training && this.trainable) {
      const axes = input.shape.map((_, i) => i).filter((i) => i !== axis);
      mean = ops.mean(input, { axis: axes, keepdims: true });
      variance = ops.mean(ops.square(ops.subtract(input, mean)), { axis: axes, keepdims: true });
      const flat = [input.shape[axis]];
      const m = this.momentum;
      this.addUpdate(this.movingMean, ops.add(ops.multiply(this.movingMean, m), ops.multiply(ops.reshape(mean, flat), 1 - m)));
      this.addUpdate(this.movingVariance, ops.add(ops.multiply(this.movingVariance, m), ops.multiply(ops.reshape(variance, flat), 1 - m)));
    } else {
      mean = bcast(this.movingMean);
      variance = bcast(this.movingVariance);
    }
    let inv = ops.rsqrt(ops.add(variance, this.epsilon));
    if (this.gamma !== undefined) inv = ops.multiply(inv, bcast(this.gamma));
    let y = ops.multiply(ops.subtract(input, mean), inv);
    if (this.beta !== undefined) y = ops.add(y, bcast(this.beta));
    return y;
  }
}
