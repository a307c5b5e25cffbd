/**
 * Keras 3's generic `RNN(cell)` (`keras/src/layers/rnn/rnn.py`): any cell with `stateSize` and
 * `call(inputs, states, { training })` runs as one `scan` whose body is the cell's call, traced
 * once (or unrolled, with `unroll`). A list of cells is a StackedRNNCells. A single built-in cell
 * takes the layers' path (every step's input projection as one matmul before the loop), so
 * RNN(new LSTMCell(n)) is the program of LSTM(n).
 */
import * as B from '../../../ir/build.js';
import type { Node } from '../../../ir/node.js';
import type { Shape } from '../../../ir/types.js';
import type { SymbolicTensor } from '../../ops.js';
import { checkOptions } from '../../strict-options.js';
import type { KerasTensor } from '../keras-tensor.js';
import { Layer, type CallArgs, type LayerArgs, type SplitCall } from '../layer.js';
import { firstMask, type CallMask } from '../masks.js';
import type { Variable } from '../variable.js';
import { BuiltinCell } from './cells.js';
import { runRecurrence, UNROLL_NEEDS_STEPS, type RecurrenceStep } from './loop.js';
import { splitRecurrentCall, type RecurrentCallOptions } from './recurrent.js';
import { createStateVariables, initialStates, keepFinalStates } from './states.js';
import { buildCell, callCell, checkCell, outputSizeOf, prepareDropout, resetDropout, stateSizesOf, StackedRNNCells, type AnyCell } from './stacked.js';

export interface RNNArgs extends LayerArgs {
  readonly returnSequences?: boolean;
  readonly returnState?: boolean;
  readonly goBackwards?: boolean;
  /** Keep the final states of a batch as the initial states of the next (needs a fixed batch size). */
  readonly stateful?: boolean;
  /** One copy of the cell's step per time step instead of one loop (needs a known number of steps). */
  readonly unroll?: boolean;
  readonly zeroOutputForMask?: boolean;
}

export class RNN extends Layer {
  readonly cell: AnyCell;
  readonly returnSequences: boolean;
  readonly returnState: boolean;
  readonly goBackwards: boolean;
  readonly stateful: boolean;
  readonly unroll: boolean;
  /** Keras's zero_output_for_mask; Bidirectional sets it to returnSequences, as Keras does. */
  zeroOutputForMask: boolean;
  /** A stateful layer's states between batches (session variables, neither saved nor trained). */
  states: Variable[] | undefined;

  constructor(cell: AnyCell | readonly AnyCell[], args: RNNArgs = {}) {
    checkOptions(args, ['name', 'trainable', 'inputShape', 'batchInputShape', 'batchSize', 'dtype', 'returnSequences', 'returnState', 'goBackwards', 'stateful', 'unroll', 'zeroOutputForMask'], 'RNN');
    // Keras: a list of cells is one StackedRNNCells.
    const one = Array.isArray(cell) ? new StackedRNNCells(cell as readonly AnyCell[]) : cell as AnyCell;
    checkCell(one, 'Argument `cell`');
    super(args);
    this.cell = one;
    this.returnSequences = args.returnSequences ?? false;
    this.returnState = args.returnState ?? false;
    this.goBackwards = args.goBackwards ?? false;
    this.stateful = args.stateful ?? false;
    this.unroll = args.unroll ?? false;
    this.zeroOutputForMask = args.zeroOutputForMask ?? false;
    this.states = undefined;
    this.inputSpec = { ndim: 3 };
  }

  private get stateSizes(): number[] {
    return stateSizesOf(this.cell);
  }

  override get callTakesMask(): boolean { return true; }

  override computeMask(_inputs: SymbolicTensor | readonly SymbolicTensor[], mask: CallMask): CallMask {
    const m = firstMask(mask);
    const outputMask = this.returnSequences ? m : undefined;
    return this.returnState ? [outputMask, ...this.stateSizes.map(() => undefined)] : outputMask;
  }

  /** Keras's `layer(x, { initialState: [...] })`: the states travel as further inputs of the call. */
  protected override splitCallArguments(args: readonly unknown[]): SplitCall {
    const [inputs, options] = args as [KerasTensor | SymbolicTensor, RecurrentCallOptions<unknown> | undefined];
    return splitRecurrentCall(this, inputs, options);
  }

  protected override inputsCheckedBySpec(): number {
    return 1;
  }

  override build(shapes: Shape | readonly Shape[]): void {
    const shape = (Array.isArray(shapes[0]) ? shapes[0] : shapes) as Shape;
    // Keras builds the cell on one step's input: (batch, features).
    buildCell(this.cell, [shape[0], ...shape.slice(2)]);
    if (this.stateful) this.states = createStateVariables(this, shape, this.stateSizes);
  }

  /** Keras's reset_states(): a stateful layer's states back to zeros. */
  resetStates(): void {
    for (const v of this.states ?? []) v.assign(new Float32Array(v.size));
  }

  override call(inputs: SymbolicTensor | readonly SymbolicTensor[], { training, mask }: CallArgs): SymbolicTensor | SymbolicTensor[] {
    const [x, ...given] = (Array.isArray(inputs) ? inputs : [inputs]) as SymbolicTensor[];
    const [batch, steps, features] = x.shape;
    if (steps === null) throw new Error(this.unroll ? UNROLL_NEEDS_STEPS : `Layer "${this.name}" (RNN): the number of time steps must be known, got input shape (${x.shape.map((d) => d ?? 'None').join(', ')})`);
    const cell = this.cell;
    const train = training === true;
    const init = initialStates(this, given, this.states, this.stateSizes, batch);
    prepareDropout(cell, train, batch, features ?? 0);
    const timeMajor: Node = B.transpose(x, [1, 0, 2]);
    let sequences: readonly Node[] = [timeMajor];
    let step: RecurrenceStep;
    if (cell instanceof BuiltinCell) {
      // The layers' path: the input mask (one per sequence) and every step's projection before the loop.
      const masks = cell.sequenceMasks(train, [batch, features], init[0].shape);
      sequences = cell.project(timeMajor, masks.input);
      const consts = cell.stepConsts();
      step = (states, p) => {
        const next = cell.step(states, p, consts, masks.recurrent);
        return { output: next[0], states: next };
      };
    } else {
      step = (states, [xt]) => callCell(cell, this.name, xt, states, train);
    }
    const out = runRecurrence(step, init, sequences, firstMask(mask), {
      layerName: this.name, returnSequences: this.returnSequences, goBackwards: this.goBackwards,
      zeroOutputForMask: this.zeroOutputForMask, unroll: this.unroll, outputSize: outputSizeOf(cell),
    });
    resetDropout(cell);
    if (this.states !== undefined && batch !== null) keepFinalStates(this.states, out.states);
    return this.returnState ? [out.output, ...out.states] : out.output;
  }
}
