/**
 * What SimpleRNN, LSTM and GRU share (Keras 3 `keras/src/layers/rnn/rnn.py`): the input
 * projection of every step as one matmul, the recurrence as one `scan` whose body is the cell's
 * step (compiled once, run per step), and the outputs Keras returns (the last output or the whole
 * sequence, the final states, processing backwards).
 */
import * as B from '../../../ir/build.js';
import type { Node } from '../../../ir/node.js';
import { scan } from '../../../ir/scan.js';
import type { Shape } from '../../../ir/types.js';
import * as activations from '../../activations.js';
import type { InitializerIdentifier } from '../../initializers.js';
import * as ops from '../../ops.js';
import type { SymbolicTensor } from '../../ops.js';
import { checkOptions, optionKeys, type OptionKeys, type Unsupported } from '../../strict-options.js';
import { requirePositiveInt } from '../core.js';
import { Layer, type CallArgs, type LayerArgs } from '../layer.js';
import { firstMask, type CallMask } from '../masks.js';
import type { Variable } from '../variable.js';

export interface RecurrentArgs extends LayerArgs {
  readonly activation?: activations.ActivationIdentifier;
  readonly recurrentActivation?: activations.ActivationIdentifier;
  readonly useBias?: boolean;
  readonly kernelInitializer?: InitializerIdentifier;
  readonly recurrentInitializer?: InitializerIdentifier;
  readonly biasInitializer?: InitializerIdentifier;
  readonly returnSequences?: boolean;
  readonly returnState?: boolean;
  readonly goBackwards?: boolean;
  /** Fraction of the input features dropped while training: one mask per sequence, shared by every step and gate. */
  readonly dropout?: number;
  /** Fraction of the state's units dropped where the step's recurrent matmul reads it: one mask per sequence. */
  readonly recurrentDropout?: number;
}

const LAYER_KEYS: OptionKeys<LayerArgs> = { name: true, trainable: true, inputShape: true, batchInputShape: true, batchSize: true, dtype: true, activityRegularizer: true };
const RECURRENT_KEYS: OptionKeys<RecurrentArgs> = {
  ...LAYER_KEYS, activation: true, recurrentActivation: true, useBias: true, kernelInitializer: true,
  recurrentInitializer: true, biasInitializer: true, returnSequences: true, returnState: true, goBackwards: true,
  dropout: true, recurrentDropout: true,
};

/** Keras options not built yet: an error that says so rather than a run that ignores them. */
const NOT_YET: Unsupported = {
  stateful: 'stateful recurrent layers are not implemented yet',
  unroll: 'the recurrence always compiles as one loop whose step is compiled once (docs/ARCHITECTURE.md, "Recurrence"); unrolling is not offered',
  kernelRegularizer: 'regularizers on recurrent layers are not implemented yet',
  recurrentRegularizer: 'regularizers on recurrent layers are not implemented yet',
  biasRegularizer: 'regularizers on recurrent layers are not implemented yet',
  kernelConstraint: 'constraints on recurrent layers are not implemented yet',
  recurrentConstraint: 'constraints on recurrent layers are not implemented yet',
  biasConstraint: 'constraints on recurrent layers are not implemented yet',
  seed: 'the seed option goes with dropout, which recurrent layers do not implement yet',
};

/** Checks a recurrent layer's options: the shared ones plus the layer's own `extra` keys. */
export function checkRecurrentOptions(args: object | undefined, className: string, extra: readonly string[]): void {
  checkOptions(args, [...optionKeys<RecurrentArgs>(RECURRENT_KEYS), ...extra], className, NOT_YET);
}

/** Columns [from, to) of a [batch, n] value (the batch may still be symbolic). */
export function columns(x: Node, from: number, to: number): Node {
  return B.slice(x, [0, from], [x.shape[0] ?? 0, to]);
}

/**
 * One step of a cell: the new states (the first is the step's output) from the projected input.
 * `dropped` is the state as the recurrent matmul reads it (recurrent dropout while training).
 */
export interface CellStep {
  (states: readonly Node[], projected: Node, consts: readonly Node[], dropped: (h: Node) => Node): readonly Node[];
}

function checkRate(layer: Layer, what: string, rate: number): number {
  if (!(typeof rate === 'number' && rate >= 0 && rate < 1)) {
    throw new Error(`Layer "${layer.name}" (${layer.className}): invalid value received for argument \`${what}\`. Expected a float value between 0 and 1 (1 excluded). Received: ${what}=${rate}`);
  }
  return rate;
}

/** Scale factors of inverted dropout: 1/(1 - rate) where kept, 0 where dropped, drawn once for the sequence. */
function dropMask(shape: Shape, rate: number): Node {
  return ops.where(ops.greaterEqual(ops.randomUniform(shape), rate), 1 / (1 - rate), 0);
}

export abstract class RecurrentLayer extends Layer {
  readonly units: number;
  readonly activation: activations.ActivationFn;
  readonly useBias: boolean;
  readonly kernelInitializer: InitializerIdentifier;
  readonly recurrentInitializer: InitializerIdentifier;
  readonly biasInitializer: InitializerIdentifier;
  readonly returnSequences: boolean;
  readonly returnState: boolean;
  readonly goBackwards: boolean;
  readonly dropout: number;
  readonly recurrentDropout: number;
  kernel!: Variable;
  recurrentKernel!: Variable;
  bias: Variable | undefined;

  constructor(units: number, args: RecurrentArgs) {
    super(args);
    requirePositiveInt(this, 'units', units);
    this.units = units;
    this.activation = activations.get(args.activation ?? 'tanh');
    this.useBias = args.useBias ?? true;
    this.kernelInitializer = args.kernelInitializer ?? 'glorot_uniform';
    this.recurrentInitializer = args.recurrentInitializer ?? 'orthogonal';
    this.biasInitializer = args.biasInitializer ?? 'zeros';
    this.returnSequences = args.returnSequences ?? false;
    this.returnState = args.returnState ?? false;
    this.goBackwards = args.goBackwards ?? false;
    this.dropout = checkRate(this, 'dropout', args.dropout ?? 0);
    this.recurrentDropout = checkRate(this, 'recurrent_dropout', args.recurrentDropout ?? 0);
    this.inputSpec = { ndim: 3 };
  }

  override get callTakesMask(): boolean {
    return true;
  }

  /** Keras: the sequence keeps the input's step mask; the last output and the states have none. */
  override computeMask(_inputs: SymbolicTensor, mask: CallMask): CallMask {
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

  override build(inputShape: Shape): void {
    const inputDim = inputShape.at(-1);
    if (inputDim === null || inputDim === undefined) {
      throw new Error(`Layer "${this.name}" (${this.className}): the last dimension of its inputs must be defined. Full input shape received: (${inputShape.map((d) => d ?? 'None').join(', ')})`);
    }
    const width = this.gates * this.units;
    this.kernel = this.addWeight({ name: 'kernel', shape: [inputDim, width], initializer: this.kernelInitializer });
    this.recurrentKernel = this.addWeight({ name: 'recurrent_kernel', shape: [this.units, width], initializer: this.recurrentInitializer });
    this.bias = this.useBias ? this.buildBias() : undefined;
    this.inputSpec = { ndim: 3, axes: { [-1]: inputDim } };
  }

  override call(input: SymbolicTensor, { training, mask }: CallArgs): SymbolicTensor | SymbolicTensor[] {
    const [batch, steps, features] = input.shape;
    let x = input;
    if (training && this.dropout > 0) x = B.multiply(x, B.reshape(dropMask([batch, features], this.dropout), [batch, 1, features]));
    if (steps === null) throw new Error(`Layer "${this.name}" (${this.className}): the number of time steps must be known, got input shape (${x.shape.map((d) => d ?? 'None').join(', ')})`);
    // Time-major, so one step's slice is contiguous; every step's input projection is one matmul.
    const timeMajor = B.transpose(x, [1, 0, 2]);
    let projected: Node = ops.matmul(timeMajor, this.kernel);
    const bias = this.inputBias();
    if (bias !== undefined) projected = B.add(projected, bias);
    const init = Array.from({ length: this.stateCount }, () => B.fill(0, [batch, this.units]));
    // The recurrent mask is a constant of the loop, so every step reads the same one.
    const recurrentMask = training && this.recurrentDropout > 0 ? [dropMask([batch, this.units], this.recurrentDropout)] : [];
    const cellConsts = this.stepConsts();
    // A Keras step mask is one more sequence of the loop, (steps, batch, 1): data, not program.
    const stepMask = firstMask(mask);
    const maskSequence = stepMask === undefined ? [] : [B.reshape(B.transpose(ops.cast(stepMask, 'float32'), [1, 0]), [steps, batch, 1])];
    const out = scan((states, [p, keep], consts) => {
      const [dropMaskNode] = consts.slice(cellConsts.length);
      let next = this.step(states, p, consts.slice(0, cellConsts.length), (h) => (dropMaskNode === undefined ? h : B.multiply(h, dropMaskNode)));
      // Keras (jax rnn, zero_output_for_mask false): a masked step keeps every state, and its
      // output is the previous output, which is the first state carried over.
      if (keep !== undefined) next = next.map((n, i) => ops.where(keep, n, states[i]));
      return { carries: next, ys: this.returnSequences ? [next[0]] : [] };
    }, init, [projected, ...maskSequence], [...cellConsts, ...recurrentMask], { reverse: this.goBackwards });
    let output: Node;
    if (this.returnSequences) {
      let sequence = out.ys[0];
      // Keras returns a backwards layer's outputs in the order it processed them: last position first.
      if (this.goBackwards) sequence = B.gather(sequence, B.subtract(steps - 1, B.iota([steps], 0)), this.name);
      output = B.transpose(sequence, [1, 0, 2]);
    } else {
      output = out.carries[0];
    }
    return this.returnState ? [output, ...out.carries] : output;
  }
}

/** The recurrent activation option of the gated cells (LSTM, GRU), sigmoid by default as in Keras 3. */
export function recurrentActivationOf(args: RecurrentArgs): activations.ActivationFn {
  return activations.get(args.recurrentActivation ?? 'sigmoid');
}
