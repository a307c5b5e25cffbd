/**
 * Keras 3's StackedRNNCells (`keras/src/layers/rnn/stacked_rnn_cells.py`): a list of cells run
 * as one cell, each step feeding each cell's output to the next cell. Its states are every
 * cell's states, flattened in cell order (LSTMCell, GRUCell: [h1, c1, h2]), and so are an RNN's
 * initial and returned states over it.
 */
import type { Node } from '../../../ir/node.js';
import type { Shape } from '../../../ir/types.js';
import { Layer, type LayerArgs } from '../layer.js';
import { checkOptions } from '../../strict-options.js';
import { BuiltinCell, type RNNCell } from './cells.js';

export type AnyCell = RNNCell | BuiltinCell | StackedRNNCells;

/** A cell's state sizes as a list (Keras's state_size may be one integer). */
export function stateSizesOf(cell: AnyCell): number[] {
  const s = cell.stateSize;
  return typeof s === 'number' ? [s] : [...s];
}

/** Keras's output size of a cell: output_size, else its first state's size. */
export function outputSizeOf(cell: AnyCell): number {
  return cell.outputSize ?? stateSizesOf(cell)[0];
}

/** Whether `cell` has Keras's cell protocol: a call method and a state size. */
function hasCellProtocol(cell: unknown): cell is AnyCell {
  // A Layer is callable (layer(x)), so it is a function as well as an object.
  if ((typeof cell !== 'object' && typeof cell !== 'function') || cell === null) return false;
  return cell instanceof BuiltinCell || cell instanceof StackedRNNCells || typeof (cell as RNNCell).call === 'function';
}

/**
 * The step input shape each cell was built on: Keras writes it as the cell's build_config, and a
 * cell is built by its RNN or stack, not called on a KerasTensor, so no call node records it.
 */
const cellBuildShapes = new WeakMap<object, Shape>();

/** Builds a Layer cell on one step's input shape, remembering the shape for its config. */
export function buildCell(cell: AnyCell, shape: Shape): void {
  if (!(cell instanceof Layer) || cell.built) return;
  cell.maybeBuild(shape);
  cellBuildShapes.set(cell, [...shape]);
}

/** The step input shape a cell was built on, if it was. */
export function cellBuildShape(cell: object): Shape | undefined {
  return cellBuildShapes.get(cell);
}

/** Keras's checks of a cell: `call`, then `state_size`, with Keras's messages. */
export function checkCell(cell: unknown, what: string): AnyCell {
  if (!hasCellProtocol(cell)) throw new Error(`${what} should have a \`call\` method. Received: cell=${String(cell)}`);
  if (!('stateSize' in cell) || cell.stateSize === undefined) {
    throw new Error(`The RNN cell should have a \`state_size\` attribute (single integer or list of integers, one integer per RNN state). Received: cell=${String(cell)}`);
  }
  return cell;
}

/** One step of any cell: its output and new states (a built-in or stacked cell's own step, else the cell's call). */
export function callCell(cell: AnyCell, layerName: string, inputs: Node, states: readonly Node[], training: boolean): { output: Node; states: Node[] } {
  if (cell instanceof BuiltinCell || cell instanceof StackedRNNCells) {
    const [output, next] = cell.cellCall(inputs, states, training);
    return { output, states: [...next] };
  }
  const result = cell.call(inputs, states, { training });
  if (!Array.isArray(result) || result.length !== 2) throw new Error(`Layer "${layerName}" (RNN): the cell's call must return [output, newStates], got ${String(result)}`);
  const [output, ns] = result as readonly [Node, Node | readonly Node[]];
  return { output, states: Array.isArray(ns) ? [...(ns as readonly Node[])] : [ns as Node] };
}

/** Draws the built-in cells' dropout masks of one sequence (Keras's _maybe_config_dropout_masks). */
export function prepareDropout(cell: AnyCell, training: boolean, batch: number | null, inputDim: number): void {
  if (cell instanceof BuiltinCell) cell.prepareDropout(training, batch, inputDim);
  if (cell instanceof StackedRNNCells) {
    let dim = inputDim;
    for (const c of cell.cells) { prepareDropout(c, training, batch, dim); dim = outputSizeOf(c); }
  }
}

/** Keras's _maybe_reset_dropout_masks: the next call draws new masks. */
export function resetDropout(cell: AnyCell): void {
  if (cell instanceof BuiltinCell) cell.resetDropout();
  if (cell instanceof StackedRNNCells) for (const c of cell.cells) resetDropout(c);
}

export class StackedRNNCells extends Layer {
  readonly cells: readonly AnyCell[];

  constructor(cells: readonly AnyCell[], args: LayerArgs = {}) {
    checkOptions(args, ['name', 'trainable', 'dtype'], 'StackedRNNCells');
    if (!Array.isArray(cells)) throw new Error(`StackedRNNCells: \`cells\` must be a list of RNN cell instances. Received: cells=${String(cells)}`);
    for (const cell of cells as readonly unknown[]) {
      if (!hasCellProtocol(cell)) throw new Error(`All cells must have a \`call\` method. Received cell without a \`call\` method: ${String(cell)}`);
      if (!('stateSize' in cell) || cell.stateSize === undefined) throw new Error(`All cells must have a \`state_size\` attribute. Received cell without a \`state_size\`: ${String(cell)}`);
    }
    super(args);
    this.cells = [...cells];
  }

  /** Every cell's states, flattened in cell order. */
  get stateSize(): number[] {
    return this.cells.flatMap(stateSizesOf);
  }

  /** The last cell's output size (Keras's output_size). */
  get outputSize(): number {
    return outputSizeOf(this.cells[this.cells.length - 1]);
  }

  /** Keras: each cell is built on the previous cell's output, (batch, output size). */
  override build(shapes: Shape | readonly Shape[]): void {
    let shape = (Array.isArray(shapes[0]) ? shapes[0] : shapes) as Shape;
    for (const cell of this.cells) {
      buildCell(cell, shape);
      shape = [shape[0], outputSizeOf(cell)];
    }
  }

  /** One step: the cells in order, each reading the previous one's output, each its own slice of the states. */
  cellCall(inputs: Node, states: readonly Node[], training = false): readonly [Node, readonly Node[]] {
    let x = inputs;
    let at = 0;
    const next: Node[] = [];
    for (const cell of this.cells) {
      const n = stateSizesOf(cell).length;
      const out = callCell(cell, this.name, x, states.slice(at, at + n), training);
      if (out.states.length !== n) throw new Error(`Layer "${this.name}" (StackedRNNCells): a cell returned ${out.states.length} new states, but its state_size has ${n}`);
      next.push(...out.states);
      x = out.output;
      at += n;
    }
    return [x, next];
  }
}
