/**
 * Keras's "Text classification with Transformer" example: a TokenAndPositionEmbedding (a token
 * Embedding plus a position Embedding) and one TransformerBlock (MultiHeadAttention, Dropout,
 * LayerNormalization, a feed-forward Dense pair, residual connections), then
 * GlobalAveragePooling1D → Dropout → Dense(20, relu) → Dropout → Dense(2, softmax). Both blocks are
 * custom layers written as in Keras's example (examples/transformer_layers.ts), with getConfig and
 * registered for saving, so the model's JSON rebuilds them.
 *
 * IMDB does not ship in an npm package: this trains on the same SYNTHETIC, seeded sentiment task as
 * imdb_lstm (examples/data/sentiment.ts), zero-padded to maxlen (the transformer, as in Keras's
 * example, sees the padding as token 0 and no mask).
 *
 *   npm run example:transformer -- --samples 4000 --epochs 2 --maxlen 200 --features 20000
 */
import { Input, Model, layers, models, tensor } from '../src/index.js';
import { intArg } from './args.js';
import { sentimentData } from './data/sentiment.js';
import { TokenAndPositionEmbedding, TransformerBlock } from './transformer_layers.js';

const { Dropout, Dense, GlobalAveragePooling1D } = layers;

const vocabSize = intArg('features', 500);
const maxlen = intArg('maxlen', 30);
const samples = intArg('samples', 12000);
const epochs = intArg('epochs', 4);
const embedDim = 32;
const numHeads = 2;
const ffDim = 32;
const batchSize = 32;

const data = sentimentData({ samples, maxlen, vocabulary: vocabSize });
const split = Math.floor(samples * 0.8);
const xTrain = tensor(data.tokens.subarray(0, split * maxlen), [split, maxlen], 'int32');
const yTrain = tensor(data.labels.subarray(0, split), [split]);
const xVal = tensor(data.tokens.subarray(split * maxlen), [samples - split, maxlen], 'int32');
const yVal = tensor(data.labels.subarray(split), [samples - split]);

const inputs = Input({ shape: [maxlen], dtype: 'int32' });
let x = new TokenAndPositionEmbedding({ maxlen, vocab_size: vocabSize, embed_dim: embedDim })(inputs);
x = new TransformerBlock({ embed_dim: embedDim, num_heads: numHeads, ff_dim: ffDim })(x);
x = new GlobalAveragePooling1D()(x);
x = new Dropout(0.1)(x);
x = new Dense(20, { activation: 'relu' })(x);
x = new Dropout(0.1)(x);
const outputs = new Dense(2, { activation: 'softmax' })(x);
const model = new Model({ inputs, outputs });
model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
model.summary();

const start = performance.now();
const history = await model.fit(xTrain, yTrain, { batchSize, epochs, validationData: [xVal, yVal], verbose: 2 });
console.log(`trained ${epochs} epochs on ${split} synthetic reviews in ${((performance.now() - start) / 1000).toFixed(1)} s`);

// The custom layers' configs rebuild the architecture (with fresh weights) from the model's JSON.
const rebuilt = models.modelFromJSON(model.toJSON());
console.log(`rebuilt from JSON: ${rebuilt.layers.map((l) => l.className).join(', ')} (${rebuilt.countParams()} parameters, ${model.countParams()} trained)`);
console.log(`final val_accuracy: ${history.history.val_accuracy?.at(-1)?.toFixed(4)} (chance is about 0.5)`);
