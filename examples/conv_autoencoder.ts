/**
 * A convolutional denoising autoencoder on MNIST, after keras.io's "Convolutional autoencoder for
 * image denoising": Conv2D + MaxPooling2D encode a noisy digit to 7x7x32, Conv2DTranspose with
 * stride 2 decodes it back to 28x28, and the network learns to output the clean digit.
 *
 *   npm run example:autoencoder -- --samples 2000 --epochs 3     (about a minute on 2 cores)
 */
import { Input, Model, Tensor, layers, tensor } from '../src/index.js';
import { intArg } from './args.js';
import { IMAGE_SIZE, loadMnist, take, toImages } from './data/mnist.js';
import { normal, seededRandom } from './data/rng.js';

const { Conv2D, Conv2DTranspose, MaxPooling2D } = layers;

const epochs = intArg('epochs', 3);
const samples = intArg('samples', 2000);
const noiseFactor = 0.4;

/** Adds Gaussian noise and clips to [0, 1], as the Keras example does with NumPy. */
function addNoise(images: Tensor, seed: number): Tensor {
  const random = seededRandom(seed);
  const noisy = Float32Array.from(images.data, (v) => Math.min(1, Math.max(0, v + noiseFactor * normal(random))));
  return tensor(noisy, images.shape);
}

/** A digit as text, so the result can be seen in a terminal. */
function ascii(images: Tensor, index: number): string[] {
  const shades = ' .:-=+*#%@';
  const rows: string[] = [];
  for (let r = 0; r < IMAGE_SIZE; r += 2) {
    let line = '';
    for (let c = 0; c < IMAGE_SIZE; c++) {
      const v = images.data[index * IMAGE_SIZE * IMAGE_SIZE + r * IMAGE_SIZE + c];
      line += shades[Math.min(shades.length - 1, Math.floor(v * shades.length))];
    }
    rows.push(line);
  }
  return rows;
}

const mnist = loadMnist();
const train = toImages(take(mnist.train, samples).x);
const test = toImages(take(mnist.test, 500).x);
const noisyTrain = addNoise(train, 1);
const noisyTest = addNoise(test, 2);

const input = Input({ shape: [IMAGE_SIZE, IMAGE_SIZE, 1] });
// Encoder
let x = new Conv2D(32, [3, 3], { activation: 'relu', padding: 'same' })(input);
x = new MaxPooling2D({ poolSize: [2, 2], padding: 'same' })(x);
x = new Conv2D(32, [3, 3], { activation: 'relu', padding: 'same' })(x);
x = new MaxPooling2D({ poolSize: [2, 2], padding: 'same' })(x);
// Decoder
x = new Conv2DTranspose(32, [3, 3], { strides: 2, activation: 'relu', padding: 'same' })(x);
x = new Conv2DTranspose(32, [3, 3], { strides: 2, activation: 'relu', padding: 'same' })(x);
x = new Conv2D(1, [3, 3], { activation: 'sigmoid', padding: 'same' })(x);

const autoencoder = new Model({ inputs: input, outputs: x });
autoencoder.compile({ optimizer: 'adam', loss: 'binary_crossentropy' });
autoencoder.summary();

// Batches of 32 rather than Keras's 128: the subset is small, and more steps per epoch matter more.
await autoencoder.fit(noisyTrain, train, {
  epochs,
  batchSize: 32,
  shuffle: true,
  validationData: [noisyTest, test],
  verbose: 1,
});

console.log('Test reconstruction loss:', autoencoder.evaluate(noisyTest, test, { batchSize: 128, verbose: 0 }));

const denoised = autoencoder.predict(noisyTest, { batchSize: 128, verbose: 0 });
if (!(denoised instanceof Tensor)) throw new Error('a single-output model predicts one Tensor');
console.log('\nnoisy input                    denoised output               original');
const [a, b, c] = [ascii(noisyTest, 0), ascii(denoised, 0), ascii(test, 0)];
for (let i = 0; i < a.length; i++) console.log(`${a[i]}   ${b[i]}   ${c[i]}`);
