/**
 * What SimpleRNN, LSTM and GRU share (Keras 3 `keras/src/layers/rnn/rnn.py`): the input
 * projection of every step as one matmul, the recurrence as one `scan` whose body is the cell's
 * step (compiled once, run per step), and the outputs Keras returns (the last output or the whole
 * sequence, the final states, processing backwards).
 */
import * as B from '../../../ir/build.js';
import type { Node } from '../../../ir/node.js';
import type { Shape } from '../../../ir/types.js';
import * as activations from '../../activations.js';
import type { InitializerIdentifier } from '../../initializers.js';
import type { SymbolicTensor } from '../../ops.js';
import { checkOptions, optionKeys, type OptionKeys } from '../../strict-options.js';
import type { KerasTensor } from '../keras-tensor.js';
import { Layer, type CallArgs, type CallOptions, type LayerArgs, type SplitCall } from '../layer.js';
import { firstMask, type CallMask } from '../masks.js';
import type { Variable } from '../variable.js';
import { runRecurrence, UNROLL_NEEDS_STEPS } from './loop.js';
import { drawMasks, maskCount, projectGates, type GateMasks } from './gate-dropout.js';
import { createStateVariables, initialStates, keepFinalStates } from './states.js';
import { resolveCellOptions, type CellOptionArgs, type CellOptions } from './cell-options.js';

/** A recurrent layer's options: its cell's (cell-options.ts, one home for their defaults) and the loop's. */
export interface RecurrentArgs extends LayerArgs, CellOptionArgs {
  readonly recurrentActivation?: activations.ActivationIdentifier;
  readonly returnSequences?: boolean;
  readonly returnState?: boolean;
  readonly goBackwards?: boolean;
  /**
   * Keep the final states of a batch as the initial states of the next (Keras's stateful): the
   * batch size must be fixed (batchInputShape / batchSize, or the Input's batch size).
   */
  readonly stateful?: boolean;
  /** Keras's zero_output_for_mask: masked steps output zeros instead of the previous output (default false). */
  readonly zeroOutputForMask?: boolean;
  /**
   * Keras's unroll: one copy of the step per time step in the graph instead of one loop (needs a
   * known number of steps; compiles slower, see docs/ARCHITECTURE.md "Recurrence as a scan").
   */
  readonly unroll?: boolean;
}

const LAYER_KEYS: OptionKeys<LayerArgs> = { name: true, trainable: true, inputShape: true, batchInputShape: true, batchSize: true, dtype: true, activityRegularizer: true };
const RECURRENT_KEYS: OptionKeys<RecurrentArgs> = {
  ...LAYER_KEYS, activation: true, recurrentActivation: true, useBias: true, kernelInitializer: true,
  recurrentInitializer: true, biasInitializer: true, kernelRegularizer: true, recurrentRegularizer: true, biasRegularizer: true,
  kernelConstraint: true, recurrentConstraint: true, biasConstraint: true, returnSequences: true, returnState: true, goBackwards: true,
  dropout: true, recurrentDropout: true, seed: true, zeroOutputForMask: true, stateful: true, unroll: true,
};

/** Checks a recurrent layer's options: the shared ones plus the layer's own `extra` keys. */
export function checkRecurrentOptions(args: object | undefined, className: string, extra: readonly string[]): void {
  checkOptions(args, [...optionKeys<RecurrentArgs>(RECURRENT_KEYS), ...extra], className);
}

/** Columns [from, to) of a [batch, n] value (the batch may still be symbolic). */
export function columns(x: Node, from: number, to: number): Node {
  return B.slice(x, [0, from], [x.shape[0] ?? 0, to]);
}

/**
 * One step of a cell: the new states (the first is the step's output) from the projected input
 * (one projection for all gates, or one per gate with per-gate input masks: gate-dropout.ts).
 * `masks` are the sequence's recurrent dropout masks the recurrent matmul reads the state through
 * (while training; see gate-dropout.ts).
 */
export interface CellStep {
  (states: readonly Node[], projected: readonly Node[], consts: readonly Node[], masks: GateMasks): readonly Node[];
}

// The resolved cell options (units, activation, initializers, ...) are fields of the layer.
export interface RecurrentLayer extends CellOptions {}

export abstract class RecurrentLayer extends Layer {
  readonly returnSequences: boolean;
  readonly returnState: boolean;
  readonly goBackwards: boolean;
  /**
   * Keras's zero_output_for_mask: a masked step's output is zero rather than the previous output.
   * Bidirectional sets it to returnSequences, as Keras does.
   */
  zeroOutputForMask: boolean;
  readonly stateful: boolean;
  readonly unroll: boolean;
  /**
   * A stateful layer's states between batches: session variables, not weights (Keras creates
   * them untracked, so they are neither saved nor trained).
   */
  states: Variable[] | undefined;
  kernel!: Variable;
  recurrentKernel!: Variable;
  bias: Variable | undefined;

  constructor(units: number, args: RecurrentArgs) {
    super(args);
    Object.assign(this, resolveCellOptions(this, units, args));
    this.returnSequences = args.returnSequences ?? false;
    this.returnState = args.returnState ?? false;
    this.goBackwards = args.goBackwards ?? false;
    this.zeroOutputForMask = args.zeroOutputForMask ?? false;
    this.stateful = args.stateful ?? false;
    this.unroll = args.unroll ?? false;
    this.states = undefined;
    this.inputSpec = { ndim: 3 };
  }

  override get callTakesMask(): boolean {
    return true;
  }

  /** Keras's `layer(x, initial_state=[...])`: the states travel as further inputs of the call. */
  protected override splitCallArguments(args: readonly unknown[]): SplitCall {
    const [inputs, options] = args as [KerasTensor | SymbolicTensor, RecurrentCallOptions<unknown> | undefined];
    return splitRecurrentCall(this, inputs, options);
  }

  protected override inputsCheckedBySpec(): number {
    return 1;
  }

  /** The sequences and the initial states given to this call (Keras's zeros when none). */
  protected splitInputs(input: SymbolicTensor | readonly SymbolicTensor[]): { x: SymbolicTensor; initial: readonly SymbolicTensor[] | undefined } {
    if (!Array.isArray(input)) return { x: input as SymbolicTensor, initial: undefined };
    const [x, ...states] = input as readonly SymbolicTensor[];
    return { x, initial: states };
  }

  /** Keras: the sequence keeps the input's step mask; the last output and the states have none. */
  override computeMask(_inputs: SymbolicTensor | readonly SymbolicTensor[], mask: CallMask): CallMask {
    const m = firstMask(mask);
    const outputMask = this.returnSequences ? m : undefined;
    return this.returnState ? [outputMask, ...Array.from({ length: this.stateCount }, () => undefined)] : outputMask;
  }

  /** Gates per unit: 1 (SimpleRNN), 3 (GRU), 4 (LSTM). */
  protected abstract readonly gates: number;
  /** Number of states carried between steps. */
  protected abstract readonly stateCount: number;
  /** The bias added to the projection of the inputs (all steps at once), if any. */
  protected abstract inputBias(): SymbolicTensor | undefined;
  /** Values the step reads besides its states and input: the recurrent kernel and any recurrent bias. */
  protected abstract stepConsts(): Node[];
  protected abstract readonly step: CellStep;
  protected abstract buildBias(): Variable | undefined;

  override build(shapes: Shape | readonly Shape[]): void {
    const inputShape = (Array.isArray(shapes[0]) ? shapes[0] : shapes) as Shape;
    const inputDim = inputShape.at(-1);
    if (inputDim === null || inputDim === undefined) {
      throw new Error(`Layer "${this.name}" (${this.className}): the last dimension of its inputs must be defined. Full input shape received: (${inputShape.map((d) => d ?? 'None').join(', ')})`);
    }
    const width = this.gates * this.units;
    this.kernel = this.addWeight({ name: 'kernel', shape: [inputDim, width], initializer: this.kernelInitializer, regularizer: this.kernelRegularizer, constraint: this.kernelConstraint });
    this.recurrentKernel = this.addWeight({ name: 'recurrent_kernel', shape: [this.units, width], initializer: this.recurrentInitializer, regularizer: this.recurrentRegularizer, constraint: this.recurrentConstraint });
    this.bias = this.useBias ? this.buildBias() : undefined;
    this.inputSpec = { ndim: 3, axes: { [-1]: inputDim } };
    if (this.stateful) this.states = createStateVariables(this, inputShape, Array.from({ length: this.stateCount }, () => this.units));
  }

  /** The bias weight, with the bias regularizer and constraint. */
  protected addBias(shape: readonly number[], initializer: InitializerIdentifier): Variable {
    return this.addWeight({ name: 'bias', shape: [...shape], initializer, regularizer: this.biasRegularizer, constraint: this.biasConstraint });
  }

  /** Keras's reset_states(): a stateful layer's states back to zeros. */
  resetStates(): void {
    for (const v of this.states ?? []) v.assign(new Float32Array(v.size));
  }

  override call(inputs: SymbolicTensor | readonly SymbolicTensor[], { training, mask }: CallArgs): SymbolicTensor | SymbolicTensor[] {
    const { x: input, initial } = this.splitInputs(inputs);
    const [batch, steps, features] = input.shape;
    if (steps === null) throw new Error(this.unroll ? UNROLL_NEEDS_STEPS : `Layer "${this.name}" (${this.className}): the number of time steps must be known, got input shape (${input.shape.map((d) => d ?? 'None').join(', ')})`);
    // Drawn once for the sequence: every step reads the same masks (constants of the loop).
    const count = maskCount(this.gates, this.recurrentDropout);
    const seed = training === true && (this.dropout > 0 || this.recurrentDropout > 0) ? this.seedGenerator?.next() : undefined;
    const inputMasks = training === true ? drawMasks(count, [batch, features], this.dropout, seed) : undefined;
    const recurrentMasks = training === true ? drawMasks(count, [batch, this.units], this.recurrentDropout, seed) : undefined;
    // Time-major, so one step's slice is contiguous; every step's input projection is one matmul
    // (one per gate when each gate has its own input mask).
    const timeMajor = B.transpose(input, [1, 0, 2]);
    const projected = projectGates(timeMajor, this.kernel.node, this.units, this.gates, inputMasks, this.inputBias());
    const kept = this.states;
    const init = initialStates(this, initial, kept, Array.from({ length: this.stateCount }, () => this.units), batch);
    const cellConsts = this.stepConsts();
    const out = runRecurrence((states, p) => {
      const next = this.step(states, p, cellConsts, recurrentMasks);
      return { output: next[0], states: next };
    }, init, projected, firstMask(mask), {
      layerName: this.name, returnSequences: this.returnSequences, goBackwards: this.goBackwards,
      zeroOutputForMask: this.zeroOutputForMask, unroll: this.unroll, outputSize: this.units,
    });
    if (kept !== undefined && batch !== null) keepFinalStates(kept, out.states);
    return this.returnState ? [out.output, ...out.states] : out.output;
  }
}

/** The options of a recurrent layer's call: Keras's `initial_state` and the learning phase. */
export interface RecurrentCallOptions<T> extends CallOptions {
  /** One tensor per state (LSTM: [h, c]), each (batch, units). */
  readonly initialState?: T | readonly T[];
}

/** Sorts `layer(x, { initialState, training })` into the call's inputs: the sequences, then the states. */
export function splitRecurrentCall(layer: Layer, inputs: unknown, options: RecurrentCallOptions<unknown> | undefined): SplitCall {
  checkOptions(options, ['training', 'initialState'], `${layer.className} "${layer.name}" call`);
  if (Array.isArray(inputs)) {
    throw new TypeError(`Layer "${layer.name}" (${layer.className}) is called on one sequence tensor; pass initial states as layer(x, { initialState: [...] }). Received a list of ${inputs.length} tensors.`);
  }
  const training = options?.training === undefined ? {} : { training: options.training };
  const state = options?.initialState;
  if (state === undefined || state === null) return { inputs: inputs as KerasTensor, options: training };
  const states = Array.isArray(state) ? state : [state];
  return { inputs: [inputs, ...states] as KerasTensor[], options: training };
}
