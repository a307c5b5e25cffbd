/**
 * Regularisation layers active only in training: SpatialDropout1D/2D (whole feature maps
 * dropped), GaussianNoise, GaussianDropout, AlphaDropout. Inference is the identity. Randomness
 * comes from the trace's seed node, or the layer's own `seed`, a fresh draw every step.
 */
import { formatShape, type Shape } from '../../ir/types.js';
import * as ops from '../ops.js';
import type { SymbolicTensor } from '../ops.js';
import { requireChannelsLast } from './conv-utils.js';
import { Dropout, type DropoutArgs } from './dropout.js';
import { Layer, type CallArgs, type LayerArgs } from './layer.js';
import { seedGeneratorOf, type SeedGenerator } from './seed-generator.js';

/** Keras's check for GaussianNoise's stddev and the Gaussian/Alpha dropout rates. */
function unitInterval(what: string, value: number): number {
  if (!(typeof value === 'number' && value >= 0 && value <= 1)) {
    throw new Error(`Invalid value received for argument \`${what}\`. Expected a float value between 0 and 1. Received: ${what}=${value}`);
  }
  return value;
}

/** Dropout with one decision per (sample, channel), shared along the spatial axes. */
abstract class SpatialDropout extends Dropout {
  protected abstract readonly rank: number;
  override call(x: SymbolicTensor, args: CallArgs): SymbolicTensor {
    if (x.shape.length !== this.rank) {
      throw new Error(`Layer "${this.name}" (${this.className}) expects inputs of rank ${this.rank} (batch, ${this.rank === 3 ? 'steps' : 'height, width'}, channels); got ${formatShape(x.shape)}`);
    }
    return super.call(x, args);
  }
  protected override maskShape(shape: Shape): Shape {
    return shape.map((d, i) => (i === 0 || i === shape.length - 1 ? d : 1));
  }
}

export class SpatialDropout1D extends SpatialDropout {
  protected readonly rank = 3;
  constructor(rate: number, args: Omit<DropoutArgs, 'noiseShape'> = {}) {
    super(rate, args);
    this.inputSpec = { ndim: 3 };
  }
}

export class SpatialDropout2D extends SpatialDropout {
  protected readonly rank = 4;
  constructor(rate: number, args: Omit<DropoutArgs, 'noiseShape'> & { readonly dataFormat?: 'channels_last' } = {}) {
    const { dataFormat, ...rest } = args;
    super(rate, rest);
    requireChannelsLast(this, dataFormat);
    this.inputSpec = { ndim: 4 };
  }
}

export interface NoiseArgs extends LayerArgs {
  /** The layer's own random seed, as Dropout's. */
  readonly seed?: number | null;
}

/** Adds zero-centred normal noise of standard deviation `stddev`. */
export class GaussianNoise extends Layer {
  readonly stddev: number;
  private readonly seedGenerator: SeedGenerator | undefined;
  constructor(stddev: number, args: NoiseArgs = {}) {
    super(args);
    this.stddev = unitInterval('stddev', stddev);
    this.seedGenerator = seedGeneratorOf(this, args.seed);
  }
  override call(x: SymbolicTensor, { training }: CallArgs): SymbolicTensor {
    if (!training || this.stddev === 0) return x;
    return ops.add(x, ops.randomNormal(x.shape, 0, this.stddev, this.seedGenerator?.next()));
  }
}

/** Multiplies by normal noise of mean 1 and standard deviation sqrt(rate / (1 - rate)). */
export class GaussianDropout extends Layer {
  readonly rate: number;
  private readonly seedGenerator: SeedGenerator | undefined;
  constructor(rate: number, args: NoiseArgs = {}) {
    super(args);
    this.rate = unitInterval('rate', rate);
    this.seedGenerator = seedGeneratorOf(this, args.seed);
  }
  override call(x: SymbolicTensor, { training }: CallArgs): SymbolicTensor {
    if (!training || this.rate === 0) return x;
    return ops.multiply(x, ops.randomNormal(x.shape, 1, Math.sqrt(this.rate / (1 - this.rate)), this.seedGenerator?.next()));
  }
}

/** SELU's saturation value -alpha * scale, which AlphaDropout drops units to. */
const SELU_ALPHA_PRIME = -1.6732632423543772848170429916717 * 1.0507009873554804934193349852946;

/**
 * Dropout for self-normalising (SELU) networks: dropped units are set to SELU's negative
 * saturation and the result is affinely corrected so mean and variance are kept.
 */
export class AlphaDropout extends Layer {
  readonly rate: number;
  readonly noiseShape: readonly (number | null)[] | undefined;
  private readonly seedGenerator: SeedGenerator | undefined;
  constructor(rate: number, args: DropoutArgs = {}) {
    super(args);
    this.rate = unitInterval('rate', rate);
    this.noiseShape = args.noiseShape;
    this.seedGenerator = seedGeneratorOf(this, args.seed);
  }
  override call(x: SymbolicTensor, { training }: CallArgs): SymbolicTensor {
    if (!training || this.rate === 0) return x;
    const rate = this.rate;
    const maskShape = this.noiseShape?.map((d, i) => d ?? x.shape[i]) ?? x.shape;
    const kept = ops.cast(ops.greaterEqual(ops.randomUniform(maskShape, 0, 1, this.seedGenerator?.next()), rate), 'float32');
    const a = ((1 - rate) * (1 + rate * SELU_ALPHA_PRIME ** 2)) ** -0.5;
    const b = -a * SELU_ALPHA_PRIME * rate;
    const dropped = ops.add(ops.multiply(x, kept), ops.multiply(ops.subtract(1, kept), SELU_ALPHA_PRIME));
    return ops.add(ops.multiply(dropped, a), b);
  }
}
