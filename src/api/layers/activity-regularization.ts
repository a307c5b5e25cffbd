/** ActivityRegularization: the identity, with an l1/l2 penalty of its input added to the training loss. */
import { L1L2 } from '../regularizers.js';
import type { SymbolicTensor } from '../ops.js';
import { checkLayerOptions } from './layer-options.js';
import { Layer, type LayerArgs } from './layer.js';

export interface ActivityRegularizationArgs extends Omit<LayerArgs, 'activityRegularizer'> {
  readonly l1?: number;
  readonly l2?: number;
}

/**
 * Keras makes this layer's activity regularizer L1L2(l1, l2), so the penalty is the one every
 * layer's activityRegularizer adds: over the batch size, in the compiled step's losses.
 */
export class ActivityRegularization extends Layer {
  readonly l1: number;
  readonly l2: number;
  constructor(args: ActivityRegularizationArgs = {}) {
    super(args);
    checkLayerOptions<ActivityRegularizationArgs & LayerArgs>('ActivityRegularization', args, { l1: true, l2: true });
    if ('activityRegularizer' in args) {
      throw new Error('ActivityRegularization: the activity regularizer is L1L2(l1, l2); pass `l1` and `l2` instead of `activityRegularizer`.');
    }
    const strength = (what: string, v: unknown) => {
      if (!(typeof v === 'number' && Number.isFinite(v) && v >= 0)) throw new Error(`ActivityRegularization: \`${what}\` must be a non-negative number. Received: ${what}=${String(v)}`);
      return v;
    };
    this.l1 = strength('l1', args.l1 ?? 0);
    this.l2 = strength('l2', args.l2 ?? 0);
    this.activityRegularizer = new L1L2({ l1: this.l1, l2: this.l2 });
  }
  override call(x: SymbolicTensor): SymbolicTensor {
    return x;
  }
}
