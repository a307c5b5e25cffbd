/** Flatten and Reshape: change the shape of each sample, keeping the batch axis. */
import { formatShape, type Shape } from '../../ir/types.js';
import * as ops from '../ops.js';
import type { SymbolicTensor } from '../ops.js';
import { Layer, type LayerArgs } from './layer.js';

export class Flatten extends Layer {
  override call(x: SymbolicTensor): SymbolicTensor {
    if (x.shape.length < 2) return ops.expandDims(x, -1);
    return ops.reshape(x, [x.shape[0], -1]);
  }
}

export class Reshape extends Layer {
  readonly targetShape: readonly number[];
  constructor(targetShape: readonly number[], args: LayerArgs = {}) {
    super(args);
    if (targetShape.filter((d) => d === -1).length > 1 || !targetShape.every((d) => d === -1 || (Number.isInteger(d) && d >= 0))) {
      throw new Error(`Layer "${this.name}" (Reshape): invalid target_shape ${formatShape(targetShape)}: use non-negative integers and at most one -1`);
    }
    this.targetShape = [...targetShape];
  }

  override call(x: SymbolicTensor): SymbolicTensor {
    const sample = x.shape.slice(1);
    const known = (s: Shape) => s.reduce<number>((p, d) => p * (d ?? 1), 1);
    const inSize = known(sample);
    const outKnown = this.targetShape.reduce((p, d) => (d === -1 ? p : p * d), 1);
    const hole = this.targetShape.includes(-1);
    if (sample.every((d) => d !== null) && (hole ? outKnown === 0 || inSize % outKnown !== 0 : inSize !== outKnown)) {
      throw new Error(`The total size of the tensor must be unchanged. Received: input_shape=${formatShape(sample)}, target_shape=${formatShape(this.targetShape)}`);
    }
    return ops.reshape(x, [x.shape[0], ...this.targetShape]);
  }
}
