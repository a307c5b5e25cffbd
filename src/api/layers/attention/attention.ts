/**
 * Keras's Attention (Luong-style dot-product, or 'concat' scores) and AdditiveAttention
 * (Bahdanau-style): called on [query, value] or [query, value, key], with
 * `{ mask: [queryMask, valueMask], useCausalMask, returnAttentionScores, training }`.
 * Scores (batch, Tq, Tv) are softmaxed over the keys; masked keys get the score minus 1e9, as Keras.
 */
import { formatShape, type Shape } from '../../../ir/types.js';
import * as ops from '../../ops.js';
import type { SymbolicTensor } from '../../ops.js';
import { checkOptions, optionKeys } from '../../strict-options.js';
import type { KerasTensor } from '../keras-tensor.js';
import type { CallMask } from '../masks.js';
import { Layer, type CallArgs, type CallKwargs, type CallOptions, type LayerArgs, type SplitCall } from '../layer.js';
import type { Variable } from '../variable.js';
import { seedGeneratorOf, type SeedGenerator } from '../seed-generator.js';
import { LAYER_ARG_KEYS } from './layer-arg-keys.js';

export interface AttentionArgs extends LayerArgs {
  /** Learn a scalar that multiplies the scores. */
  readonly useScale?: boolean;
  /** 'dot' (query · key) or 'concat' (sum of tanh(query + key)). */
  readonly scoreMode?: 'dot' | 'concat';
  /** Dropout rate on the attention weights (training only). */
  readonly dropout?: number;
  /** The dropout's own random seed (see Dropout's); without it, the session's stream. */
  readonly seed?: number | null;
}
export interface AdditiveAttentionArgs extends LayerArgs {
  /** Learn a vector (dim,) that weights the tanh terms; default true. */
  readonly useScale?: boolean;
  readonly dropout?: number;
  readonly seed?: number | null;
}

export interface AttentionCallOptions<T> extends CallOptions {
  /** [queryMask (batch, Tq), valueMask (batch, Tv)]: true or nonzero where a position is real; either may be undefined. */
  readonly mask?: readonly (T | undefined | null)[];
  readonly useCausalMask?: boolean;
  /** Return [output, weights], the weights being the softmax (batch, Tq, Tv) after dropout, as Keras. */
  readonly returnAttentionScores?: boolean;
}

const CALL_KEYS = optionKeys<AttentionCallOptions<unknown>>({ mask: true, useCausalMask: true, returnAttentionScores: true, training: true });
/** Keras subtracts this from masked scores before the softmax. */
const MASK_PENALTY = 1e9;

interface AttentionKwargs {
  readonly hasKey: boolean;
  readonly hasQueryMask: boolean;
  readonly hasValueMask: boolean;
  readonly useCausalMask: boolean;
  readonly returnAttentionScores: boolean;
}

export interface Attention {
  (inputs: readonly KerasTensor[], options?: AttentionCallOptions<KerasTensor> & { readonly returnAttentionScores?: false }): KerasTensor;
  (inputs: readonly KerasTensor[], options: AttentionCallOptions<KerasTensor> & { readonly returnAttentionScores: true }): [KerasTensor, KerasTensor];
  (inputs: readonly SymbolicTensor[], options?: AttentionCallOptions<SymbolicTensor> & { readonly returnAttentionScores?: false }): SymbolicTensor;
  (inputs: readonly SymbolicTensor[], options: AttentionCallOptions<SymbolicTensor> & { readonly returnAttentionScores: true }): [SymbolicTensor, SymbolicTensor];
  (inputs: KerasTensor | readonly KerasTensor[], options?: CallOptions): KerasTensor;
  (inputs: SymbolicTensor | readonly SymbolicTensor[], options?: CallOptions): SymbolicTensor;
}

function checkDropout(layer: Layer, dropout: unknown): number {
  const rate = dropout ?? 0;
  if (!(typeof rate === 'number' && rate >= 0 && rate < 1)) {
    throw new Error(`Layer "${layer.name}" (${layer.className}): invalid value received for argument \`dropout\`. Expected a float value between 0 and 1 (1 excluded). Received: dropout=${String(rate)}`);
  }
  return rate;
}

export class Attention extends Layer {
  readonly useScale: boolean;
  readonly scoreMode: 'dot' | 'concat';
  readonly dropout: number;
  private readonly seedGenerator: SeedGenerator | undefined;
  scale: Variable | undefined;
  concatScoreWeight: Variable | undefined;

  constructor(args: AttentionArgs = {}) {
    if (new.target === Attention) checkOptions(args, optionKeys<AttentionArgs>({ ...LAYER_ARG_KEYS, useScale: true, scoreMode: true, dropout: true, seed: true }), 'Attention');
    super(args);
    const mode = args.scoreMode ?? 'dot';
    if (mode !== 'dot' && mode !== 'concat') {
      throw new Error(`Invalid value for argument score_mode. Expected one of {'dot', 'concat'}. Received: score_mode=${String(mode)}`);
    }
    this.useScale = args.useScale ?? false;
    this.scoreMode = mode;
    this.dropout = checkDropout(this, args.dropout);
    this.seedGenerator = seedGeneratorOf(this, args.seed);
  }

  /** Keras's [query, value] or [query, value, key], masks from the options' `mask` list into the inputs. */
  protected override splitCallArguments(args: readonly unknown[]): SplitCall {
    const [inputs, options] = args;
    if (!Array.isArray(inputs)) {
      throw new Error(`${this.className} layer must be called on a list of inputs, namely [query, value] or [query, value, key]. Received: inputs=${String(inputs)}.`);
    }
    if (inputs.length < 2 || inputs.length > 3) {
      throw new Error(`${this.className} layer accepts inputs list of length 2 or 3, namely [query, value] or [query, value, key]. Received length: ${inputs.length}.`);
    }
    checkOptions(options, CALL_KEYS, `${this.className} "${this.name}" call`);
    const o = (options ?? {}) as AttentionCallOptions<unknown>;
    if (o.mask !== undefined && (!Array.isArray(o.mask) || o.mask.length < 2 || o.mask.length > 3)) {
      throw new Error(`${this.className} layer mask must be a list, namely [query_mask, value_mask]. Received: mask=${String(o.mask)}.`);
    }
    const [queryMask, valueMask] = (o.mask ?? []).map((m) => (m === null ? undefined : m));
    const [query, value, key] = inputs as unknown[];
    const kwargs: AttentionKwargs = {
      hasKey: key !== undefined, hasQueryMask: queryMask !== undefined, hasValueMask: valueMask !== undefined,
      useCausalMask: o.useCausalMask ?? false, returnAttentionScores: o.returnAttentionScores ?? false,
    };
    const tensors = [query, value, key ?? value, ...(queryMask === undefined ? [] : [queryMask]), ...(valueMask === undefined ? [] : [valueMask])];
    return { inputs: tensors as readonly KerasTensor[], options: o.training === undefined ? {} : { training: o.training }, kwargs: kwargs as unknown as CallKwargs };
  }

  override build(inputShape: Shape | readonly Shape[]): void {
    this.validate(inputShape as readonly Shape[]);
    if (this.useScale) this.scale = this.addWeight({ name: 'scale', shape: [], initializer: 'ones' });
    if (this.scoreMode === 'concat') this.concatScoreWeight = this.addWeight({ name: 'concat_score_weight', shape: [], initializer: 'ones' });
  }

  protected validate([query, value, key]: readonly Shape[]): void {
    if (query.length !== 3 || value.length !== query.length || key.length !== query.length) {
      throw new Error(`${this.className} expects query, value and key of rank 3 (batch, steps, features); received shapes ${formatShape(query)}, ${formatShape(value)}, ${formatShape(key)}`);
    }
    if (value.at(-2) !== null && key.at(-2) !== null && value.at(-2) !== key.at(-2)) {
      throw new Error(`${this.className}: value and key must have the same number of steps; received value shape ${formatShape(value)} and key shape ${formatShape(key)}`);
    }
    if (this.scoreMode === 'dot' || this.scoreMode === 'concat') {
      if (query.at(-1) !== null && key.at(-1) !== null && query.at(-1) !== key.at(-1)) {
        throw new Error(`${this.className}: query and key must have the same last dimension; received query shape ${formatShape(query)} and key shape ${formatShape(key)}`);
      }
    }
  }

  /** Scores (batch, Tq, Tv). */
  protected scores(query: SymbolicTensor, key: SymbolicTensor): SymbolicTensor {
    if (this.scoreMode === 'dot') {
      const s = ops.einsum('bqd,bvd->bqv', query, key);
      return this.scale === undefined ? s : ops.multiply(s, this.scale);
    }
    let sum = ops.add(ops.expandDims(query, -2), ops.expandDims(key, -3));
    if (this.scale !== undefined) sum = ops.multiply(this.scale, sum);
    return ops.multiply(this.concatScoreWeight!, ops.sum(ops.tanh(sum), -1));
  }

  override get callTakesMask(): boolean {
    return true;
  }

  /** Keras: the output carries the query's mask. */
  override computeMask(_inputs: readonly SymbolicTensor[], mask: CallMask): SymbolicTensor | undefined {
    return Array.isArray(mask) ? mask[0] : undefined;
  }

  override call(inputs: readonly SymbolicTensor[], { training, kwargs, mask }: CallArgs): SymbolicTensor | SymbolicTensor[] {
    const k = (kwargs ?? {}) as Partial<AttentionKwargs>;
    const [query, value, key] = inputs;
    let next = 3;
    // Keras fills `mask` from the inputs' Keras masks only when the call gives none.
    const explicit = k.hasQueryMask === true || k.hasValueMask === true;
    const kerasMasks = !explicit && Array.isArray(mask) ? (mask as readonly (SymbolicTensor | undefined)[]) : [];
    const queryMask = k.hasQueryMask ? inputs[next++] : kerasMasks[0];
    const valueMask = k.hasValueMask ? inputs[next++] : kerasMasks[1];
    let scores = this.scores(query, key);
    let keep = valueMask === undefined ? undefined : ops.expandDims(asBool(valueMask), -2);
    if (k.useCausalMask) {
      const [tq, tv] = scores.shape.slice(-2) as number[];
      const causal = ops.expandDims(ops.greaterEqual(ops.expandDims(ops.arange(tq), 1), ops.expandDims(ops.arange(tv), 0)), 0);
      keep = keep === undefined ? causal : ops.logicalAnd(keep, causal);
    }
    if (keep !== undefined) scores = ops.where(keep, scores, ops.subtract(scores, MASK_PENALTY));
    let weights = ops.softmax(scores, -1);
    if (training && this.dropout > 0) {
      const kept = ops.greaterEqual(ops.randomUniform(weights.shape, 0, 1, this.seedGenerator?.next()), this.dropout);
      weights = ops.where(kept, ops.divide(weights, 1 - this.dropout), 0);
    }
    let output = ops.einsum('bqv,bvd->bqd', weights, value);
    if (queryMask !== undefined) output = ops.where(ops.expandDims(asBool(queryMask), -1), output, 0);
    return k.returnAttentionScores ? [output, weights] : output;
  }
}

function asBool(mask: SymbolicTensor): SymbolicTensor {
  return mask.dtype === 'bool' ? mask : ops.notEqual(mask, 0);
}

export class AdditiveAttention extends Attention {
  constructor(args: AdditiveAttentionArgs = {}) {
    checkOptions(args, optionKeys<AdditiveAttentionArgs>({ ...LAYER_ARG_KEYS, useScale: true, dropout: true, seed: true }), 'AdditiveAttention', { scoreMode: 'AdditiveAttention always scores with tanh(query + key)' });
    super({ ...args, useScale: args.useScale ?? true });
  }

  override build(inputShape: Shape | readonly Shape[]): void {
    const shapes = inputShape as readonly Shape[];
    this.validate(shapes);
    const dim = shapes[0].at(-1);
    if (dim === null || dim === undefined) throw new Error(`AdditiveAttention: the last axis of the query must have a known size, got ${formatShape(shapes[0])}`);
    if (this.useScale) this.scale = this.addWeight({ name: 'scale', shape: [dim], initializer: 'glorot_uniform' });
  }

  protected override scores(query: SymbolicTensor, key: SymbolicTensor): SymbolicTensor {
    const t = ops.tanh(ops.add(ops.expandDims(query, -2), ops.expandDims(key, -3)));
    return ops.sum(this.scale === undefined ? t : ops.multiply(this.scale, t), -1);
  }
}
