/**
 * A two-input functional model: a sequence of word ids goes through an Embedding, a vector of
 * numeric features through a Dense layer, and the two are concatenated before the classifier.
 * Trained on synthetic data whose label depends on both inputs, so neither branch alone suffices.
 *
 *   npm run example:two-input -- --epochs 10
 */
import { Input, Model, layers, tensor } from '../src/index.js';
import { intArg } from './args.js';
import { normal, seededRandom } from './data/rng.js';

const { Dense, Embedding, Flatten, concatenate } = layers;

const vocabulary = 50;
const sequenceLength = 8;
const numFeatures = 4;
const samples = 4000;
const epochs = intArg('epochs', 10);

// Synthetic data: each word has a hidden sentiment; the label is whether the words' total
// sentiment plus a linear function of the features is positive.
const random = seededRandom(7);
const sentiment = Array.from({ length: vocabulary }, () => normal(random));
const featureWeights = Array.from({ length: numFeatures }, () => 2 * normal(random));
const words = new Int32Array(samples * sequenceLength);
const features = new Float32Array(samples * numFeatures);
const labels = new Float32Array(samples);
for (let i = 0; i < samples; i++) {
  let score = 0;
  for (let t = 0; t < sequenceLength; t++) {
    const word = 1 + Math.floor(random() * (vocabulary - 1)); // 0 is kept for padding, as in Keras
    words[i * sequenceLength + t] = word;
    score += sentiment[word];
  }
  for (let f = 0; f < numFeatures; f++) {
    const v = normal(random);
    features[i * numFeatures + f] = v;
    score += featureWeights[f] * v;
  }
  labels[i] = score > 0 ? 1 : 0;
}

const wordsInput = Input({ shape: [sequenceLength], dtype: 'int32', name: 'words' });
const featuresInput = Input({ shape: [numFeatures], name: 'features' });
const embedded = new Flatten()(new Embedding(vocabulary, 8)(wordsInput));
const dense = new Dense(8, { activation: 'relu' })(featuresInput);
const merged = concatenate([embedded, dense]);
const hidden = new Dense(16, { activation: 'relu' })(merged);
const output = new Dense(1, { activation: 'sigmoid', name: 'label' })(hidden);
const model = new Model({ inputs: [wordsInput, featuresInput], outputs: output });
model.summary();

model.compile({ optimizer: 'adam', loss: 'binary_crossentropy', metrics: ['accuracy'] });

const split = Math.floor(samples * 0.8);
const rows = <T extends Int32Array | Float32Array>(data: T, width: number, from: number, to: number): T =>
  data.slice(from * width, to * width) as T;
const xTrain = [
  tensor(rows(words, sequenceLength, 0, split), [split, sequenceLength], 'int32'),
  tensor(rows(features, numFeatures, 0, split), [split, numFeatures]),
];
const xTest = [
  tensor(rows(words, sequenceLength, split, samples), [samples - split, sequenceLength], 'int32'),
  tensor(rows(features, numFeatures, split, samples), [samples - split, numFeatures]),
];
const yTrain = tensor(labels.slice(0, split), [split, 1]);
const yTest = tensor(labels.slice(split), [samples - split, 1]);

await model.fit(xTrain, yTrain, { epochs, batchSize: 64, validationData: [xTest, yTest], verbose: 1 });

// Inputs can also be given by name
// evaluate gives [loss, ...metrics] when metrics were compiled (a bare number otherwise)
const [loss, accuracy] = [model.evaluate({ words: xTest[0], features: xTest[1] }, yTest, { verbose: 0 })].flat();
console.log('Test loss:', loss);
console.log('Test accuracy:', accuracy);
