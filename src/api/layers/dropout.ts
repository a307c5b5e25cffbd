import type { Shape } from '../../ir/types.js';
import * as ops from '../ops.js';
import type { SymbolicTensor } from '../ops.js';
import { Layer, type CallArgs, type LayerArgs } from './layer.js';
import { seedGeneratorOf, type SeedGenerator } from './seed-generator.js';

export interface DropoutArgs extends LayerArgs {
  /** Shape of the mask, broadcast over the input (1 where the same decision is shared); null entries follow the input. */
  readonly noiseShape?: readonly (number | null)[];
  /**
   * The layer's own random seed (Keras's SeedGenerator): its masks then repeat whatever the
   * session's seed. Without it, they come from the session's stream (`new Session({ seed })`).
   */
  readonly seed?: number | null;
}

/**
 * In training, zeroes each input with probability `rate` and scales the rest by 1 / (1 - rate)
 * (inverted dropout), so inference is the identity. The mask is drawn from the trace's seed
 * node, or the layer's own `seed`: a fresh mask every step.
 */
export class Dropout extends Layer {
  readonly rate: number;
  readonly noiseShape: readonly (number | null)[] | undefined;
  protected readonly seedGenerator: SeedGenerator | undefined;

  constructor(rate: number, args: DropoutArgs = {}) {
    super(args);
    // Keras passes the input's mask through this layer unchanged.
    this.supportsMasking = true;
    if (!(typeof rate === 'number' && rate >= 0 && rate < 1)) {
      throw new Error(`Layer "${this.name}" (${this.className}): invalid value received for argument \`rate\`. Expected a float value between 0 and 1 (1 excluded). Received: rate=${rate}`);
    }
    this.rate = rate;
    this.noiseShape = args.noiseShape;
    this.seedGenerator = seedGeneratorOf(this, args.seed);
  }

  override call(x: SymbolicTensor, { training }: CallArgs): SymbolicTensor {
    if (!training || this.rate === 0) return x;
    const maskShape = this.maskShape(x.shape);
    const keep = ops.greaterEqual(ops.randomUniform(maskShape, 0, 1, this.seedGenerator?.next()), this.rate);
    return ops.where(keep, ops.divide(x, 1 - this.rate), 0);
  }

  /** The shape of the keep/drop decisions, broadcast over the input. */
  protected maskShape(shape: Shape): Shape {
    return this.noiseShape?.map((d, i) => d ?? shape[i]) ?? shape;
  }
}
