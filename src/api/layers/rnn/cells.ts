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
import { checkOptions } from '../../strict-options.js';
import { Layer, type LayerArgs } from '../layer.js';
import type { Variable } from '../variable.js';
import { gruBiasShape, gruInputBias, gruStep, gruStepConsts } from './gru.js';
import { lstmBiasInitializer, lstmStep } from './lstm.js';
import type { CellStep } from './recurrent.js';
import { drawMasks, maskCount, projectGates, type GateMasks } from './gate-dropout.js';
import { CELL_OPTION_KEYS, recurrentActivationOf, resetAfterOf, resolveCellOptions, unitForgetBiasOf, type CellOptionArgs, type CellOptions } from './cell-options.js';
import { simpleStep } from './simple-rnn.js';

/** Keras's cell protocol: `stateSize`, and `call(inputs, states)` returning `[output, newStates]`. */
export interface RNNCell {
  readonly stateSize: number | readonly number[];
  readonly outputSize?: number;
  call(inputs: Node, states: readonly Node[], options: { readonly training: boolean }): readonly [Node, Node | readonly Node[]];
}

/** A cell's options: those it shares with its layer (cell-options.ts, with their defaults) and the gates' own. */
export interface CellArgs extends LayerArgs, CellOptionArgs {
  readonly recurrentActivation?: activations.ActivationIdentifier;
  readonly unitForgetBias?: boolean;
  readonly resetAfter?: boolean;
}

const BASE_KEYS = ['name', 'trainable', 'dtype', ...CELL_OPTION_KEYS];

// The resolved options (units, activation, initializers, ...) are fields of the cell.
export interface BuiltinCell extends CellOptions {}

/**
 * A built-in cell. Besides Keras's `call`, it tells RNN how to project every step's input in one
 * matmul before the loop (`inputBias`, `kernel`) and what its step reads (`stepConsts`, `step`),
 * so `RNN(new LSTMCell(n))` compiles to the very program of `LSTM(n)`.
 */
export abstract class BuiltinCell extends Layer {
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
    checkOptions(args, [...BASE_KEYS, ...extra], className);
    super(args);
    Object.assign(this, resolveCellOptions(this, units, args));
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
    const seed = this.dropout > 0 || this.recurrentDropout > 0 ? this.seedGenerator?.next() : undefined;
    return { input: drawMasks(count, inputShape, this.dropout, seed), recurrent: drawMasks(count, stateShape, this.recurrentDropout, seed) };
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

  /** Every step's input projection, `inputs` (…, features) through its input masks: one, or one per gate. */
  project(inputs: Node, masks: GateMasks): Node[] {
    return projectGates(inputs, this.kernel.node, this.units, this.gates, masks, this.inputBias());
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
    this.recurrentActivation = recurrentActivationOf(args);
    this.unitForgetBias = unitForgetBiasOf(args);
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
    this.recurrentActivation = recurrentActivationOf(args);
    this.resetAfter = resetAfterOf(args);
  }
  get stateSize(): number { return this.units; }
  protected buildBias(): Variable {
    return this.addBias(gruBiasShape(this), this.biasInitializer);
  }
  inputBias(): Node | undefined { return gruInputBias(this, this.bias); }
  stepConsts(): Node[] { return gruStepConsts(this, this.recurrentKernel, this.bias); }
  readonly step: CellStep = (states, projected, consts, masks) => gruStep(this, states, projected, consts, masks);
}
