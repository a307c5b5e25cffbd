/**
 * Keras's mnist_mlp (784-512-512-10, Dropout 0.2, RMSprop, categorical crossentropy, batch 128)
 * trained by keras-jit and by TensorFlow.js's cpu backend on the same digits, in the same run.
 * One sample is one epoch over the same subset; compilation happens in an untimed warm-up epoch.
 */
import Benchmark from 'benchmark';
import { loadMnist, NUM_CLASSES, PIXELS } from '../examples/data/mnist.js';
import { backend, layers, optimizers, Sequential, Session, utils, type Tensor } from '../src/index.js';

export interface TrainingRow {
  readonly name: string;
  readonly samplesPerSecond: number;
  readonly ratio: number;
}

const BATCH = 128;
/** Ten steps a sample: enough for TensorFlow.js to be measured in seconds, not minutes. */
const SAMPLES = BATCH * 10;

function subset(x: Tensor, rows: number, width: number): Float32Array {
  return Float32Array.from((x.data as Float32Array).subarray(0, rows * width));
}

/** Mean seconds of an async function, by the benchmark package with few, long samples. */
function secondsPerRun(fn: () => Promise<void>): Promise<number> {
  return new Promise((resolve, reject) => {
    new Benchmark('epoch', {
      defer: true, minSamples: 3, maxTime: 1, initCount: 1,
      fn: (deferred: Benchmark.Deferred) => { fn().then(() => deferred.resolve(), reject); },
    }).on('complete', function (this: Benchmark) { resolve(this.stats.mean); }).run({ async: true });
  });
}

async function kerasJit(x: Float32Array, y: Float32Array): Promise<number> {
  backend.setSession(new Session({ seed: 1 }));
  const { tensor } = await import('../src/index.js');
  const xs = tensor(x, [SAMPLES, PIXELS]), ys = tensor(y, [SAMPLES, NUM_CLASSES]);
  const model = new Sequential([
    new layers.Dense(512, { activation: 'relu', inputShape: [PIXELS] }),
    new layers.Dropout(0.2),
    new layers.Dense(512, { activation: 'relu' }),
    new layers.Dropout(0.2),
    new layers.Dense(NUM_CLASSES, { activation: 'softmax' }),
  ]);
  model.compile({ optimizer: new optimizers.RMSprop(), loss: 'categorical_crossentropy', metrics: ['accuracy'] });
  const epoch = async () => { await model.fit(xs, ys, { batchSize: BATCH, epochs: 1, verbose: 0 }); };
  await epoch();
  return secondsPerRun(epoch);
}

async function tensorflowJs(x: Float32Array, y: Float32Array): Promise<number> {
  const muted = [console.log, console.warn] as const;
  console.log = () => {};
  console.warn = () => {};
  const tf = await import('@tensorflow/tfjs');
  await tf.setBackend('cpu');
  await tf.ready();
  [console.log, console.warn] = muted;
  const xs = tf.tensor2d(x, [SAMPLES, PIXELS]), ys = tf.tensor2d(y, [SAMPLES, NUM_CLASSES]);
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ units: 512, activation: 'relu', inputShape: [PIXELS] }),
      tf.layers.dropout({ rate: 0.2 }),
      tf.layers.dense({ units: 512, activation: 'relu' }),
      tf.layers.dropout({ rate: 0.2 }),
      tf.layers.dense({ units: NUM_CLASSES, activation: 'softmax' }),
    ],
  });
  // Keras 3's RMSprop defaults, spelled out because TensorFlow.js's differ.
  model.compile({ optimizer: tf.train.rmsprop(0.001, 0.9, 0, 1e-7), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const epoch = async () => { await model.fit(xs, ys, { batchSize: BATCH, epochs: 1, verbose: 0 }); };
  await epoch();
  return secondsPerRun(epoch);
}

export async function benchTraining(): Promise<TrainingRow[]> {
  const { train } = loadMnist();
  const x = subset(train.x, SAMPLES, PIXELS);
  const y = utils.toCategorical(Array.from(train.y.data.subarray(0, SAMPLES)), NUM_CLASSES).data as Float32Array;
  const ours = SAMPLES / (await kerasJit(x, y));
  const tfCpu = SAMPLES / (await tensorflowJs(x, y));
  return [
    { name: 'keras-jit (JS kernels)', samplesPerSecond: ours, ratio: ours / tfCpu },
    { name: 'TensorFlow.js cpu', samplesPerSecond: tfCpu, ratio: 1 },
  ];
}
