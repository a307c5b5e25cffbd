/**
 * Keras masks (Keras 3 `backend.get_keras_mask` / `set_keras_mask`): a boolean tensor of shape
 * (batch, steps) riding with a symbolic tensor, true where a step is real data. Masks are kept
 * beside the nodes, not in them, so a mask is just more graph: the training step that reads it is
 * still one compiled program, and a new batch of masks is new data, not a new program.
 */
import type { SymbolicTensor } from '../ops.js';

const masks = new WeakMap<SymbolicTensor, SymbolicTensor>();

/** The mask riding with `x`, if any. */
export function getKerasMask(x: SymbolicTensor): SymbolicTensor | undefined {
  return masks.get(x);
}

/** Attaches `mask` to `x` (Keras's set_keras_mask). */
export function setKerasMask(x: SymbolicTensor, mask: SymbolicTensor): void {
  masks.set(x, mask);
}

/** What a layer's call receives as `mask`: one entry per input (undefined where that input has none). */
export type CallMask = SymbolicTensor | readonly (SymbolicTensor | undefined)[] | undefined;

/** The first input's mask, where a layer takes one tensor (Keras masks a layer's first argument). */
export function firstMask(mask: CallMask): SymbolicTensor | undefined {
  return Array.isArray(mask) ? mask[0] : (mask as SymbolicTensor | undefined);
}
