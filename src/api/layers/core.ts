/** Dense and Activation: the layers of a plain MLP. */
import type { Shape } from '../../ir/types.js';
import * as activations from '../activations.js';
import { getConstraint, type ConstraintIdentifier } from '../constraints.js';
import type { InitializerIdentifier } from '../initializers.js';
import * as ops from '../ops.js';
import { getRegularizer, type RegularizerIdentifier } from '../regularizers.js';
import type { SymbolicTensor } from '../ops.js';
import { Layer, type LayerArgs } from './layer.js';
import type { Variable } from './variable.js';

export interface DenseArgs extends LayerArgs {
  readonly activation?: activations.ActivationIdentifier;
  readonly useBias?: boolean;
  readonly kernelInitializer?: InitializerIdentifier;
  readonly biasInitializer?: InitializerIdentifier;
  readonly kernelRegularizer?: RegularizerIdentifier;
  readonly biasRegularizer?: RegularizerIdentifier;
  readonly kernelConstraint?: ConstraintIdentifier;
  readonly biasConstraint?: ConstraintIdentifier;
}

/** Throws Keras's error for a count argument that is not a positive integer. */
export function requirePositiveInt(layer: Layer, what: string, value: number): void {
  if (!(Number.isInteger(value) && value > 0)) {
    throw new Error(`Layer "${layer.name}" (${layer.className}): received an invalid value for \`${what}\`, expected a positive integer. Received: ${what}=${value}`);
  }
}

/** `activation(x · kernel + bias)`; inputs of rank > 2 are multiplied along their last axis. */
export class Dense extends Layer {
  readonly units: number;
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

  constructor(units: number, args: DenseArgs = {}) {
    super(args);
    // Keras passes the input's mask through this layer unchanged.
    this.supportsMasking = true;
    requirePositiveInt(this, 'units', units);
    this.units = units;
    this.activation = activations.get(args.activation);
    this.useBias = args.useBias ?? true;
    this.kernelInitializer = args.kernelInitializer ?? 'glorot_uniform';
    this.biasInitializer = args.biasInitializer ?? 'zeros';
    this.kernelRegularizer = getRegularizer(args.kernelRegularizer);
    this.biasRegularizer = getRegularizer(args.biasRegularizer);
    this.kernelConstraint = getConstraint(args.kernelConstraint);
    this.biasConstraint = getConstraint(args.biasConstraint);
    this.inputSpec = { minNdim: 2 };
  }

  override build(inputShape: Shape): void {
    const inputDim = inputShape.at(-1);
    if (inputDim === null || inputDim === undefined) {
      throw new Error(`The last dimension of the inputs to a Dense layer should be defined. Found None. Full input shape received: (${inputShape.map((d) => d ?? 'None').join(', ')})`);
    }
    this.kernel = this.addWeight({ name: 'kernel', shape: [inputDim, this.units], initializer: this.kernelInitializer, regularizer: this.kernelRegularizer, constraint: this.kernelConstraint });
    if (this.useBias) this.bias = this.addWeight({ name: 'bias', shape: [this.units], initializer: this.biasInitializer, regularizer: this.biasRegularizer, constraint: this.biasConstraint });
    this.inputSpec = { minNdim: 2, axes: { [-1]: inputDim } };
  }

  override call(x: SymbolicTensor): SymbolicTensor {
    let y = ops.matmul(x, this.kernel);
    if (this.bias !== undefined) y = ops.add(y, this.bias);
    return this.activation(y);
  }
}

export class Activation extends Layer {
  readonly activation: activations.ActivationFn;
  constructor(activation: activations.ActivationIdentifier, args: LayerArgs = {}) {
    super(args);
    // Keras passes the input's mask through this layer unchanged.
    this.supportsMasking = true;
    this.activation = activations.get(activation);
  }
  override call(x: SymbolicTensor): SymbolicTensor {
    return this.activation(x);
  }
}
