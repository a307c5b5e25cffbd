/**
 * Keras's imdb_lstm example: Embedding(maxFeatures, 128) → LSTM(128, dropout 0.2, recurrentDropout
 * 0.2) → Dense(1, sigmoid), binary crossentropy, Adam. IMDB itself does not ship in an npm package,
 * so this trains on a SYNTHETIC, seeded sentiment task (examples/data/sentiment.ts): variable-length
 * reviews of neutral words with a few sentiment words, some negated ("not good"), zero-padded at the
 * front. The Embedding's maskZero makes the LSTM skip the padding.
 *
 *   npm run example:imdb -- --samples 4000 --epochs 3 --maxlen 80 --features 20000
 */
import { Sequential, layers, tensor } from '../src/index.js';
import { intArg } from './args.js';
import { sentimentData } from './data/sentiment.js';

const { Embedding, LSTM, Dense } = layers;

const maxFeatures = intArg('features', 500);
const maxlen = intArg('maxlen', 30);
const samples = intArg('samples', 6000);
const epochs = intArg('epochs', 2);
const batchSize = 32;

const data = sentimentData({ samples, maxlen, vocabulary: maxFeatures });
const split = Math.floor(samples * 0.8);
const xTrain = tensor(data.tokens.subarray(0, split * maxlen), [split, maxlen], 'int32');
const yTrain = tensor(data.labels.subarray(0, split), [split, 1]);
const xVal = tensor(data.tokens.subarray(split * maxlen), [samples - split, maxlen], 'int32');
const yVal = tensor(data.labels.subarray(split), [samples - split, 1]);
for (let row = 0; row < 3; row++) console.log(`${data.labels[row] === 1 ? 'positive' : 'negative'}: ${data.words(row)}`);

const model = new Sequential([
  new Embedding(maxFeatures, 128, { maskZero: true, inputShape: [maxlen] }),
  new LSTM(128, { dropout: 0.2, recurrentDropout: 0.2 }),
  new Dense(1, { activation: 'sigmoid' }),
]);
model.compile({ loss: 'binary_crossentropy', optimizer: 'adam', metrics: ['accuracy'] });
model.summary();

const start = performance.now();
const history = await model.fit(xTrain, yTrain, { batchSize, epochs, validationData: [xVal, yVal], verbose: 2 });
const [, accuracy] = model.evaluate(xVal, yVal, { batchSize }) as number[];
console.log(`trained ${epochs} epochs on ${split} synthetic reviews in ${((performance.now() - start) / 1000).toFixed(1)} s`);
console.log(`final val_accuracy: ${history.history.val_accuracy?.at(-1)?.toFixed(4)} (evaluate: ${accuracy.toFixed(4)}; chance is about 0.5)`);
