/** RepeatVector: (batch, features) to (batch, n, features), the same vector at every step. */
import * as ops from '../ops.js';
import type { SymbolicTensor } from '../ops.js';
import { checkLayerOptions } from './layer-options.js';
import { Layer, type LayerArgs } from './layer.js';
import { positiveCount } from './sequence-reshaping.js';

export class RepeatVector extends Layer {
  readonly n: number;
  constructor(n: number, args: LayerArgs = {}) {
    super(args);
    checkLayerOptions<LayerArgs>('RepeatVector', args, {});
    this.n = positiveCount('n', n);
    this.inputSpec = { ndim: 2 };
  }
  override call(x: SymbolicTensor): SymbolicTensor {
    const [b, features] = x.shape;
    return ops.broadcastTo(ops.reshape(x, [b, 1, features]), [b, this.n, features]);
  }
}
