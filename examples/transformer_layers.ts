/**
 * The two custom layers of Keras's "Text classification with Transformer" example, written as
 * there: TokenAndPositionEmbedding (token Embedding plus position Embedding) and TransformerBlock
 * (MultiHeadAttention, Dropout, residual LayerNormalization, a feed-forward Dense pair). Each has
 * getConfig and is registered for saving, so a model's JSON rebuilds them. Used by
 * examples/text_transformer.ts and the sequence bench.
 */
import { layers, ops, saving } from '../src/index.js';
import type { SymbolicTensor } from '../src/api/ops.js';
import type { CallArgs, LayerArgs } from '../src/api/layers/layer.js';

const { Embedding, MultiHeadAttention, LayerNormalization, Dropout, Dense } = layers;

/** The snake_case options Keras's example passes (and getConfig writes, so `new Cls(config)` rebuilds). */
interface BaseConfig { readonly name?: string; readonly trainable?: boolean }

export class TokenAndPositionEmbedding extends layers.Layer {
  readonly tokenEmb: layers.Embedding;
  readonly posEmb: layers.Embedding;
  readonly maxlen: number;
  readonly vocabSize: number;
  readonly embedDim: number;

  constructor(config: BaseConfig & { readonly maxlen: number; readonly vocab_size: number; readonly embed_dim: number }) {
    super({ name: config.name, trainable: config.trainable } as LayerArgs);
    this.maxlen = config.maxlen;
    this.vocabSize = config.vocab_size;
    this.embedDim = config.embed_dim;
    this.tokenEmb = new Embedding(this.vocabSize, this.embedDim);
    this.posEmb = new Embedding(this.maxlen, this.embedDim);
  }

  override call(x: SymbolicTensor): SymbolicTensor {
    const positions = this.posEmb(ops.arange(0, x.shape.at(-1) as number, 1, 'int32')) as SymbolicTensor;
    return ops.add(this.tokenEmb(x) as SymbolicTensor, positions);
  }

  override getConfig() {
    return { ...super.getConfig(), maxlen: this.maxlen, vocab_size: this.vocabSize, embed_dim: this.embedDim };
  }
}

export class TransformerBlock extends layers.Layer {
  readonly att: layers.MultiHeadAttention;
  readonly ffn1: layers.Dense;
  readonly ffn2: layers.Dense;
  readonly layernorm1 = new LayerNormalization({ epsilon: 1e-6 });
  readonly layernorm2 = new LayerNormalization({ epsilon: 1e-6 });
  readonly dropout1: layers.Dropout;
  readonly dropout2: layers.Dropout;
  readonly embedDim: number;
  readonly numHeads: number;
  readonly ffDim: number;
  readonly rate: number;

  constructor(config: BaseConfig & { readonly embed_dim: number; readonly num_heads: number; readonly ff_dim: number; readonly rate?: number }) {
    super({ name: config.name, trainable: config.trainable } as LayerArgs);
    this.embedDim = config.embed_dim;
    this.numHeads = config.num_heads;
    this.ffDim = config.ff_dim;
    this.rate = config.rate ?? 0.1;
    this.att = new MultiHeadAttention({ numHeads: this.numHeads, keyDim: this.embedDim });
    this.ffn1 = new Dense(this.ffDim, { activation: 'relu' });
    this.ffn2 = new Dense(this.embedDim);
    this.dropout1 = new Dropout(this.rate);
    this.dropout2 = new Dropout(this.rate);
  }

  override call(inputs: SymbolicTensor, { training }: CallArgs): SymbolicTensor {
    const attention = this.dropout1(this.att(inputs, inputs, { training }), { training }) as SymbolicTensor;
    const out1 = this.layernorm1(ops.add(inputs, attention)) as SymbolicTensor;
    const ffn = this.dropout2(this.ffn2(this.ffn1(out1)), { training }) as SymbolicTensor;
    return this.layernorm2(ops.add(out1, ffn)) as SymbolicTensor;
  }

  override getConfig() {
    return { ...super.getConfig(), embed_dim: this.embedDim, num_heads: this.numHeads, ff_dim: this.ffDim, rate: this.rate };
  }
}

saving.registerKerasSerializable(TokenAndPositionEmbedding, { package: 'text_transformer' });
saving.registerKerasSerializable(TransformerBlock, { package: 'text_transformer' });

