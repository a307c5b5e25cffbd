/**
 * The training data of the bench models as plain typed arrays, so keras-jit, TensorFlow.js and
 * jax-js train on exactly the same values. MNIST digits come from the examples' loader (the
 * `mnist` package, no network); the embedding model's data is the synthetic set of
 * examples/two_input_embedding.ts, rebuilt with the same seeded generator.
 */
import { loadMnist, NUM_CLASSES, PIXELS } from '../examples/data/mnist.js';
import { normal, seededRandom } from '../examples/data/rng.js';

export { IMAGE_SIZE, NUM_CLASSES, PIXELS } from '../examples/data/mnist.js';

export interface Digits {
  readonly n: number;
  /** [n, 784] grey levels in [0, 1]; the same bytes serve as [n, 28, 28, 1] images. */
  readonly x: Float32Array;
  /** [n, 10] one-hot labels. */
  readonly y: Float32Array;
  /** [n, 784] the images with Gaussian noise, clipped to [0, 1] (the autoencoder's input). */
  readonly noisy: Float32Array;
}

/** The first `n` training digits (n <= 8,000). */
export function digits(n: number): Digits {
  const { train } = loadMnist();
  if (n > train.y.shape[0]) throw new Error(`bench: asked for ${n} digits, the training split has ${train.y.shape[0]}`);
  const x = Float32Array.from(train.x.data.subarray(0, n * PIXELS));
  const y = new Float32Array(n * NUM_CLASSES);
  for (let i = 0; i < n; i++) y[i * NUM_CLASSES + train.y.data[i]] = 1;
  // The noise of examples/conv_autoencoder.ts (factor 0.4).
  const random = seededRandom(1);
  const noisy = Float32Array.from(x, (v) => Math.min(1, Math.max(0, v + 0.4 * normal(random))));
  return { n, x, y, noisy };
}

export const VOCABULARY = 50;
export const SEQUENCE_LENGTH = 8;
export const NUM_FEATURES = 4;

export interface WordsAndFeatures {
  readonly n: number;
  /** [n, 8] word ids in 1..49 (0 is padding, as in Keras). */
  readonly words: Int32Array;
  /** [n, 4] numeric features. */
  readonly features: Float32Array;
  /** [n, 1] 0/1 labels. */
  readonly labels: Float32Array;
}

/** The two-input model's synthetic data: the label is whether word sentiment plus a linear function of the features is positive. */
export function wordsAndFeatures(n: number): WordsAndFeatures {
  const random = seededRandom(7);
  const sentiment = Array.from({ length: VOCABULARY }, () => normal(random));
  const weights = Array.from({ length: NUM_FEATURES }, () => 2 * normal(random));
  const words = new Int32Array(n * SEQUENCE_LENGTH);
  const features = new Float32Array(n * NUM_FEATURES);
  const labels = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let score = 0;
    for (let t = 0; t < SEQUENCE_LENGTH; t++) {
      const word = 1 + Math.floor(random() * (VOCABULARY - 1));
      words[i * SEQUENCE_LENGTH + t] = word;
      score += sentiment[word];
    }
    for (let f = 0; f < NUM_FEATURES; f++) {
      const v = normal(random);
      features[i * NUM_FEATURES + f] = v;
      score += weights[f] * v;
    }
    labels[i] = score > 0 ? 1 : 0;
  }
  return { n, words, features, labels };
}
