/**
 * Keras's MultiHeadAttention: query, key and value projected per head by EinsumDense kernels
 * (D, H, K), scaled dot products softmaxed over the attention axes (masked where the attention
 * mask or the causal mask says no), dropout on the probabilities in training, the heads combined
 * and projected by an (H, V, O) kernel. Called as `mha(query, value)` or
 * `mha(query, value, { key, attentionMask, useCausalMask, returnAttentionScores, training })`.
 */
import { formatShape, ShapeError, type Shape } from '../../../ir/types.js';
import type { ConstraintIdentifier } from '../../constraints.js';
import type { InitializerIdentifier } from '../../initializers.js';
import * as ops from '../../ops.js';
import type { SymbolicTensor } from '../../ops.js';
import type { RegularizerIdentifier } from '../../regularizers.js';
import { checkOptions, optionKeys } from '../../strict-options.js';
import type { KerasTensor } from '../keras-tensor.js';
import { Layer, type CallArgs, type CallKwargs, type CallOptions, type LayerArgs, type SplitCall } from '../layer.js';
import { requirePositiveInt } from '../core.js';
import { attentionEquations, type AttentionEquations } from './attention-equations.js';
import { EinsumDense, projectionEquation } from './einsum-dense.js';
import { LAYER_ARG_KEYS } from './layer-arg-keys.js';
import type { CallMask } from '../masks.js';
import { seedGeneratorOf, type SeedGenerator } from '../seed-generator.js';

export interface MultiHeadAttentionArgs extends Omit<LayerArgs, 'activityRegularizer'> {
  readonly numHeads: number;
  /** Size of each head's query and key projections. */
  readonly keyDim: number;
  /** Size of each head's value projection; defaults to keyDim. */
  readonly valueDim?: number;
  /** Dropout rate on the attention probabilities (training only). */
  readonly dropout?: number;
  /** The dropout's own random seed (see Dropout's); without it, the session's stream. */
  readonly seed?: number | null;
  readonly useBias?: boolean;
  /** The output's trailing shape; defaults to the query's last axis. */
  readonly outputShape?: number | readonly number[];
  /** Axes of the query (counted without the heads) that attention runs over; defaults to all but the batch and the features. */
  readonly attentionAxes?: number | readonly number[];
  readonly kernelInitializer?: InitializerIdentifier;
  readonly biasInitializer?: InitializerIdentifier;
  readonly kernelRegularizer?: RegularizerIdentifier;
  readonly biasRegularizer?: RegularizerIdentifier;
  readonly kernelConstraint?: ConstraintIdentifier;
  readonly biasConstraint?: ConstraintIdentifier;
}

export interface MultiHeadAttentionCallOptions<T> extends CallOptions {
  /** Defaults to value. */
  readonly key?: T;
  /** (batch, query length, key length) (or broadcastable): true or nonzero where a query may attend to a key. */
  readonly attentionMask?: T;
  /** Mask out keys after each query position (a decoder's self-attention). */
  readonly useCausalMask?: boolean;
  /** Return [output, scores], the scores being the softmax probabilities (batch, heads, query, key). */
  readonly returnAttentionScores?: boolean;
}

const { activityRegularizer: _perProjection, ...BASE_KEYS } = LAYER_ARG_KEYS;
const ARG_KEYS = optionKeys<MultiHeadAttentionArgs>({
  ...BASE_KEYS, numHeads: true, keyDim: true, valueDim: true, dropout: true, useBias: true, outputShape: true,
  attentionAxes: true, kernelInitializer: true, biasInitializer: true, kernelRegularizer: true, biasRegularizer: true,
  kernelConstraint: true, biasConstraint: true, seed: true,
});
const ARG_UNSUPPORTED = {
  flashAttention: 'attention is compiled as einsums and a softmax; there is no flash-attention kernel',
  slidingWindow: 'pass the window as an attentionMask',
  useGate: 'gated attention is not implemented',
  activityRegularizer: 'Keras applies it to each projection\'s output, which keras-jit does not do yet',
};
const CALL_KEYS = optionKeys<MultiHeadAttentionCallOptions<unknown>>({ key: true, attentionMask: true, useCausalMask: true, returnAttentionScores: true, training: true });
const CALL_UNSUPPORTED = {
  queryMask: 'the query\'s Keras mask (from maskZero or Masking) is read from the query itself; pass other masks as an attentionMask',
  valueMask: 'the value\'s Keras mask (from maskZero or Masking) is read from the value itself; pass other masks as an attentionMask',
  keyMask: 'the key\'s Keras mask (from maskZero or Masking) is read from the key itself; pass other masks as an attentionMask',
};

/**
 * Keras's _compute_attention_mask: the query's Keras mask as (B, T, 1), the value's and the key's
 * as (B, 1, S), and-ed with each other and with the explicit (and causal) mask.
 */
function withKerasMasks(explicit: SymbolicTensor | undefined, masks: readonly (SymbolicTensor | undefined)[]): SymbolicTensor | undefined {
  const [queryMask, valueMask, keyMask] = masks;
  let auto: SymbolicTensor | undefined;
  const and = (m: SymbolicTensor) => (auto = auto === undefined ? m : ops.logicalAnd(auto, m));
  if (queryMask !== undefined) and(ops.expandDims(ops.cast(queryMask, 'bool'), -1));
  if (valueMask !== undefined) and(ops.expandDims(ops.cast(valueMask, 'bool'), -2));
  if (keyMask !== undefined) and(ops.expandDims(ops.cast(keyMask, 'bool'), -2));
  if (auto === undefined) return explicit;
  return explicit === undefined ? auto : ops.logicalAnd(explicit, auto);
}

/** Keras's Softmax fills masked scores with this before normalising. */
const MASKED_SCORE = -1e9;

interface AttentionKwargs {
  readonly hasMask: boolean;
  readonly useCausalMask: boolean;
  readonly returnAttentionScores: boolean;
}

export interface MultiHeadAttention {
  (query: KerasTensor, value: KerasTensor, options?: MultiHeadAttentionCallOptions<KerasTensor> & { readonly returnAttentionScores?: false }): KerasTensor;
  (query: KerasTensor, value: KerasTensor, options: MultiHeadAttentionCallOptions<KerasTensor> & { readonly returnAttentionScores: true }): [KerasTensor, KerasTensor];
  (query: SymbolicTensor, value: SymbolicTensor, options?: MultiHeadAttentionCallOptions<SymbolicTensor> & { readonly returnAttentionScores?: false }): SymbolicTensor;
  (query: SymbolicTensor, value: SymbolicTensor, options: MultiHeadAttentionCallOptions<SymbolicTensor> & { readonly returnAttentionScores: true }): [SymbolicTensor, SymbolicTensor];
  (inputs: KerasTensor | readonly KerasTensor[], options?: CallOptions): KerasTensor;
  (inputs: SymbolicTensor | readonly SymbolicTensor[], options?: CallOptions): SymbolicTensor;
}

export class MultiHeadAttention extends Layer {
  readonly numHeads: number;
  readonly keyDim: number;
  readonly valueDim: number;
  readonly dropout: number;
  private readonly seedGenerator: SeedGenerator | undefined;
  readonly useBias: boolean;
  readonly outputShape: readonly number[] | undefined;
  /** As given; resolved against the projected rank at build (`resolvedAttentionAxes`). */
  readonly attentionAxes: readonly number[] | undefined;
  private readonly sublayerArgs: Pick<MultiHeadAttentionArgs, 'kernelRegularizer' | 'biasRegularizer' | 'kernelConstraint' | 'biasConstraint'> & { kernelInitializer: InitializerIdentifier; biasInitializer: InitializerIdentifier };
  queryDense!: EinsumDense;
  keyDense!: EinsumDense;
  valueDense!: EinsumDense;
  outputDense!: EinsumDense;
  resolvedAttentionAxes!: readonly number[];
  private equations!: AttentionEquations;

  constructor(args: MultiHeadAttentionArgs) {
    checkOptions(args, ARG_KEYS, 'MultiHeadAttention', ARG_UNSUPPORTED);
    if (args === undefined) throw new TypeError('MultiHeadAttention: expected options with numHeads and keyDim, e.g. new MultiHeadAttention({ numHeads: 2, keyDim: 32 })');
    super(args);
    requirePositiveInt(this, 'num_heads', args.numHeads);
    requirePositiveInt(this, 'key_dim', args.keyDim);
    if (args.valueDim !== undefined) requirePositiveInt(this, 'value_dim', args.valueDim);
    const dropout = args.dropout ?? 0;
    if (!(typeof dropout === 'number' && dropout >= 0 && dropout < 1)) {
      throw new Error(`Layer "${this.name}" (MultiHeadAttention): invalid value received for argument \`dropout\`. Expected a float value between 0 and 1 (1 excluded). Received: dropout=${String(dropout)}`);
    }
    this.numHeads = args.numHeads;
    this.keyDim = args.keyDim;
    this.valueDim = args.valueDim ?? args.keyDim;
    this.dropout = dropout;
    this.seedGenerator = seedGeneratorOf(this, args.seed);
    this.useBias = args.useBias ?? true;
    const outputShape = args.outputShape === undefined ? undefined : typeof args.outputShape === 'number' ? [args.outputShape] : [...args.outputShape];
    outputShape?.forEach((d) => requirePositiveInt(this, 'output_shape', d));
    this.outputShape = outputShape;
    const axes = args.attentionAxes === undefined ? undefined : typeof args.attentionAxes === 'number' ? [args.attentionAxes] : [...args.attentionAxes];
    if (axes !== undefined && (axes.length === 0 || !axes.every(Number.isInteger))) {
      throw new Error(`Layer "${this.name}" (MultiHeadAttention): \`attention_axes\` must be a non-empty list of integers. Received: attention_axes=${JSON.stringify(args.attentionAxes)}`);
    }
    this.attentionAxes = axes;
    this.sublayerArgs = {
      kernelInitializer: args.kernelInitializer ?? 'glorot_uniform', biasInitializer: args.biasInitializer ?? 'zeros',
      kernelRegularizer: args.kernelRegularizer, biasRegularizer: args.biasRegularizer,
      kernelConstraint: args.kernelConstraint, biasConstraint: args.biasConstraint,
    };
  }

  /** (query, value, options): every tensor goes in the inputs as [query, value, key, mask?]. */
  protected override splitCallArguments(args: readonly unknown[]): SplitCall {
    const [query, value, options] = args;
    if (Array.isArray(query) || value === undefined || (typeof value === 'object' && value !== null && !('shape' in value))) {
      throw new TypeError(`Layer "${this.name}" (MultiHeadAttention) is called with a query and a value: mha(query, value) or mha(query, value, { key, attentionMask, useCausalMask, returnAttentionScores, training })`);
    }
    checkOptions(options, CALL_KEYS, `MultiHeadAttention "${this.name}" call`, CALL_UNSUPPORTED);
    const o = (options ?? {}) as MultiHeadAttentionCallOptions<unknown>;
    const tensors = [query, value, o.key ?? value, ...(o.attentionMask === undefined ? [] : [o.attentionMask])];
    const kwargs: AttentionKwargs = { hasMask: o.attentionMask !== undefined, useCausalMask: o.useCausalMask ?? false, returnAttentionScores: o.returnAttentionScores ?? false };
    return { inputs: tensors as readonly KerasTensor[], options: o.training === undefined ? {} : { training: o.training }, kwargs: kwargs as unknown as CallKwargs };
  }

  override build(inputShape: Shape | readonly Shape[]): void {
    const [queryShape, valueShape, keyShape] = inputShape as readonly Shape[];
    if (valueShape.slice(1, -1).join() !== keyShape.slice(1, -1).join() || valueShape.length !== keyShape.length) {
      throw new Error(`All dimensions of \`value\` and \`key\`, except the last one, must be equal. Received: value_shape=${formatShape(valueShape)} and key_shape=${formatShape(keyShape)}`);
    }
    for (const [what, shape] of [['query', queryShape], ['value', valueShape], ['key', keyShape]] as const) {
      if (shape.length < 3) throw new Error(`MultiHeadAttention expects a ${what} of rank ≥ 3 (batch, ..., features), got shape ${formatShape(shape)}`);
    }
    const rank = queryShape.length + 1;
    const axes = this.attentionAxes === undefined
      ? Array.from({ length: rank - 3 }, (_, i) => i + 1)
      : this.attentionAxes.map((a) => (a >= 0 ? a : rank - 1 + a));
    if (!axes.every((a) => a >= 1 && a < rank - 2) || new Set(axes).size !== axes.length) {
      throw new Error(`Layer "${this.name}" (MultiHeadAttention): attention_axes ${JSON.stringify(this.attentionAxes)} must name distinct axes of the query between the batch and the features; the query has shape ${formatShape(queryShape)}`);
    }
    this.resolvedAttentionAxes = axes;
    this.equations = attentionEquations(rank, axes);
    const s = this.sublayerArgs;
    const project = (name: string, shape: Shape, made: readonly number[], bound = 1) => {
      const { equation, biasAxes } = projectionEquation(shape.length - bound, bound, made.length);
      // Keras's weight paths: multi_head_attention/query/kernel, unique per attention layer.
      const layer = new EinsumDense(equation, { name: `${this.name}/${name}`, outputDims: made, biasAxes: this.useBias ? biasAxes : '', ...s });
      layer.maybeBuild(shape);
      return layer;
    };
    this.queryDense = project('query', queryShape, [this.numHeads, this.keyDim]);
    this.keyDense = project('key', keyShape, [this.numHeads, this.keyDim]);
    this.valueDense = project('value', valueShape, [this.numHeads, this.valueDim]);
    const heads = [...queryShape.slice(0, -1), this.numHeads, this.valueDim];
    this.outputDense = project('attention_output', heads, this.outputShape ?? [queryShape.at(-1) as number], 2);
  }

  override get callTakesMask(): boolean {
    return true;
  }

  /** Keras: the attention output carries the query's mask; the scores carry none. */
  override computeMask(_inputs: readonly SymbolicTensor[], mask: CallMask): CallMask {
    const queryMask = Array.isArray(mask) ? mask[0] : undefined;
    return queryMask === undefined ? undefined : [queryMask];
  }

  override call(inputs: readonly SymbolicTensor[], { training, kwargs, mask: kerasMasks }: CallArgs): SymbolicTensor | SymbolicTensor[] {
    const { hasMask, useCausalMask, returnAttentionScores } = (kwargs ?? {}) as Partial<AttentionKwargs>;
    const [query, value, key, mask] = inputs;
    if (inputs.length !== (hasMask ? 4 : 3)) throw new Error(`MultiHeadAttention expects [query, value, key${hasMask ? ', attentionMask' : ''}], got ${inputs.length} tensors`);
    const q = this.queryDense(query);
    const k = this.keyDense(key);
    const v = this.valueDense(value);
    const explicit = this.combinedMask(hasMask ? mask : undefined, useCausalMask ?? false, q, v);
    const attentionMask = withKerasMasks(explicit, Array.isArray(kerasMasks) ? kerasMasks : []);
    const scaled = ops.multiply(q, 1 / Math.sqrt(this.keyDim));
    let scores = ops.einsum(this.equations.dotProduct, k, scaled);
    if (attentionMask !== undefined) scores = ops.where(this.expandMask(attentionMask, scores), scores, MASKED_SCORE);
    const rank = this.equations.scoresRank;
    const count = this.resolvedAttentionAxes.length;
    let probabilities = ops.softmax(scores, Array.from({ length: count }, (_, i) => rank - count + i));
    // Keras computes attention with dot_product_attention (a fully masked row attends uniformly)
    // unless it has dropout, returns the scores or attends over several axes; then its Softmax
    // layer zeroes masked positions after normalising.
    const viaSoftmaxLayer = this.dropout > 0 || returnAttentionScores === true || q.shape.length !== 4;
    if (attentionMask !== undefined && viaSoftmaxLayer) probabilities = ops.where(this.expandMask(attentionMask, scores), probabilities, 0);
    let dropped = probabilities;
    if (training && this.dropout > 0) {
      const keep = ops.greaterEqual(ops.randomUniform(probabilities.shape, 0, 1, this.seedGenerator?.next()), this.dropout);
      dropped = ops.where(keep, ops.divide(probabilities, 1 - this.dropout), 0);
    }
    const heads = ops.einsum(this.equations.combine, dropped, v);
    const output = this.outputDense(heads);
    return returnAttentionScores ? [output, probabilities] : output;
  }

  /** The attention mask as bool, combined with the causal mask (1, T, S) when asked. */
  private combinedMask(mask: SymbolicTensor | undefined, causal: boolean, q: SymbolicTensor, v: SymbolicTensor): SymbolicTensor | undefined {
    let m = mask === undefined ? undefined : mask.dtype === 'bool' ? mask : ops.notEqual(mask, 0);
    if (!causal) return m;
    if (this.resolvedAttentionAxes.length !== 1 || this.resolvedAttentionAxes[0] !== 1) {
      throw new Error(`Layer "${this.name}" (MultiHeadAttention): useCausalMask needs attention over axis 1 of rank-3 inputs (batch, sequence, features); attention_axes are [${this.resolvedAttentionAxes.join(', ')}]`);
    }
    const [t, s] = [q.shape[1], v.shape[1]];
    if (t === null || s === null) throw new ShapeError('useCausalMask needs query and value sequence lengths of known size');
    // Row i may see columns j <= i, as Keras's cumsum-based causal mask.
    const causalMask = ops.expandDims(ops.greaterEqual(ops.expandDims(ops.arange(t), 1), ops.expandDims(ops.arange(s), 0)), 0);
    m = m === undefined ? causalMask : ops.logicalAnd(m, causalMask);
    return m;
  }

  /** Adds the heads axes the mask lacks, before the attention axes (Keras's mask_expansion_axis), and checks it broadcasts. */
  private expandMask(mask: SymbolicTensor, scores: SymbolicTensor): SymbolicTensor {
    if (mask.shape.length > scores.shape.length) {
      throw new ShapeError(`The attention mask must be broadcastable to the attention scores and must not have more dimensions. Received: scores shape=${formatShape(scores.shape)}, mask shape=${formatShape(mask.shape)}`);
    }
    let m = mask;
    const axis = -this.resolvedAttentionAxes.length * 2 - 1;
    while (m.shape.length < scores.shape.length) m = ops.expandDims(m, axis);
    m.shape.forEach((d, i) => {
      const want = scores.shape[i];
      if (d !== null && want !== null && d !== 1 && d !== want) {
        throw new ShapeError(`The attention mask must be broadcastable to the attention scores: each mask dimension must be 1 or match the scores' (batch, heads, query, key) dimension. Received: scores shape=${formatShape(scores.shape)}, mask shape=${formatShape(mask.shape)}`);
      }
    });
    return m;
  }
}
