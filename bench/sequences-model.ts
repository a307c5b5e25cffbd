/**
 * The sequence models of the sequence bench (issue 10): an IMDB-shaped classifier,
 * Embedding(20000, 128) → LSTM(128) or GRU(128) → Dense(1, sigmoid), Adam, binary crossentropy,
 * on a synthetic labelled set of token ids (the same values for every framework: bench/peers reads
 * the same seed's generator output from a file it is handed).
 */
import { backend, Sequential, Session, layers, tensor } from '../src/index.js';
import { seededRandom } from '../examples/data/rng.js';

export type SequenceModelId = 'imdb_lstm' | 'imdb_gru';
export const SEQ_VOCABULARY = 20000;
export const SEQ_EMBEDDING = 128;
export const SEQ_UNITS = 128;
export const SEQ_LENGTH = 80;
export const SEQ_BATCH = 32;
export const SEQ_BATCHES = 8;

export interface Sequences {
  readonly rows: number;
  /** [rows, SEQ_LENGTH] token ids in [1, SEQ_VOCABULARY). */
  readonly tokens: Int32Array;
  /** [rows, 1] labels 0 or 1. */
  readonly labels: Float32Array;
}

export function sequences(rows = SEQ_BATCH * SEQ_BATCHES): Sequences {
  const random = seededRandom(7);
  const tokens = Int32Array.from({ length: rows * SEQ_LENGTH }, () => 1 + Math.floor(random() * (SEQ_VOCABULARY - 1)));
  const labels = Float32Array.from({ length: rows }, () => (random() < 0.5 ? 0 : 1));
  return { rows, tokens, labels };
}

/** keras-jit's model and an `epoch()` that trains every prepared batch once. */
export function kerasJitSequenceTrainer(id: SequenceModelId, data: Sequences) {
  const session = new Session({ seed: 1 });
  backend.setSession(session);
  const { Embedding, LSTM, GRU, Dense } = layers;
  const recurrent = id === 'imdb_lstm' ? new LSTM(SEQ_UNITS) : new GRU(SEQ_UNITS);
  const model = new Sequential([new Embedding(SEQ_VOCABULARY, SEQ_EMBEDDING, { inputShape: [SEQ_LENGTH] }), recurrent, new Dense(1, { activation: 'sigmoid' })]);
  model.compile({ optimizer: 'adam', loss: 'binary_crossentropy' });
  const x = tensor(data.tokens, [data.rows, SEQ_LENGTH], 'int32');
  const y = tensor(data.labels, [data.rows, 1]);
  return {
    steps: data.rows / SEQ_BATCH,
    async epoch() { await model.fit(x, y, { batchSize: SEQ_BATCH, epochs: 1, verbose: 0 }); },
    dispose() { session.clear(); },
  };
}
