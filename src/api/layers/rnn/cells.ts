/**
 * The cells of Keras 3 (`simple_rnn.py`, `lstm.py`, `gru.py`): one step of SimpleRNN, LSTM and
 * GRU as a layer of its own, for `RNN(cell)`. Their gate arithmetic is the layers' own step
 * functions (simpleStep, lstmStep, gruStep), so a cell and its layer cannot drift apart.
 */
import * as B from '../../../ir/build.js';
import type { Node } from '../../../ir/node.js';
import type { Shape } from '../../../ir/types.js';
import * as activations from '../../activations.js';
import type { InitializerIdentifier } from '../../initializers.js';
import { getConstraint, type Constraint, type ConstraintIdentifier } from '../../constraints.js';
import { getRegularizer, type Regularizer, type RegularizerIdentifier } from '../../regularizers.js';
import { checkOptions } from '../../strict-options.js';
import { requirePositiveInt } from '../core.js';
import { Layer, type LayerArgs } from '../layer.js';
import type { Variable } from '../variable.js';
import { gruBiasShape, gruInputBias, gruStep, gruStepConsts } from './gru.js';
import { lstmBiasInitializer, lstmStep } from './lstm.js';
import type { CellStep } from './recurrent.js';
import { drawMasks, gateMatmul, maskCount, type GateMasks } from './gate-dropout.js';
import { checkRate } from './states.js';
import { simpleStep } from './simple-rnn.js';

/** Keras's cell protocol: `stateSize`, and `call(inputs, states)` returning `[output, newStates]`. */
export interface RNNCell {
  readonly stateSize: number | readonly number[];
  readonly outputSize?: number;
  call(inputs: Node, states: readonly Node[], options: { readonly training: boolean }): readonly [Node, Node | readonly Node[]];
}

export interface CellArgs extends LayerArgs {
  readonly activation?: activations.ActivationIdentifier;
  readonly recurrentActivation?: activations.ActivationIdentifier;
  readonly useBias?: boolean;
  readonly kernelInitializer?: InitializerIdentifier;
  readonly recurrentInitializer?: InitializerIdentifier;
  readonly biasInitializer?: InitializerIdentifier;
  readonly kernelRegularizer?: RegularizerIdentifier;
  readonly recurrentRegularizer?: RegularizerIdentifier;
  readonly biasRegularizer?: RegularizerIdentifier;
  readonly kernelConstraint?: ConstraintIdentifier;
  readonly recurrentConstraint?: ConstraintIdentifier;
  readonly biasConstraint?: ConstraintIdentifier;
  readonly unitForgetBias?: boolean;
  readonly resetAfter?: boolean;
  /** Fraction of the cell's input features dropped while training: one mask per sequence (Keras's DropoutRNNCell). */
  readonly dropout?: number;
  /** Fraction of the state's units dropped where the recurrent matmul reads it: one mask per sequence. */
  readonly recurrentDropout?: number;
}

const BASE_KEYS = [
  'name', 'trainable', 'dtype', 'activation', 'useBias', 'kernelInitializer', 'recurrentInitializer', 'biasInitializer', 'dropout', 'recurrentDropout',
  'kernelRegularizer', 'recurrentRegularizer', 'biasRegularizer', 'kernelConstraint', 'recurrentConstraint', 'biasConstraint',
];
const NOT_YET = {
  seed: 'dropout draws from the session\'s random stream; seed it with new Session({ seed })',
};

/**
 * A built-in cell. Besides Keras's `call`, it tells RNN how to project every step's input in one
 * matmul before the loop (`inputBias`, `kernel`) and what its step reads (`stepConsts`, `step`),
 * so `RNN(new LSTMCell(n))` compiles to the very program of `LSTM(n)`.
 */
export abstract class BuiltinCell extends Layer {
  readonly units: number;
  readonly activation: activations.ActivationFn;
  readonly useBias: boolean;
  readonly kernelInitializer: InitializerIdentifier;
  readonly recurrentInitializer: InitializerIdentifier;
  readonly biasInitializer: InitializerIdentifier;
  readonly kernelRegularizer: Regularizer | undefined;
  readonly recurrentRegularizer: Regularizer | undefined;
  readonly biasRegularizer: Regularizer | undefined;
  readonly kernelConstraint: Constraint | undefined;
  readonly recurrentConstraint: Constraint | undefined;
  readonly biasConstraint: Constraint | undefined;
  readonly dropout: number;
  readonly recurrentDropout: number;
  /**
   * The dropout masks of the sequence being run (Keras's cached masks, drawn once per sequence
   * before the loop by `prepareDropout`), undefined outside a call.
   */
  private masks: { readonly input: GateMasks; readonly recurrent: GateMasks } | undefined;
  kernel!: Variable;
  recurrentKernel!: Variable;
  bias: Variable | undefined;
  abstract readonly gates: number;
  abstract readonly stateSize: number | readonly number[];
  abstract inputBias(): Node | undefined;
  abstract stepConsts(): Node[];
  abstract readonly step: CellStep;
  protected abstract buildBias(): Variable;

  constructor(units: number, args: CellArgs, className: string, extra: readonly string[]) {
    checkOptions(args, [...BASE_KEYS, ...extra], className, NOT_YET);
    super(args);
    requirePositiveInt(this, 'units', units);
    this.units = units;
    this.activation = activations.get(args.activation ?? 'tanh');
    this.useBias = args.useBias ?? true;
    this.kernelInitializer = args.kernelInitializer ?? 'glorot_uniform';
    this.recurrentInitializer = args.recurrentInitializer ?? 'orthogonal';
    this.biasInitializer = args.biasInitializer ?? 'zeros';
    this.kernelRegularizer = getRegularizer(args.kernelRegularizer);
    this.recurrentRegularizer = getRegularizer(args.recurrentRegularizer);
    this.biasRegularizer = getRegularizer(args.biasRegularizer);
    this.kernelConstraint = getConstraint(args.kernelConstraint);
    this.recurrentConstraint = getConstraint(args.recurrentConstraint);
    this.biasConstraint = getConstraint(args.biasConstraint);
    this.dropout = checkRate(this, 'dropout', args.dropout ?? 0);
    this.recurrentDropout = checkRate(this, 'recurrent_dropout', args.recurrentDropout ?? 0);
  }

  get outputSize(): number { return this.units; }

  override build(shapes: Shape | readonly Shape[]): void {
    const shape = (Array.isArray(shapes[0]) ? shapes[0] : shapes) as Shape;
    const inputDim = shape.at(-1);
    if (inputDim === null || inputDim === undefined) throw new Error(`Layer "${this.name}" (${this.className}): the last dimension of its inputs must be defined.`);
    const width = this.gates * this.units;
    this.kernel = this.addWeight({ name: 'kernel', shape: [inputDim, width], initializer: this.kernelInitializer, regularizer: this.kernelRegularizer, constraint: this.kernelConstraint });
    this.recurrentKernel = this.addWeight({ name: 'recurrent_kernel', shape: [this.units, width], initializer: this.recurrentInitializer, regularizer: this.recurrentRegularizer, constraint: this.recurrentConstraint });
    this.bias = this.useBias ? this.buildBias() : undefined;
  }

  /** The bias weight, with the bias regularizer and constraint. */
  protected addBias(shape: readonly number[], initializer: InitializerIdentifier): Variable {
    return this.addWeight({ name: 'bias', shape: [...shape], initializer, regularizer: this.biasRegularizer, constraint: this.biasConstraint });
  }

  /**
   * Keras's _maybe_config_dropout_masks: while training, draw this sequence's masks once, before
   * the loop, for inputs of `inputDim` features; every step then reads the same masks. One input
   * mask serves all gates unless recurrent dropout is set; then, as Keras's implementation 1, each
   * gate has its own input mask and its own state mask (gate-dropout.ts).
   */
  prepareDropout(training: boolean, batch: number | null, inputDim: number): void {
    this.masks = !training ? undefined : this.drawMasks([batch, inputDim], [batch, this.units]);
  }

  private drawMasks(inputShape: Shape, stateShape: Shape): { readonly input: GateMasks; readonly recurrent: GateMasks } {
    const count = maskCount(this.gates, this.recurrentDropout);
    return { input: drawMasks(count, inputShape, this.dropout), recurrent: drawMasks(count, stateShape, this.recurrentDropout) };
  }

  /** Keras's reset_dropout_mask: the next sequence draws new masks. */
  resetDropout(): void {
    this.masks = undefined;
  }

  /**
   * The sequence's dropout masks while training (drawn now if no RNN prepared them, as Keras's
   * get_dropout_mask): `input` for the input projection, `recurrent` for the recurrent matmul.
   */
  sequenceMasks(training: boolean, inputShape: Shape, stateShape: Shape): { readonly input: GateMasks; readonly recurrent: GateMasks } {
    if (!training) return { input: undefined, recurrent: undefined };
    return this.masks ?? this.drawMasks(inputShape, stateShape);
  }

  /** Every step's input projection, `inputs` (…, features) through its input masks: one matmul per mask. */
  project(inputs: Node, masks: GateMasks): Node {
    const projected = gateMatmul(inputs, this.kernel.node, this.units, 0, this.gates, masks);
    const bias = this.inputBias();
    return bias === undefined ? projected : B.add(projected, bias);
  }

  /** Keras's cell call: one step on (batch, features) inputs. */
  cellCall(inputs: Node, states: readonly Node[], training = false): readonly [Node, readonly Node[]] {
    const masks = this.sequenceMasks(training, inputs.shape, states[0].shape);
    const next = this.step(states, this.project(inputs, masks.input), this.stepConsts(), masks.recurrent);
    return [next[0], next];
  }
}

export class SimpleRNNCell extends BuiltinCell {
  readonly gates = 1;
  constructor(units: number, args: Omit<CellArgs, 'recurrentActivation' | 'unitForgetBias' | 'resetAfter'> = {}) {
    super(units, args, 'SimpleRNNCell', []);
  }
  get stateSize(): number { return this.units; }
  protected buildBias(): Variable { return this.addBias([this.units], this.biasInitializer); }
  inputBias(): Node | undefined { return this.bias?.node; }
  stepConsts(): Node[] { return [this.recurrentKernel.node]; }
  readonly step: CellStep = (states, projected, consts, masks) => simpleStep(this.activation, states, projected, consts, masks);
}

export class LSTMCell extends BuiltinCell {
  readonly gates = 4;
  readonly recurrentActivation: activations.ActivationFn;
  readonly unitForgetBias: boolean;
  constructor(units: number, args: Omit<CellArgs, 'resetAfter'> = {}) {
    super(units, args, 'LSTMCell', ['recurrentActivation', 'unitForgetBias']);
    this.recurrentActivation = activations.get(args.recurrentActivation ?? 'sigmoid');
    this.unitForgetBias = args.unitForgetBias ?? true;
  }
  get stateSize(): readonly number[] { return [this.units, this.units]; }
  protected buildBias(): Variable {
    return this.addBias([4 * this.units], lstmBiasInitializer(this));
  }
  inputBias(): Node | undefined { return this.bias?.node; }
  stepConsts(): Node[] { return [this.recurrentKernel.node]; }
  readonly step: CellStep = (states, projected, consts, masks) => lstmStep(this, states, projected, consts, masks);
}

export class GRUCell extends BuiltinCell {
  readonly gates = 3;
  readonly recurrentActivation: activations.ActivationFn;
  readonly resetAfter: boolean;
  constructor(units: number, args: Omit<CellArgs, 'unitForgetBias'> = {}) {
    super(units, args, 'GRUCell', ['recurrentActivation', 'resetAfter']);
    this.recurrentActivation = activations.get(args.recurrentActivation ?? 'sigmoid');
    this.resetAfter = args.resetAfter ?? true;
  }
  get stateSize(): number { return this.units; }
  protected buildBias(): Variable {
    return this.addBias(gruBiasShape(this), this.biasInitializer);
  }
  inputBias(): Node | undefined { return gruInputBias(this, this.bias); }
  stepConsts(): Node[] { return gruStepConsts(this, this.recurrentKernel, this.bias); }
  readonly step: CellStep = (states, projected, consts, masks) => gruStep(this, states, projected, consts, masks);
}
