/**
 * LayerNormalization: each sample normalised by its own mean and variance over `axis`, then
 * scaled by gamma and shifted by beta (Keras 3's ops.layer_normalization).
 */
import { formatShape, type Shape } from '../../ir/types.js';
import type { ConstraintIdentifier } from '../constraints.js';
import type { InitializerIdentifier } from '../initializers.js';
import * as ops from '../ops.js';
import type { SymbolicTensor } from '../ops.js';
import type { RegularizerIdentifier } from '../regularizers.js';
import { checkLayerOptions } from './layer-options.js';
import { Layer, type LayerArgs } from './layer.js';
import type { Variable } from './variable.js';

export interface LayerNormalizationArgs extends LayerArgs {
  /** The axis or axes normalised over (negative counts from the end). */
  readonly axis?: number | readonly number[];
  readonly epsilon?: number;
  readonly center?: boolean;
  readonly scale?: boolean;
  /**
   * Keras 3's deprecated rms_scaling: no beta, and the input is scaled by gamma / sqrt(variance +
   * epsilon) without subtracting the mean (the variance, not the root mean square, as Keras does).
   */
  readonly rmsScaling?: boolean;
  readonly betaInitializer?: InitializerIdentifier;
  readonly gammaInitializer?: InitializerIdentifier;
  readonly betaRegularizer?: RegularizerIdentifier;
  readonly gammaRegularizer?: RegularizerIdentifier;
  readonly betaConstraint?: ConstraintIdentifier;
  readonly gammaConstraint?: ConstraintIdentifier;
}

export class LayerNormalization extends Layer {
  /** As given until build; then Keras's sorted list. */
  axis: number | readonly number[];
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  readonly rmsScaling: boolean;
  private readonly options: LayerNormalizationArgs;
  gamma: Variable | undefined;
  beta: Variable | undefined;

  constructor(args: LayerNormalizationArgs = {}) {
    super(args);
    // Keras passes the input's mask through this layer unchanged.
    this.supportsMasking = true;
    checkLayerOptions<LayerNormalizationArgs>('LayerNormalization', args, {
      axis: true, epsilon: true, center: true, scale: true, rmsScaling: true, betaInitializer: true, gammaInitializer: true,
      betaRegularizer: true, gammaRegularizer: true, betaConstraint: true, gammaConstraint: true,
    });
    const axis = args.axis ?? -1;
    if (!(typeof axis === 'number' ? Number.isInteger(axis) : Array.isArray(axis) && axis.length > 0 && axis.every(Number.isInteger))) {
      throw new TypeError(`Expected an int or a list/tuple of ints for the argument 'axis', but received: ${JSON.stringify(axis)}`);
    }
    this.axis = typeof axis === 'number' ? axis : [...axis];
    this.epsilon = args.epsilon ?? 1e-3;
    if (!(typeof this.epsilon === 'number' && this.epsilon >= 0)) throw new Error(`LayerNormalization: \`epsilon\` must be a non-negative number. Received: epsilon=${String(args.epsilon)}`);
    this.center = args.center ?? true;
    this.scale = args.scale ?? true;
    this.rmsScaling = args.rmsScaling ?? false;
    this.options = args;
  }

  /** The axes as non-negative positions, checked against the rank. */
  private positions(rank: number, inputShape: Shape): number[] {
    const axes = typeof this.axis === 'number' ? [this.axis] : this.axis;
    for (const a of axes) {
      if (a >= rank || a < -rank) throw new Error(`Axis ${a} is out of bounds for input shape ${formatShape(inputShape)}. Received: axis=${JSON.stringify(this.axis)}`);
    }
    const positions = axes.map((a) => (a < 0 ? a + rank : a));
    if (new Set(positions).size !== positions.length) throw new Error(`Duplicate axes in LayerNormalization: axis=${JSON.stringify(this.axis)} on an input of rank ${rank}.`);
    return positions;
  }

  override build(inputShape: Shape): void {
    const rank = inputShape.length;
    this.positions(rank, inputShape);
    // Keras sorts the axes as given (negative ones first) and shapes gamma/beta in that order.
    const sorted = (typeof this.axis === 'number' ? [this.axis] : [...this.axis]).sort((a, b) => a - b);
    const shape = sorted.map((a) => inputShape[a < 0 ? a + rank : a]);
    if (shape.some((d) => d === null)) {
      throw new Error(`LayerNormalization: axis ${JSON.stringify(this.axis)} of input shape ${formatShape(inputShape)} must have a defined dimension to create its weights.`);
    }
    this.axis = sorted;
    const weightShape = shape as number[];
    const o = this.options;
    if (this.scale || this.rmsScaling) {
      this.gamma = this.addWeight({ name: 'gamma', shape: weightShape, initializer: o.gammaInitializer ?? 'ones', regularizer: o.gammaRegularizer, constraint: o.gammaConstraint });
    }
    if (this.center && !this.rmsScaling) {
      this.beta = this.addWeight({ name: 'beta', shape: weightShape, initializer: o.betaInitializer ?? 'zeros', regularizer: o.betaRegularizer, constraint: o.betaConstraint });
    }
  }

  override call(x: SymbolicTensor): SymbolicTensor {
    const input = ops.cast(x, 'float32');
    const rank = input.shape.length;
    const axes = this.positions(rank, input.shape);
    // gamma and beta keep their sizes at the normalised axes and 1 elsewhere (Keras reshapes them so).
    const perFeature = input.shape.map((d, i) => (axes.includes(i) ? d : 1));
    const broadcast = (v: Variable) => ops.reshape(v, perFeature);
    const inv = ops.rsqrt(ops.add(ops.variance(input, { axis: axes, keepdims: true }), this.epsilon));
    // Keras's rms_scaling keeps the input uncentred; otherwise (x - mean) / sqrt(var + eps).
    let y = ops.multiply(this.rmsScaling ? input : ops.subtract(input, ops.mean(input, { axis: axes, keepdims: true })), inv);
    if (this.gamma !== undefined) y = ops.multiply(y, broadcast(this.gamma));
    if (this.beta !== undefined) y = ops.add(y, broadcast(this.beta));
    return y;
  }
}
