/**
 * Masking (Keras 3 `layers/core/masking.py`): a step whose features all equal `maskValue` is
 * masked for every layer downstream, and its features are set to 0.
 */
import * as ops from '../ops.js';
import type { SymbolicTensor } from '../ops.js';
import { checkLayerOptions } from './layer-options.js';
import { Layer, type LayerArgs } from './layer.js';

export interface MaskingArgs extends LayerArgs {
  /** The value marking padding (Keras's mask_value, default 0). */
  readonly maskValue?: number;
}

/** True where any feature of a step differs from the mask value: shape (batch, steps). */
function stepMask(x: SymbolicTensor, maskValue: number): SymbolicTensor {
  return ops.greater(ops.max(ops.cast(ops.notEqual(x, maskValue), 'float32'), { axis: -1 }), 0);
}

export class Masking extends Layer {
  readonly maskValue: number;
  constructor(args: MaskingArgs = {}) {
    super(args);
    checkLayerOptions<MaskingArgs>('Masking', args, { maskValue: true });
    const maskValue = args.maskValue ?? 0;
    // Keras fails later, inside call, on a non-numeric mask value; say so where it is given.
    if (typeof maskValue !== 'number') {
      throw new TypeError(`Layer "${this.name}" (Masking): mask_value must be a number, got ${typeof maskValue} ${JSON.stringify(maskValue)}`);
    }
    this.maskValue = maskValue;
    this.supportsMasking = true;
  }
  override computeMask(x: SymbolicTensor): SymbolicTensor {
    return stepMask(x, this.maskValue);
  }
  override call(x: SymbolicTensor): SymbolicTensor {
    return ops.where(ops.expandDims(stepMask(x, this.maskValue), -1), x, 0);
  }
}
