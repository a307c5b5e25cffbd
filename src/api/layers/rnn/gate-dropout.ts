/**
 * The dropout masks of a recurrent sequence, as Keras 3.15's cells draw them
 * (`dropout_rnn_cell.py`, `lstm.py`/`gru.py` `implementation`): drawn once per sequence and read by
 * every step. Without recurrent dropout (Keras's implementation 2) one input mask serves all gates;
 * with recurrent dropout Keras switches to implementation 1, where each gate has its own input
 * mask and its own state mask (4 for LSTM, 3 for GRU; SimpleRNN has one gate, so one of each).
 * That costs what it costs Keras: one matmul per gate where there was one for all, and small
 * per-gate matmuls run well below the rate of the one wide one (measured in commit 055ba1c's
 * message). Tried and slower: a batched matmul over the gates, per-gate
 * matmuls on 2-D reshaped inputs, and concatenating the per-gate products (in the loop body that
 * fused into one slow kernel; before the loop it cost a copy of every projection): so the
 * per-gate projections enter the loop as separate sequences (projectGates) and the steps add
 * each gate's recurrent product to its own input (gateProducts).
 */
import * as B from '../../../ir/build.js';
import type { Node } from '../../../ir/node.js';
import type { Shape } from '../../../ir/types.js';
import * as ops from '../../ops.js';
import { dropMask } from './states.js';

/**
 * Masks of one sequence: undefined when nothing is dropped, else one mask shared by every gate or
 * one per gate (in the kernels' gate order).
 */
export type GateMasks = readonly Node[] | undefined;

/** Keras's dropout_mask_count: one mask per gate once recurrent dropout is on, else one for all. */
export function maskCount(gates: number, recurrentDropout: number): number {
  return recurrentDropout > 0 ? gates : 1;
}

/** `count` independent inverted-dropout masks of `shape` (undefined when the rate is 0), from `seed` or the session's stream. */
export function drawMasks(count: number, shape: Shape, rate: number, seed?: Node): GateMasks {
  if (rate === 0) return undefined;
  return Array.from({ length: count }, () => dropMask(shape, rate, seed));
}

/** A step's (batch, features) product as the IR's matmul; a whole sequence's as ops.matmul (a stack). */
function mm(x: Node, kernel: Node): Node {
  return x.shape.length === 2 ? B.matmul(x, kernel) : ops.matmul(x, kernel);
}

/** Columns [from, to) of a kernel (rows, gates·units). */
function kernelColumns(kernel: Node, from: number, to: number): Node {
  return B.slice(kernel, [0, from], [kernel.shape[0] ?? 0, to]);
}

/**
 * `x` (batch, features) or (steps, batch, features) times the columns of gates [first, first +
 * count) of `kernel` (features, gates·units) through one shared mask (or none): one matmul.
 * Per-gate masks take projectGates (inputs) and gateProducts (state), which keep gates apart.
 */
export function gateMatmul(x: Node, kernel: Node, units: number, first: number, count: number, masks: GateMasks): Node {
  const from = first * units, to = (first + count) * units;
  if (masks === undefined || masks.length === 1) {
    const read = masks === undefined ? x : B.multiply(x, masks[0]);
    return mm(read, kernelColumns(kernel, from, to));
  }
  throw new Error('gateMatmul: per-gate masks go through projectGates or gateProducts');
}

/**
 * The input projection of every step, `x` (…, features) times the kernel plus the input bias: one
 * matmul, as a one-element list, when every gate reads the same (or no) mask; else one (…, units)
 * projection per gate, each of `x` times its gate's mask, kept apart (the loop takes them as
 * separate sequences, so nothing concatenates them).
 */
export function projectGates(x: Node, kernel: Node, units: number, gates: number, masks: GateMasks, bias: Node | undefined): Node[] {
  if (!perGate(masks)) {
    const projected = gateMatmul(x, kernel, units, 0, gates, masks);
    return [bias === undefined ? projected : B.add(projected, bias)];
  }
  return Array.from({ length: gates }, (_, g) => {
    const p = mm(B.multiply(x, masks[g]), kernelColumns(kernel, g * units, (g + 1) * units));
    return bias === undefined ? p : B.add(p, B.slice(bias, [g * units], [(g + 1) * units]));
  });
}

/** Gate `gate`'s input projection of one step: its own, or its columns of the shared one. */
export function gateInput(projected: readonly Node[], gate: number, units: number): Node {
  if (projected.length > 1) return projected[gate];
  const p = projected[0];
  return B.slice(p, [0, gate * units], [p.shape[0] ?? 0, (gate + 1) * units]);
}

/** Whether each gate reads its own mask (else one product serves all gates, as without dropout). */
export function perGate(masks: GateMasks): masks is readonly Node[] {
  return masks !== undefined && masks.length > 1;
}

/**
 * With per-gate masks, the recurrent products of gates [first, first + count), one (batch, units)
 * matmul each: the step adds them to its gates' columns one by one rather than concatenating them
 * (a concatenation in the loop body fuses into a slow kernel).
 */
export function gateProducts(h: Node, recurrent: Node, units: number, first: number, count: number, masks: readonly Node[]): Node[] {
  return Array.from({ length: count }, (_, k) => {
    const g = first + k;
    return B.matmul(B.multiply(h, masks[g]), kernelColumns(recurrent, g * units, (g + 1) * units));
  });
}

/** The state as gate `gate`'s recurrent matmul reads it: times its mask (or the shared one). */
export function dropState(h: Node, masks: GateMasks, gate: number): Node {
  if (masks === undefined) return h;
  return B.multiply(h, masks[masks.length === 1 ? 0 : gate]);
}
