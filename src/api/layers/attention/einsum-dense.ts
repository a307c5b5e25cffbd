/**
 * The projection MultiHeadAttention is made of, as Keras's EinsumDense: `einsum(equation, x,
 * kernel) + bias`, its kernel shaped by the equation (input axes it contracts, output axes it
 * makes), its bias over trailing output axes. Named as Keras names MultiHeadAttention's
 * sublayers (query, key, value, attention_output), so weights carry Keras's paths.
 */
import { formatShape, type Shape } from '../../../ir/types.js';
import { getConstraint, type ConstraintIdentifier } from '../../constraints.js';
import type { InitializerIdentifier } from '../../initializers.js';
import * as ops from '../../ops.js';
import type { SymbolicTensor } from '../../ops.js';
import { getRegularizer, type RegularizerIdentifier } from '../../regularizers.js';
import { Layer } from '../layer.js';
import type { Variable } from '../variable.js';

export interface EinsumDenseArgs {
  readonly name: string;
  /** Sizes of the output letters the kernel makes, in output order (Keras's output_shape without the batch). */
  readonly outputDims: readonly number[];
  /** Output letters the bias spans: a trailing run of the output's letters, or '' for no bias. */
  readonly biasAxes: string;
  readonly kernelInitializer: InitializerIdentifier;
  readonly biasInitializer: InitializerIdentifier;
  readonly kernelRegularizer?: RegularizerIdentifier;
  readonly biasRegularizer?: RegularizerIdentifier;
  readonly kernelConstraint?: ConstraintIdentifier;
  readonly biasConstraint?: ConstraintIdentifier;
}

/**
 * The einsum equation of a projection over the last `bound` axes of a rank-(free + bound) input
 * to `made` new axes, as Keras's _build_proj_equation: 'abc,cde->abde' for (free 2, bound 1, made 2).
 */
export function projectionEquation(free: number, bound: number, made: number): { equation: string; biasAxes: string } {
  const letter = (i: number) => String.fromCharCode(97 + i);
  const freeLetters = Array.from({ length: free }, (_, i) => letter(i)).join('');
  const boundLetters = Array.from({ length: bound }, (_, i) => letter(free + i)).join('');
  const madeLetters = Array.from({ length: made }, (_, i) => letter(free + bound + i)).join('');
  return { equation: `${freeLetters}${boundLetters},${boundLetters}${madeLetters}->${freeLetters}${madeLetters}`, biasAxes: madeLetters };
}

export class EinsumDense extends Layer {
  readonly equation: string;
  readonly args: EinsumDenseArgs;
  kernel!: Variable;
  bias: Variable | undefined;

  constructor(equation: string, args: EinsumDenseArgs) {
    super({ name: args.name });
    this.equation = equation;
    this.args = args;
  }

  private parts(): { input: string; kernel: string; output: string } {
    const [lhs, output] = this.equation.split('->');
    const [input, kernel] = lhs.split(',');
    return { input, kernel, output };
  }

  /** The kernel's shape: contracted letters take the input's sizes, made letters the output's. */
  kernelShape(inputShape: Shape): number[] {
    const { input, kernel, output } = this.parts();
    const made = output.slice(output.length - this.args.outputDims.length);
    return [...kernel].map((c) => {
      const fromInput = input.indexOf(c);
      if (fromInput >= 0) {
        const d = inputShape[fromInput];
        if (d === null) throw new Error(`EinsumDense "${this.name}": axis ${fromInput} of the input ${formatShape(inputShape)} must have a known size`);
        return d;
      }
      return this.args.outputDims[made.indexOf(c)];
    });
  }

  override build(inputShape: Shape): void {
    const { input, output } = this.parts();
    const made = output.slice(output.length - this.args.outputDims.length);
    if (inputShape.length !== input.length) {
      throw new Error(`EinsumDense "${this.name}": expected an input of rank ${input.length} for '${this.equation}', got shape ${formatShape(inputShape)}`);
    }
    const a = this.args;
    this.kernel = this.addWeight({ name: 'kernel', shape: this.kernelShape(inputShape), initializer: a.kernelInitializer, regularizer: getRegularizer(a.kernelRegularizer), constraint: getConstraint(a.kernelConstraint) });
    if (a.biasAxes !== '') {
      if (!output.endsWith(a.biasAxes) || !made.endsWith(a.biasAxes)) {
        throw new Error(`EinsumDense "${this.name}": bias axes '${a.biasAxes}' must be trailing output axes made by the kernel ('${made}')`);
      }
      const biasShape = [...a.biasAxes].map((c) => a.outputDims[made.indexOf(c)]);
      this.bias = this.addWeight({ name: 'bias', shape: biasShape, initializer: a.biasInitializer, regularizer: getRegularizer(a.biasRegularizer), constraint: getConstraint(a.biasConstraint) });
    }
  }

  override call(x: SymbolicTensor): SymbolicTensor {
    const y = ops.einsum(this.equation, x, this.kernel);
    return this.bias === undefined ? y : ops.add(y, this.bias);
  }
}
