/**
 * Keras 3's generic `RNN(cell)` (`keras/src/layers/rnn/rnn.py`): any cell with `stateSize` and
 * `call(inputs, states, { training })` runs as one `scan` whose body is the cell's call, traced
 * once. A built-in cell takes the layers' path (every step's input projection as one matmul before
 * the loop), so RNN(new LSTMCell(n)) is the program of LSTM(n).
 */
import * as B from '../../../ir/build.js';
import { make, type Node } from '../../../ir/node.js';
import { scanNode } from '../../../ir/scan.js';
import { ScanBody } from '../../../ir/scan-body.js';
import type { Shape } from '../../../ir/types.js';
import * as ops from '../../ops.js';
import type { SymbolicTensor } from '../../ops.js';
import { checkOptions } from '../../strict-options.js';
import { Layer, type CallArgs, type LayerArgs } from '../layer.js';
import { firstMask, type CallMask } from '../masks.js';
import { BuiltinCell, type RNNCell } from './cells.js';

export interface RNNArgs extends LayerArgs {
  readonly returnSequences?: boolean;
  readonly returnState?: boolean;
  readonly goBackwards?: boolean;
  readonly zeroOutputForMask?: boolean;
}

const NOT_YET = {
  stateful: 'stateful is not implemented for RNN(cell) yet (the LSTM/GRU/SimpleRNN layers have it)',
  unroll: 'the recurrence always compiles as one loop whose step is compiled once; unrolling is not offered',
};

/**
 * The cell's step as traced on the body's parameters may read values from outside the loop (its
 * weights, any tensor it closed over). A body reads only its parameters, so every such source
 * becomes one more constant parameter, and the traced graph is rebuilt on it.
 */
function liftFreeSources(outputs: readonly Node[], params: ReadonlySet<Node>, lifted: Map<Node, Node<'input'>>): Node[] {
  const memo = new Map<Node, Node>();
  const visit = (n: Node): Node => {
    const seen = memo.get(n);
    if (seen !== undefined) return seen;
    let out: Node;
    if ((n.op === 'input' || n.op === 'variable') && !params.has(n)) {
      let p = lifted.get(n);
      if (p === undefined) { p = B.input(`scan:const${params.size + lifted.size}`, n.shape, n.dtype); lifted.set(n, p); }
      out = p;
    } else if (n.inputs.length === 0) {
      out = n;
    } else {
      const inputs = n.inputs.map(visit);
      out = inputs.every((x, i) => x === n.inputs[i]) ? n : make(n.op, inputs, n.attrs as never);
    }
    memo.set(n, out);
    return out;
  };
  return outputs.map(visit);
}

function isCell(cell: unknown): cell is RNNCell | BuiltinCell {
  // A Layer is callable (layer(x)), so it is a function as well as an object.
  return (typeof cell === 'object' || typeof cell === 'function') && cell !== null;
}

export class RNN extends Layer {
  readonly cell: RNNCell | BuiltinCell;
  readonly returnSequences: boolean;
  readonly returnState: boolean;
  readonly goBackwards: boolean;
  readonly zeroOutputForMask: boolean;

  constructor(cell: RNNCell | BuiltinCell, args: RNNArgs = {}) {
    checkOptions(args, ['name', 'trainable', 'inputShape', 'batchInputShape', 'batchSize', 'dtype', 'returnSequences', 'returnState', 'goBackwards', 'zeroOutputForMask'], 'RNN', NOT_YET);
    if (Array.isArray(cell)) throw new Error('RNN: a list of cells is not supported yet (StackedRNNCells is not implemented); pass one cell');
    const shown = String(cell);
    if (!isCell(cell) || !(cell instanceof BuiltinCell || typeof (cell as RNNCell).call === 'function')) {
      throw new Error(`Argument \`cell\` should have a \`call\` method. Received: cell=${shown}`);
    }
    if (!('stateSize' in cell) || cell.stateSize === undefined) {
      throw new Error(`The RNN cell should have a \`state_size\` attribute (single integer or list of integers, one integer per RNN state). Received: cell=${shown}`);
    }
    super(args);
    this.cell = cell;
    this.returnSequences = args.returnSequences ?? false;
    this.returnState = args.returnState ?? false;
    this.goBackwards = args.goBackwards ?? false;
    this.zeroOutputForMask = args.zeroOutputForMask ?? false;
    this.inputSpec = { ndim: 3 };
  }

  private get stateSizes(): number[] {
    const s = this.cell.stateSize;
    return typeof s === 'number' ? [s] : [...s];
  }
  private get outputSize(): number {
    return this.cell.outputSize ?? this.stateSizes[0];
  }

  override get callTakesMask(): boolean { return true; }

  override computeMask(_inputs: SymbolicTensor | readonly SymbolicTensor[], mask: CallMask): CallMask {
    const m = firstMask(mask);
    const outputMask = this.returnSequences ? m : undefined;
    return this.returnState ? [outputMask, ...this.stateSizes.map(() => undefined)] : outputMask;
  }

  override build(shapes: Shape | readonly Shape[]): void {
    const shape = (Array.isArray(shapes[0]) ? shapes[0] : shapes) as Shape;
    // Keras builds the cell on one step's input: (batch, features).
    if (this.cell instanceof Layer) this.cell.maybeBuild([shape[0], ...shape.slice(2)]);
  }

  override call(inputs: SymbolicTensor | readonly SymbolicTensor[], { training, mask }: CallArgs): SymbolicTensor | SymbolicTensor[] {
    const x = Array.isArray(inputs) ? (inputs as readonly SymbolicTensor[])[0] : inputs as SymbolicTensor;
    const [batch, steps] = x.shape;
    if (steps === null) throw new Error(`Layer "${this.name}" (RNN): the number of time steps must be known, got input shape (${x.shape.map((d) => d ?? 'None').join(', ')})`);
    const cell = this.cell;
    const sizes = this.stateSizes;
    const timeMajor = B.transpose(x, [1, 0, 2]);
    let sequence: Node = timeMajor;
    if (cell instanceof BuiltinCell) {
      sequence = ops.matmul(timeMajor, cell.kernel);
      const bias = cell.inputBias();
      if (bias !== undefined) sequence = B.add(sequence, bias);
    }
    const stepMask = firstMask(mask);
    const maskSequence = stepMask === undefined ? [] : [B.reshape(B.transpose(ops.cast(stepMask, 'float32'), [1, 0]), [steps, batch, 1])];
    const init = sizes.map((s) => B.fill(0, [batch, s]));
    const carryParams = init.map((c, i) => B.input(`scan:carry${i}`, c.shape, c.dtype));
    const xs = [sequence, ...maskSequence];
    const xParams = xs.map((s, i) => B.input(`scan:x${i}`, s.shape.slice(1), s.dtype));
    const states = carryParams;
    const [p, keep] = xParams;
    let fresh: Node;
    let next: Node[];
    if (cell instanceof BuiltinCell) {
      next = [...cell.step(states, p, cell.stepConsts(), (h) => h)];
      fresh = next[0];
    } else {
      const result = cell.call(p, states, { training });
      if (!Array.isArray(result) || result.length !== 2) throw new Error(`Layer "${this.name}" (RNN): the cell's call must return [output, newStates], got ${String(result)}`);
      const [o, ns] = result as readonly [Node, Node | readonly Node[]];
      next = Array.isArray(ns) ? [...(ns as readonly Node[])] : [ns as Node];
      if (next.length !== sizes.length) throw new Error(`Layer "${this.name}" (RNN): the cell returned ${next.length} new states, but its state_size has ${sizes.length}`);
      fresh = o;
    }
    // A cell whose output is not its first state carries its previous output as one more state:
    // the last output, and what a masked step repeats (Keras's jax rnn). Otherwise the first state is it.
    const outputCarried = fresh !== next[0];
    const outInit = B.fill(0, [batch, this.outputSize]);
    const prevParam = B.input(`scan:carry${sizes.length}`, outInit.shape, outInit.dtype);
    let y = fresh;
    if (keep !== undefined) {
      const prev = outputCarried ? prevParam : states[0];
      next = next.map((n, i) => ops.where(keep, n, states[i]));
      y = this.zeroOutputForMask ? ops.where(keep, fresh, 0) : ops.where(keep, fresh, prev);
    }
    const carriedOut = keep !== undefined && !this.zeroOutputForMask ? y : keep !== undefined ? ops.where(keep, fresh, prevParam) : fresh;
    const carryOuts = outputCarried ? [...next, carriedOut] : next;
    const allCarries = outputCarried ? [...carryParams, prevParam] : carryParams;
    const outs = [...carryOuts, ...(this.returnSequences ? [y] : [])];
    const paramSet = new Set<Node>([...allCarries, ...xParams]);
    const lifted = new Map<Node, Node<'input'>>();
    const bodyOuts = liftFreeSources(outs, paramSet, lifted);
    const body = new ScanBody([...allCarries, ...xParams, ...lifted.values()], bodyOuts);
    const out = scanNode(body, [...init, ...(outputCarried ? [outInit] : []), ...xs, ...lifted.keys()], allCarries.length, xs.length, steps, this.goBackwards, true);
    let output: Node;
    if (this.returnSequences) {
      let seq = out.ys[0];
      if (this.goBackwards) seq = B.gather(seq, B.subtract(steps - 1, B.iota([steps], 0)), this.name);
      output = B.transpose(seq, [1, 0, 2]);
    } else {
      output = out.carries[outputCarried ? sizes.length : 0];
      if (stepMask !== undefined && this.zeroOutputForMask) {
        const col = this.goBackwards ? 0 : steps - 1;
        const lastKeep = B.reshape(B.slice(ops.cast(stepMask, 'float32'), [0, col], [batch ?? 0, col + 1]), [batch, 1]);
        output = ops.where(ops.greater(lastKeep, 0), output, 0);
      }
    }
    const finalStates = out.carries.slice(0, sizes.length);
    return this.returnState ? [output, ...finalStates] : output;
  }
}
