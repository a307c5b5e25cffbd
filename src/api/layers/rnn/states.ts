/**
 * The states of a recurrent call (Keras 3 rnn.py), shared by the built-in recurrent layers and
 * RNN(cell): the checks of initial states, a stateful layer's state variables (kept between
 * batches), and the dropout masks drawn once per sequence.
 */
import * as B from '../../../ir/build.js';
import type { Node } from '../../../ir/node.js';
import { formatShape, type Shape } from '../../../ir/types.js';
import { getSession } from '../../backend.js';
import * as ops from '../../ops.js';
import type { SymbolicTensor } from '../../ops.js';
import { currentTrace } from '../../trace-context.js';
import type { Layer } from '../layer.js';
import { Variable } from '../variable.js';

/** Keras's checks of initial states: one per state, each (batch, size). */
export function checkInitialStates(layer: Layer, states: readonly SymbolicTensor[], sizes: readonly number[], batch: number | null): Node[] {
  const n = sizes.length;
  if (states.length !== n) {
    throw new Error(`An initial_state was passed that is not compatible with the cell state size. Expected ${n} initial state tensor${n === 1 ? '' : 's'} (${layer.className} has ${n} state${n === 1 ? '' : 's'}), received ${states.length}`);
  }
  return states.map((s, i) => {
    const ok = s.shape.length === 2 && s.shape[1] === sizes[i] && (s.shape[0] === null || batch === null || s.shape[0] === batch);
    if (!ok) throw new Error(`initial_state[${i}] must have shape (batch_size, ${sizes[i]}) = (${batch ?? 'None'}, ${sizes[i]}); received shape (${s.shape.map((d) => d ?? 'None').join(', ')})`);
    return ops.cast(s, 'float32');
  });
}

/**
 * A stateful layer's states between batches: session variables, not weights (Keras creates them
 * untracked, so they are neither saved nor trained).
 */
export function createStateVariables(layer: Layer, inputShape: Shape, sizes: readonly number[]): Variable[] {
  const batch = inputShape[0];
  if (batch === null || batch === undefined) {
    throw new Error(`When using \`stateful=True\` in a RNN, the batch size must be static. Found dynamic batch size: sequence.shape=${formatShape(inputShape)}`);
  }
  const session = getSession();
  return sizes.map((size, i) => {
    const stored = session.createVariable(`${layer.name}/rnn_state_${i}`, [batch, size], 'float32', new Float32Array(batch * size));
    return new Variable('rnn_state', `${layer.name}/rnn_state`, stored, session, false);
  });
}

/** Keras's check that a stateful layer sees the batch size its states were made for. */
export function checkStatefulBatch(kept: readonly Variable[], batch: number | null): void {
  if (batch !== null && batch !== kept[0].shape[0]) {
    throw new Error(`If an RNN is stateful, the batch size of the input sequences must be the same as the batch size of the initial state. \n- Expected batch size: ${kept[0].shape[0]}\n- Received batch size: ${batch}`);
  }
}

/** Keras assigns the final states to the state variables after every call (predict included). */
export function keepFinalStates(kept: readonly Variable[], finals: readonly Node[]): void {
  kept.forEach((v, i) => currentTrace().updates.push({ variable: v.node, value: finals[i] }));
}

/** The initial states of a call: those given, a stateful layer's kept ones, or zeros. */
export function initialStates(layer: Layer, given: readonly SymbolicTensor[] | undefined, kept: readonly Variable[] | undefined, sizes: readonly number[], batch: number | null): Node[] {
  if (given !== undefined && given.length > 0) return checkInitialStates(layer, given, sizes, batch);
  if (kept !== undefined) {
    checkStatefulBatch(kept, batch);
    if (batch !== null) return kept.map((v) => v.node as Node);
  }
  return sizes.map((s) => B.fill(0, [batch, s]));
}

export function checkRate(layer: Layer, what: string, rate: number): number {
  if (!(typeof rate === 'number' && rate >= 0 && rate < 1)) {
    throw new Error(`Layer "${layer.name}" (${layer.className}): invalid value received for argument \`${what}\`. Expected a float value between 0 and 1 (1 excluded). Received: ${what}=${rate}`);
  }
  return rate;
}

/** Scale factors of inverted dropout: 1/(1 - rate) where kept, 0 where dropped, drawn once for the sequence. */
export function dropMask(shape: Shape, rate: number, seed?: Node): Node {
  return ops.where(ops.greaterEqual(ops.randomUniform(shape, 0, 1, seed), rate), 1 / (1 - rate), 0);
}
