/**
 * Keras 3 weight and activity regularizers (keras/src/regularizers/regularizers.py): a penalty
 * of a tensor, added to the training loss inside the compiled step.
 */
import type { Node } from '../ir/node.js';
import * as B from '../ir/build.js';
import { checkKnownOptions } from './optimizers/known-options.js';
import * as ops from './ops.js';
import { lowerCaseSpelling, quotedList, Registry } from './registry.js';
import { checkConfigKeys, type Json, type JsonObject } from './saving/config/json.js';

export abstract class Regularizer {
  /** The scalar penalty of `x`. */
  abstract penalty(x: Node): Node;
  /** Keras 3's get_config(): what serialize_keras_object writes under "config". */
  abstract getConfig(): Record<string, Json>;
}

/** A number from a config, or the default when the key is absent. */
function num(owner: string, config: JsonObject, key: string, fallback: number): number {
  const v = config[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'number') throw new Error(`${owner}: expected \`${key}\` to be a number, got ${JSON.stringify(v)}`);
  return v;
}

const l1Penalty = (x: Node, l1: number) => ops.multiply(l1, ops.sum(ops.abs(x)));
const l2Penalty = (x: Node, l2: number) => ops.multiply(l2, ops.sum(ops.square(x)));

/** l1 * sum(|x|); Keras's default strength 0.01. */
export class L1 extends Regularizer {
  constructor(readonly l1 = 0.01) { super(); }
  penalty(x: Node): Node { return l1Penalty(x, this.l1); }
  // Keras keeps L1's strength as a float32, and writes it so (Keras 3.15).
  getConfig(): Record<string, Json> { return { l1: Math.fround(this.l1) }; }
  static fromConfig(config: JsonObject): L1 {
    checkConfigKeys('regularizer L1', config, ['l1']);
    return new L1(num('regularizer L1', config, 'l1', 0.01));
  }
}

/** l2 * sum(x^2); Keras's default strength 0.01. */
export class L2 extends Regularizer {
  constructor(readonly l2 = 0.01) { super(); }
  penalty(x: Node): Node { return l2Penalty(x, this.l2); }
  getConfig(): Record<string, Json> { return { l2: this.l2 }; }
  static fromConfig(config: JsonObject): L2 {
    checkConfigKeys('regularizer L2', config, ['l2']);
    return new L2(num('regularizer L2', config, 'l2', 0.01));
  }
}

/** l1 * sum(|x|) + l2 * sum(x^2); both 0 unless given, as Keras's L1L2. */
export class L1L2 extends Regularizer {
  readonly l1: number;
  readonly l2: number;
  constructor(options: { readonly l1?: number; readonly l2?: number } = {}) {
    super();
    checkKnownOptions('L1L2', options, ['l1', 'l2']);
    this.l1 = options.l1 ?? 0;
    this.l2 = options.l2 ?? 0;
  }
  penalty(x: Node): Node {
    let total: Node = ops.convertToTensor(0);
    if (this.l1 !== 0) total = ops.add(total, l1Penalty(x, this.l1));
    if (this.l2 !== 0) total = ops.add(total, l2Penalty(x, this.l2));
    return total;
  }
  getConfig(): Record<string, Json> { return { l1: this.l1, l2: this.l2 }; }
  static fromConfig(config: JsonObject): L1L2 {
    checkConfigKeys('regularizer L1L2', config, ['l1', 'l2']);
    return new L1L2({ l1: num('regularizer L1L2', config, 'l1', 0), l2: num('regularizer L1L2', config, 'l2', 0) });
  }
}

/**
 * Keras's OrthogonalRegularizer: factor * mean |cosine similarity| over distinct pairs of rows
 * (mode 'rows') or columns of a rank-2 weight.
 */
export class OrthogonalRegularizer extends Regularizer {
  readonly factor: number;
  readonly mode: 'rows' | 'columns';
  constructor(options: { readonly factor?: number; readonly mode?: 'rows' | 'columns' } = {}) {
    super();
    checkKnownOptions('OrthogonalRegularizer', options, ['factor', 'mode']);
    this.factor = options.factor ?? 0.01;
    this.mode = options.mode ?? 'rows';
    if (this.mode !== 'rows' && this.mode !== 'columns') throw new Error(`Invalid value for argument \`mode\`. Expected one of {'rows', 'columns'}. Received: mode=${String(this.mode)}`);
  }
  penalty(x: Node): Node {
    if (x.shape.length !== 2) throw new Error(`Inputs to OrthogonalRegularizer must have rank 2. Received: inputs.shape=(${x.shape.join(', ')})`);
    const axis = this.mode === 'rows' ? 1 : 0;
    // Keras's ops.normalize: x * rsqrt(max(sum(x^2), epsilon)).
    const unit = ops.multiply(x, ops.rsqrt(ops.maximum(ops.sum(ops.square(x), { axis, keepdims: true }), 1e-7)));
    const product = this.mode === 'rows' ? ops.matmul(unit, ops.transpose(unit)) : ops.matmul(ops.transpose(unit), unit);
    const size = x.shape[this.mode === 'rows' ? 0 : 1] as number;
    const offDiagonal = ops.cast(ops.notEqual(B.iota([size, size], 0), B.iota([size, size], 1)), 'float32');
    const pairs = (size * (size - 1)) / 2;
    return ops.divide(ops.multiply(this.factor * 0.5, ops.sum(ops.abs(ops.multiply(product, offDiagonal)))), pairs);
  }
  // Keras keeps the factor as a float32, and writes it so (Keras 3.15).
  getConfig(): Record<string, Json> { return { factor: Math.fround(this.factor), mode: this.mode }; }
  static fromConfig(config: JsonObject): OrthogonalRegularizer {
    checkConfigKeys('regularizer OrthogonalRegularizer', config, ['factor', 'mode']);
    return new OrthogonalRegularizer({ factor: num('regularizer OrthogonalRegularizer', config, 'factor', 0.01), mode: (config.mode ?? 'rows') as 'rows' });
  }
}

/** The regularizer classes by Keras class name. */
export const REGULARIZER_CLASSES = { L1, L2, L1L2, OrthogonalRegularizer } as const;

export const l1 = (strength?: number): L1 => new L1(strength);
export const l2 = (strength?: number): L2 => new L2(strength);
export const l1L2 = (options?: { readonly l1?: number; readonly l2?: number }): L1L2 => new L1L2(options);
export const orthogonal = (options?: { readonly factor?: number; readonly mode?: 'rows' | 'columns' }): OrthogonalRegularizer => new OrthogonalRegularizer(options);

/** Keras's names, each making a regularizer with Keras's defaults; case-insensitive. */
export const registry = new Registry<() => Regularizer>('regularizer', {
  spelling: lowerCaseSpelling,
  unknown: (identifier, r) => `Could not interpret regularizer identifier: '${identifier}'. Valid names: ${quotedList(r.names())}`,
})
  .register('l1', () => new L1())
  .register('l2', () => new L2())
  // Keras's own names are the class names and their to_snake_case ('L1L2' -> 'l1l2'); 'l1_l2' is ours.
  .register('l1l2', () => new L1L2())
  .register('l1_l2', () => new L1L2())
  .register('orthogonal_regularizer', () => new OrthogonalRegularizer())
  .register('orthogonalregularizer', () => new OrthogonalRegularizer());

export type RegularizerIdentifier = string | Regularizer;

export function getRegularizer(identifier: RegularizerIdentifier | undefined): Regularizer | undefined {
  if (identifier === undefined || identifier instanceof Regularizer) return identifier;
  if (typeof identifier === 'string') return registry.get(identifier)();
  throw new Error(`Could not interpret regularizer identifier: ${String(identifier)}`);
}
