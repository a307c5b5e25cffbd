/**
 * Keras weight initializers. They run on the host once, when a layer is built, and draw from a
 * seed the session hands out (`session.nextInitSeed()`), so `new Session({ seed })` repeats runs.
 */
import { Registry, snakeCaseSpelling } from './registry.js';
import { checkConfigKeys, type Json, type JsonObject } from './saving/config/json.js';

/** Something that fills a weight of `shape` from a 32-bit seed. */
export interface Initializer {
  readonly className: string;
  generate(shape: readonly number[], seed: number): Float32Array;
  /** Keras 3's get_config() (what serialize_keras_object writes under "config"); every built-in has it. */
  getConfig?(): Record<string, Json>;
}

/** Keras's fan-axis keys, which keras-jit leaves unset (the fans come from the weight's shape). */
const FAN_AXES = { input_axes: null, output_axes: null } as const;

/**
 * An initializer whose seed the config fixes (Keras's `seed=`): it draws the same values every
 * time; without one the session's seed is used.
 */
export class SeededInitializer implements Initializer {
  get className(): string { return this.inner.className; }
  constructor(readonly inner: Initializer, readonly seed: number) {}
  generate(shape: readonly number[]): Float32Array {
    return this.inner.generate(shape, this.seed);
  }
  getConfig(): Record<string, Json> {
    const inner = this.inner.getConfig?.();
    if (inner === undefined) throw new Error(`Cannot get the config of initializer ${this.inner.className}: it has no getConfig()`);
    return { ...inner, seed: this.seed };
  }
}

/** A number from a config, or the default when the key is absent or null. */
function num(c: JsonObject, k: string, d: number): number {
  const v = c[k];
  if (v === undefined || v === null) return d;
  if (typeof v !== 'number') throw new Error(`initializer: expected \`${k}\` to be a number, got ${JSON.stringify(v)}`);
  return v;
}

/**
 * Keras 3's from_config() for the built-in initializers: the keys of the class's own config,
 * fan axes unset, and a numeric `seed` honoured (the result then is a SeededInitializer).
 */
function initializerFromConfig(make: (c: JsonObject) => Initializer, config: JsonObject): Initializer {
  const init = make(config);
  const className = init.className;
  checkConfigKeys(`initializer ${className}`, config, Object.keys(init.getConfig?.() ?? {}));
  for (const axes of Object.keys(FAN_AXES)) {
    if (config[axes] !== undefined && config[axes] !== null) throw new Error(`initializer ${className}: \`${axes}\` is not supported by keras-jit (got ${JSON.stringify(config[axes])}); expected null`);
  }
  if (config.seed !== undefined && config.seed !== null && typeof config.seed !== 'number') throw new Error(`initializer ${className}: expected \`seed\` to be an integer or null, got ${JSON.stringify(config.seed)}`);
  return typeof config.seed === 'number' ? new SeededInitializer(init, config.seed) : init;
}
export type InitializerIdentifier = string | Initializer;

/**
 * `n` values of `next()` in order, as float32. A plain loop: Float32Array.from over an array-like
 * with a mapping function goes through the iterator protocol and was a visible share of the
 * first training step (a model's weights are initialised just before it).
 */
function fillWith(n: number, next: () => number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = next();
  return out;
}

/** A small, fast 32-bit generator (mulberry32): deterministic per seed, uniform in [0, 1). */
export function seededRandom(seed: number): () => number {
  let s = seed | 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function standardNormal(rand: () => number): () => number {
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) { const s = spare; spare = undefined; return s; }
    // Box-Muller; 1 - u keeps the log argument in (0, 1].
    const r = Math.sqrt(-2 * Math.log(1 - rand()));
    const theta = 2 * Math.PI * rand();
    spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  };
}

const size = (shape: readonly number[]) => shape.reduce((p, d) => p * d, 1);

/** Keras's compute_fans: dense kernels (in, out); conv kernels (..., in, out) times the receptive field. */
export function computeFans(shape: readonly number[]): [number, number] {
  if (shape.length === 0) return [1, 1];
  if (shape.length === 1) return [shape[0], shape[0]];
  if (shape.length === 2) return [shape[0], shape[1]];
  const receptive = size(shape.slice(0, -2));
  return [shape.at(-2)! * receptive, shape.at(-1)! * receptive];
}

export class Constant implements Initializer {
  readonly className: string = 'Constant';
  constructor(readonly value = 0) {}
  generate(shape: readonly number[]): Float32Array {
    return new Float32Array(size(shape)).fill(this.value);
  }
  getConfig(): Record<string, Json> { return { value: this.value }; }
  static fromConfig(config: JsonObject): Initializer { return initializerFromConfig((c) => new Constant(num(c, 'value', 0)), config); }
}
export class Zeros extends Constant {
  override readonly className = 'Zeros';
  constructor() { super(0); }
  override getConfig(): Record<string, Json> { return {}; }
  static override fromConfig(config: JsonObject): Initializer { return initializerFromConfig(() => new Zeros(), config); }
}
export class Ones extends Constant {
  override readonly className = 'Ones';
  constructor() { super(1); }
  override getConfig(): Record<string, Json> { return {}; }
  static override fromConfig(config: JsonObject): Initializer { return initializerFromConfig(() => new Ones(), config); }
}

export class RandomUniform implements Initializer {
  readonly className: string = 'RandomUniform';
  readonly minval: number;
  readonly maxval: number;
  constructor({ minval = -0.05, maxval = 0.05 }: { minval?: number; maxval?: number } = {}) {
    this.minval = minval;
    this.maxval = maxval;
  }
  generate(shape: readonly number[], seed: number): Float32Array {
    const rand = seededRandom(seed);
    return fillWith(size(shape), () => this.minval + (this.maxval - this.minval) * rand());
  }
  getConfig(): Record<string, Json> { return { minval: this.minval, maxval: this.maxval, seed: null }; }
  static fromConfig(config: JsonObject): Initializer {
    return initializerFromConfig((c) => new RandomUniform({ minval: num(c, 'minval', -0.05), maxval: num(c, 'maxval', 0.05) }), config);
  }
}

export class RandomNormal implements Initializer {
  readonly className: string = 'RandomNormal';
  readonly mean: number;
  readonly stddev: number;
  constructor({ mean = 0, stddev = 0.05 }: { mean?: number; stddev?: number } = {}) {
    this.mean = mean;
    this.stddev = stddev;
  }
  generate(shape: readonly number[], seed: number): Float32Array {
    const normal = standardNormal(seededRandom(seed));
    return fillWith(size(shape), () => this.mean + this.stddev * normal());
  }
  getConfig(): Record<string, Json> { return { mean: this.mean, stddev: this.stddev, seed: null }; }
  static fromConfig(config: JsonObject): Initializer {
    const Cls = this as unknown as new (o: { mean: number; stddev: number }) => RandomNormal;
    return initializerFromConfig((c) => new Cls({ mean: num(c, 'mean', 0), stddev: num(c, 'stddev', 0.05) }), config);
  }
}

/** Normal values redrawn until within two standard deviations of the mean. */
export class TruncatedNormal extends RandomNormal {
  override readonly className: string = 'TruncatedNormal';
  override generate(shape: readonly number[], seed: number): Float32Array {
    const normal = standardNormal(seededRandom(seed));
    return fillWith(size(shape), () => {
      let z = normal();
      while (Math.abs(z) > 2) z = normal();
      return this.mean + this.stddev * z;
    });
  }
}

type FanMode = 'fan_in' | 'fan_out' | 'fan_avg';
type Distribution = 'truncated_normal' | 'untruncated_normal' | 'uniform';

/** Keras's VarianceScaling: the spread is scale / fan, for the fan the mode names. */
export class VarianceScaling implements Initializer {
  readonly className: string = 'VarianceScaling';
  readonly scale: number;
  readonly mode: FanMode;
  readonly distribution: Distribution;
  constructor({ scale = 1, mode = 'fan_in', distribution = 'truncated_normal' }: { scale?: number; mode?: FanMode; distribution?: Distribution } = {}) {
    this.scale = scale;
    this.mode = mode;
    this.distribution = distribution;
  }
  generate(shape: readonly number[], seed: number): Float32Array {
    const [fanIn, fanOut] = computeFans(shape);
    const n = this.mode === 'fan_in' ? fanIn : this.mode === 'fan_out' ? fanOut : (fanIn + fanOut) / 2;
    const s = this.scale / Math.max(1, n);
    if (this.distribution === 'uniform') {
      const limit = Math.sqrt(3 * s);
      return new RandomUniform({ minval: -limit, maxval: limit }).generate(shape, seed);
    }
    if (this.distribution === 'untruncated_normal') return new RandomNormal({ stddev: Math.sqrt(s) }).generate(shape, seed);
    // The constant is the stddev of a standard normal truncated to [-2, 2], so the result has variance s.
    return new TruncatedNormal({ stddev: Math.sqrt(s) / 0.8796256610342398 }).generate(shape, seed);
  }
  getConfig(): Record<string, Json> {
    // The named variants (GlorotUniform, ...) fix scale, mode and distribution, and write only the seed and fan axes.
    if (this.className !== 'VarianceScaling') return { seed: null, ...FAN_AXES };
    return { scale: this.scale, mode: this.mode, distribution: this.distribution, seed: null, ...FAN_AXES };
  }
  static fromConfig(config: JsonObject): Initializer {
    const Cls = this as unknown as new (o?: { scale: number; mode: FanMode; distribution: Distribution }) => VarianceScaling;
    if (new Cls().className !== 'VarianceScaling') return initializerFromConfig(() => new Cls(), config);
    return initializerFromConfig((c) => new Cls({
      scale: num(c, 'scale', 1), mode: (c.mode ?? 'fan_in') as FanMode, distribution: (c.distribution ?? 'truncated_normal') as Distribution,
    }), config);
  }
}

const scaling = (className: string, scale: number, mode: FanMode, distribution: Distribution) =>
  class extends VarianceScaling {
    override readonly className = className;
    constructor() { super({ scale, mode, distribution }); }
  };
export const GlorotUniform = scaling('GlorotUniform', 1, 'fan_avg', 'uniform');
export const GlorotNormal = scaling('GlorotNormal', 1, 'fan_avg', 'truncated_normal');
export const HeUniform = scaling('HeUniform', 2, 'fan_in', 'uniform');
export const HeNormal = scaling('HeNormal', 2, 'fan_in', 'truncated_normal');
export const LecunUniform = scaling('LecunUniform', 1, 'fan_in', 'uniform');
export const LecunNormal = scaling('LecunNormal', 1, 'fan_in', 'truncated_normal');

/** A (semi-)orthogonal matrix: Gram-Schmidt on a normal matrix, flattened to (rows, last axis). */
export class Orthogonal implements Initializer {
  readonly className = 'Orthogonal';
  constructor(readonly gain = 1) {}
  generate(shape: readonly number[], seed: number): Float32Array {
    const cols = shape.at(-1) ?? 1;
    const rows = size(shape) / cols;
    const [n, m] = rows < cols ? [cols, rows] : [rows, cols]; // orthonormalise m columns of length n
    const normal = standardNormal(seededRandom(seed));
    const q = Array.from({ length: m }, () => Float64Array.from({ length: n }, normal));
    for (let j = 0; j < m; j++) {
      for (let k = 0; k < j; k++) {
        let d = 0;
        for (let i = 0; i < n; i++) d += q[j][i] * q[k][i];
        for (let i = 0; i < n; i++) q[j][i] -= d * q[k][i];
      }
      const norm = Math.hypot(...q[j]) || 1;
      for (let i = 0; i < n; i++) q[j][i] /= norm;
    }
    const out = new Float32Array(rows * cols);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) {
      out[r * cols + c] = this.gain * (rows < cols ? q[r][c] : q[c][r]);
    }
    return out;
  }
  getConfig(): Record<string, Json> { return { gain: this.gain, seed: null }; }
  static fromConfig(config: JsonObject): Initializer { return initializerFromConfig((c) => new Orthogonal(num(c, 'gain', 1)), config); }
}

/** The initializer classes by Keras class name. */
export const INITIALIZER_CLASSES: Readonly<Record<string, { fromConfig(config: JsonObject): Initializer }>> = {
  Zeros, Ones, Constant, RandomUniform, RandomNormal, TruncatedNormal, VarianceScaling, GlorotUniform, GlorotNormal,
  HeUniform, HeNormal, LecunUniform, LecunNormal, Orthogonal,
};

/** Keras's snake_case names, each making a fresh initializer; camelCase spellings find them too. */
export const registry = new Registry<() => Initializer>('initializer', {
  spelling: snakeCaseSpelling,
  unknown: (identifier, r) =>
    `Could not interpret initializer identifier: '${identifier}'. Valid names are: ${r.names().join(', ')} (or their camelCase forms)`,
});
for (const [name, make] of Object.entries<() => Initializer>({
  zeros: () => new Zeros(), ones: () => new Ones(),
  glorot_uniform: () => new GlorotUniform(), glorot_normal: () => new GlorotNormal(),
  he_uniform: () => new HeUniform(), he_normal: () => new HeNormal(),
  lecun_uniform: () => new LecunUniform(), lecun_normal: () => new LecunNormal(),
  random_uniform: () => new RandomUniform(), uniform: () => new RandomUniform(),
  random_normal: () => new RandomNormal(), normal: () => new RandomNormal(),
  truncated_normal: () => new TruncatedNormal(), orthogonal: () => new Orthogonal(),
  variance_scaling: () => new VarianceScaling(),
})) registry.register(name, make);

/** Resolves 'glorot_uniform', 'glorotUniform', 'GlorotUniform' or an Initializer object. */
export function get(identifier: InitializerIdentifier): Initializer {
  if (typeof identifier !== 'string') return identifier;
  return registry.get(identifier)();
}
