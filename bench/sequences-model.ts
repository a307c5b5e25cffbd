/**
 * The sequence models of the sequence bench (issue 10): an IMDB-shaped classifier,
 * Embedding(20000, 128) → LSTM(128) or GRU(128) → Dense(1, sigmoid), Adam, binary crossentropy,
 * on a synthetic labelled set of token ids (the same values for every framework: bench/peers reads
 * the same seed's generator output from a file it is handed). text_transformer is Keras's "Text
 * classification with Transformer" model: TokenAndPositionEmbedding(200, 20000, 32), one
 * TransformerBlock (2 heads, feed-forward 32), GlobalAveragePooling1D, Dropout, Dense(20, relu),
 * Dropout, Dense(2, softmax); Adam, sparse categorical crossentropy; sequences of 200 tokens.
 */
import { backend, Input, Model, Sequential, Session, layers, tensor } from '../src/index.js';
import { seededRandom } from '../examples/data/rng.js';
import { TokenAndPositionEmbedding, TransformerBlock } from '../examples/transformer_layers.js';

export type SequenceModelId = 'imdb_lstm' | 'imdb_gru' | 'text_transformer';
export const SEQ_VOCABULARY = 20000;
export const SEQ_EMBEDDING = 128;
export const SEQ_UNITS = 128;
export const SEQ_LENGTH = 80;
export const SEQ_BATCH = 32;
export const SEQ_BATCHES = 8;
export const TRANSFORMER_LENGTH = 200;
export const TRANSFORMER_EMBEDDING = 32;
export const TRANSFORMER_HEADS = 2;
export const TRANSFORMER_FF = 32;

/** Tokens a row of the model's input has. */
export function sequenceLength(id: SequenceModelId): number {
  return id === 'text_transformer' ? TRANSFORMER_LENGTH : SEQ_LENGTH;
}

export interface Sequences {
  readonly rows: number;
  readonly length: number;
  /** [rows, length] token ids in [1, SEQ_VOCABULARY). */
  readonly tokens: Int32Array;
  /** [rows, 1] labels 0 or 1. */
  readonly labels: Float32Array;
}

export function sequences(length = SEQ_LENGTH, rows = SEQ_BATCH * SEQ_BATCHES): Sequences {
  const random = seededRandom(7);
  const tokens = Int32Array.from({ length: rows * length }, () => 1 + Math.floor(random() * (SEQ_VOCABULARY - 1)));
  const labels = Float32Array.from({ length: rows }, () => (random() < 0.5 ? 0 : 1));
  return { rows, length, tokens, labels };
}

/** keras-jit's model and an `epoch()` that trains every prepared batch once. */
export function kerasJitSequenceTrainer(id: SequenceModelId, data: Sequences) {
  const session = new Session({ seed: 1 });
  backend.setSession(session);
  const model = id === 'text_transformer' ? transformerClassifier() : recurrentClassifier(id);
  const x = tensor(data.tokens, [data.rows, data.length], 'int32');
  const y = id === 'text_transformer' ? tensor(data.labels, [data.rows]) : tensor(data.labels, [data.rows, 1]);
  return {
    steps: data.rows / SEQ_BATCH,
    async epoch() { await model.fit(x, y, { batchSize: SEQ_BATCH, epochs: 1, verbose: 0 }); },
    dispose() { session.clear(); },
  };
}

function recurrentClassifier(id: SequenceModelId) {
  const { Embedding, LSTM, GRU, Dense } = layers;
  const recurrent = id === 'imdb_lstm' ? new LSTM(SEQ_UNITS) : new GRU(SEQ_UNITS);
  const model = new Sequential([new Embedding(SEQ_VOCABULARY, SEQ_EMBEDDING, { inputShape: [SEQ_LENGTH] }), recurrent, new Dense(1, { activation: 'sigmoid' })]);
  model.compile({ optimizer: 'adam', loss: 'binary_crossentropy' });
  return model;
}

function transformerClassifier() {
  const { Dense, Dropout, GlobalAveragePooling1D } = layers;
  const inputs = Input({ shape: [TRANSFORMER_LENGTH], dtype: 'int32' });
  let x = new TokenAndPositionEmbedding({ maxlen: TRANSFORMER_LENGTH, vocab_size: SEQ_VOCABULARY, embed_dim: TRANSFORMER_EMBEDDING })(inputs);
  x = new TransformerBlock({ embed_dim: TRANSFORMER_EMBEDDING, num_heads: TRANSFORMER_HEADS, ff_dim: TRANSFORMER_FF })(x);
  x = new GlobalAveragePooling1D()(x);
  x = new Dropout(0.1)(x);
  x = new Dense(20, { activation: 'relu' })(x);
  x = new Dropout(0.1)(x);
  const model = new Model({ inputs, outputs: new Dense(2, { activation: 'softmax' })(x) });
  model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy' });
  return model;
}
