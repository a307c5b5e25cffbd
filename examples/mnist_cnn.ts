/**
 * Keras's mnist_cnn example: a small convolutional network on MNIST digits.
 * Convolutions run on the CPU in JavaScript, so by default this trains on a 2,000-image subset for
 * 2 epochs (about 87% test accuracy, a minute on 2 cores); `--samples 8000 --epochs 12` is the full Keras recipe.
 *
 *   npm run example:cnn -- --samples 2000 --epochs 2
 */
import { Sequential, layers, optimizers, utils } from '../src/index.js';
import { intArg } from './args.js';
import { IMAGE_SIZE, NUM_CLASSES, loadMnist, take, toImages } from './data/mnist.js';

const { Conv2D, MaxPooling2D, Dropout, Flatten, Dense } = layers;

const batchSize = 128;
const epochs = intArg('epochs', 2);
const samples = intArg('samples', 2000);

const mnist = loadMnist();
const train = take(mnist.train, samples);
const test = take(mnist.test, Math.max(500, Math.round(samples / 4)));

// Channels-last images, as Keras's default image_data_format
const xTrain = toImages(train.x);
const xTest = toImages(test.x);
console.log('x_train shape:', xTrain.shape);
console.log(`${xTrain.shape[0]} train samples`);
console.log(`${xTest.shape[0]} test samples`);

const yTrain = utils.toCategorical(train.y, NUM_CLASSES);
const yTest = utils.toCategorical(test.y, NUM_CLASSES);

const model = new Sequential([
  new Conv2D(32, [3, 3], { activation: 'relu', inputShape: [IMAGE_SIZE, IMAGE_SIZE, 1] }),
  new Conv2D(64, [3, 3], { activation: 'relu' }),
  new MaxPooling2D({ poolSize: [2, 2] }),
  new Dropout(0.25),
  new Flatten(),
  new Dense(128, { activation: 'relu' }),
  new Dropout(0.5),
  new Dense(NUM_CLASSES, { activation: 'softmax' }),
]);

model.summary();

// Keras's example uses Adadelta(learning_rate=1.0); Adam converges in fewer epochs, which matters
// when each epoch is a CPU pass over convolutions.
model.compile({
  loss: 'categorical_crossentropy',
  optimizer: new optimizers.Adam({ learningRate: 1e-3 }),
  metrics: ['accuracy'],
});

await model.fit(xTrain, yTrain, {
  batchSize,
  epochs,
  verbose: 1,
  validationData: [xTest, yTest],
});

// evaluate gives [loss, ...metrics] when metrics were compiled (a bare number otherwise)
const [loss, accuracy] = [model.evaluate(xTest, yTest, { batchSize, verbose: 0 })].flat();
console.log('Test loss:', loss);
console.log('Test accuracy:', accuracy);
