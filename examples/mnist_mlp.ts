/**
 * Keras's mnist_mlp example: a simple deep multilayer perceptron on MNIST digits.
 * Gets to about 92-95% test accuracy after 5 epochs (under a minute on 2 cores) on the 8,000-image training split.
 *
 *   npm start                       (or: npm run example:mlp -- --epochs 20)
 */
import { Sequential, layers, optimizers, utils } from '../src/index.js';
import { intArg } from './args.js';
import { loadMnist, NUM_CLASSES, PIXELS } from './data/mnist.js';

const { Dense, Dropout } = layers;

const batchSize = 128;
const epochs = intArg('epochs', 5);

// The data, split between train and test sets
const { train, test } = loadMnist();
console.log(`${train.x.shape[0]} train samples`);
console.log(`${test.x.shape[0]} test samples`);

// Convert class vectors to binary class matrices
const yTrain = utils.toCategorical(train.y, NUM_CLASSES);
const yTest = utils.toCategorical(test.y, NUM_CLASSES);

const model = new Sequential([
  new Dense(512, { activation: 'relu', inputShape: [PIXELS] }),
  new Dropout(0.2),
  new Dense(512, { activation: 'relu' }),
  new Dropout(0.2),
  new Dense(NUM_CLASSES, { activation: 'softmax' }),
]);

model.summary();

model.compile({
  loss: 'categorical_crossentropy',
  optimizer: new optimizers.RMSprop(),
  metrics: ['accuracy'],
});

await model.fit(train.x, yTrain, {
  batchSize,
  epochs,
  verbose: 1,
  validationData: [test.x, yTest],
});

// evaluate gives [loss, ...metrics] when metrics were compiled (a bare number otherwise)
const [loss, accuracy] = [model.evaluate(test.x, yTest, { batchSize, verbose: 0 })].flat();
console.log('Test loss:', loss);
console.log('Test accuracy:', accuracy);
