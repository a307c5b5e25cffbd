/**
 * The four Keras example models of the training bench, each as keras-jit builds it (the same
 * layers, optimizer and loss as its file in examples/) and as TensorFlow.js builds it, plus
 * jax-js's MLP: every trainer is a function that prepares a model and its data and returns an
 * `epoch(steps)` that trains that many batches with one fit() call (or, for jax-js, one loop).
 */
import { backend, Input, Model, Sequential, Session, layers, optimizers, tensor, type Tensor } from '../src/index.js';
import { IMAGE_SIZE, NUM_CLASSES, NUM_FEATURES, PIXELS, SEQUENCE_LENGTH, VOCABULARY, digits, wordsAndFeatures, type Digits, type WordsAndFeatures } from './data.js';
import { jaxMlp, loadJax, withNavigator } from './jaxjs.js';
import { backendInfo, useTf, type Tf, type TfBackend } from './tfjs.js';

export type ModelId = 'mnist_mlp' | 'mnist_cnn' | 'conv_autoencoder' | 'two_input_embedding';

export interface ModelInfo {
  readonly id: ModelId;
  readonly what: string;
  /** The batch of the Keras example. */
  readonly batch: number;
  /** Batches of data prepared; an epoch trains at most this many. */
  readonly batches: number;
}

export const MODELS: Record<ModelId, ModelInfo> = {
  mnist_mlp: { id: 'mnist_mlp', what: 'Dense 512 relu, Dropout 0.2, Dense 512 relu, Dropout 0.2, Dense 10 softmax; RMSprop; categorical crossentropy + accuracy', batch: 128, batches: 20 },
  mnist_cnn: { id: 'mnist_cnn', what: 'Conv2D 32, Conv2D 64 (3x3 relu), MaxPooling2D, Dropout, Dense 128, Dropout, Dense 10; Adam; categorical crossentropy + accuracy', batch: 128, batches: 10 },
  conv_autoencoder: { id: 'conv_autoencoder', what: 'Conv2D 32 + MaxPooling2D twice, Conv2DTranspose 32 (stride 2) twice, Conv2D 1 sigmoid, all padding same; Adam; binary crossentropy on noisy -> clean digits', batch: 32, batches: 10 },
  two_input_embedding: { id: 'two_input_embedding', what: 'Embedding(50, 8) + Flatten and Dense 8 relu, concatenated, Dense 16 relu, Dense 1 sigmoid; Adam; binary crossentropy + accuracy', batch: 64, batches: 50 },
};

export type Framework = 'keras-jit' | 'TF.js cpu' | 'TF.js wasm' | 'jax-js';

/** A model being trained: `epoch(steps)` trains `steps` batches (at most `maxSteps`). */
export interface Prepared {
  readonly maxSteps: number;
  epoch(steps: number): Promise<void>;
  dispose(): void;
}

export interface Trainer {
  readonly model: ModelId;
  readonly framework: Framework;
  /** Shown in tables, e.g. 'keras-jit, wasm tier, 2 threads'. */
  readonly label: string;
  readonly batch: number;
  /** Environment variables set while this trainer compiles and runs (keras-jit reads them at compile time). */
  readonly env?: Readonly<Record<string, string>>;
  /** Why this trainer differs from the model's defaults, for the notes. */
  readonly note?: string;
  prepare(): Promise<Prepared>;
}

// ---------------------------------------------------------------- data, shared by all frameworks

let digitCache: Digits | undefined;
let wordCache: WordsAndFeatures | undefined;
const maxRows = (id: ModelId) => MODELS[id].batch * MODELS[id].batches;
function mnistData(): Digits {
  return digitCache ??= digits(Math.max(maxRows('mnist_mlp'), maxRows('mnist_cnn'), maxRows('conv_autoencoder')));
}
function wordData(): WordsAndFeatures {
  return wordCache ??= wordsAndFeatures(maxRows('two_input_embedding'));
}

/** The first `rows` rows of a row-major array of `width` values a row. */
const head = <T extends Float32Array | Int32Array>(a: T, rows: number, width: number): T => a.subarray(0, rows * width) as T;

// ---------------------------------------------------------------- keras-jit

export function kerasModel(id: ModelId): Sequential | Model {
  const { Conv2D, Conv2DTranspose, Dense, Dropout, Embedding, Flatten, MaxPooling2D, concatenate } = layers;
  switch (id) {
    case 'mnist_mlp': {
      const m = new Sequential([
        new Dense(512, { activation: 'relu', inputShape: [PIXELS] }), new Dropout(0.2),
        new Dense(512, { activation: 'relu' }), new Dropout(0.2),
        new Dense(NUM_CLASSES, { activation: 'softmax' }),
      ]);
      m.compile({ optimizer: new optimizers.RMSprop(), loss: 'categorical_crossentropy', metrics: ['accuracy'] });
      return m;
    }
    case 'mnist_cnn': {
      const m = new Sequential([
        new Conv2D(32, [3, 3], { activation: 'relu', inputShape: [IMAGE_SIZE, IMAGE_SIZE, 1] }),
        new Conv2D(64, [3, 3], { activation: 'relu' }),
        new MaxPooling2D({ poolSize: [2, 2] }), new Dropout(0.25), new Flatten(),
        new Dense(128, { activation: 'relu' }), new Dropout(0.5),
        new Dense(NUM_CLASSES, { activation: 'softmax' }),
      ]);
      m.compile({ optimizer: new optimizers.Adam({ learningRate: 1e-3 }), loss: 'categorical_crossentropy', metrics: ['accuracy'] });
      return m;
    }
    case 'conv_autoencoder': {
      const input = Input({ shape: [IMAGE_SIZE, IMAGE_SIZE, 1] });
      let x = new Conv2D(32, [3, 3], { activation: 'relu', padding: 'same' })(input);
      x = new MaxPooling2D({ poolSize: [2, 2], padding: 'same' })(x);
      x = new Conv2D(32, [3, 3], { activation: 'relu', padding: 'same' })(x);
      x = new MaxPooling2D({ poolSize: [2, 2], padding: 'same' })(x);
      x = new Conv2DTranspose(32, [3, 3], { strides: 2, activation: 'relu', padding: 'same' })(x);
      x = new Conv2DTranspose(32, [3, 3], { strides: 2, activation: 'relu', padding: 'same' })(x);
      x = new Conv2D(1, [3, 3], { activation: 'sigmoid', padding: 'same' })(x);
      const m = new Model({ inputs: input, outputs: x });
      m.compile({ optimizer: 'adam', loss: 'binary_crossentropy' });
      return m;
    }
    case 'two_input_embedding': {
      const words = Input({ shape: [SEQUENCE_LENGTH], dtype: 'int32', name: 'words' });
      const features = Input({ shape: [NUM_FEATURES], name: 'features' });
      const merged = concatenate([new Flatten()(new Embedding(VOCABULARY, 8)(words)), new Dense(8, { activation: 'relu' })(features)]);
      const output = new Dense(1, { activation: 'sigmoid' })(new Dense(16, { activation: 'relu' })(merged));
      const m = new Model({ inputs: [words, features], outputs: output });
      m.compile({ optimizer: 'adam', loss: 'binary_crossentropy', metrics: ['accuracy'] });
      return m;
    }
  }
}

/** keras-jit's inputs and targets for `rows` samples of a model. */
function kerasData(id: ModelId, rows: number): { x: Tensor | Tensor[]; y: Tensor } {
  if (id === 'two_input_embedding') {
    const d = wordData();
    return {
      x: [tensor(head(d.words, rows, SEQUENCE_LENGTH), [rows, SEQUENCE_LENGTH], 'int32'), tensor(head(d.features, rows, NUM_FEATURES), [rows, NUM_FEATURES])],
      y: tensor(head(d.labels, rows, 1), [rows, 1]),
    };
  }
  const d = mnistData();
  if (id === 'mnist_mlp') return { x: tensor(head(d.x, rows, PIXELS), [rows, PIXELS]), y: tensor(head(d.y, rows, NUM_CLASSES), [rows, NUM_CLASSES]) };
  const images = [rows, IMAGE_SIZE, IMAGE_SIZE, 1];
  if (id === 'mnist_cnn') return { x: tensor(head(d.x, rows, PIXELS), images), y: tensor(head(d.y, rows, NUM_CLASSES), [rows, NUM_CLASSES]) };
  return { x: tensor(head(d.noisy, rows, PIXELS), images), y: tensor(head(d.x, rows, PIXELS), images) };
}

export interface KerasJitOptions {
  readonly tier: 'wasm' | 'js';
  /** KERAS_JIT_THREADS for the run; undefined keeps the default (the cores available). */
  readonly threads?: number;
  readonly label: string;
}

export function kerasJitTrainer(id: ModelId, options: KerasJitOptions): Trainer {
  const { batch, batches } = MODELS[id];
  const env: Record<string, string> = { KERAS_JIT_BACKEND: options.tier };
  if (options.threads !== undefined) env.KERAS_JIT_THREADS = String(options.threads);
  return {
    model: id, framework: 'keras-jit', label: options.label, batch, env,
    async prepare() {
      const session = new Session({ seed: 1 });
      backend.setSession(session);
      const model = kerasModel(id);
      const data = new Map<number, { x: Tensor | Tensor[]; y: Tensor }>();
      return {
        maxSteps: batches,
        async epoch(steps) {
          let d = data.get(steps);
          if (d === undefined) data.set(steps, d = kerasData(id, steps * batch));
          await model.fit(d.x, d.y, { batchSize: batch, epochs: 1, verbose: 0 });
        },
        dispose() { session.clear(); },
      };
    },
  };
}

// ---------------------------------------------------------------- TensorFlow.js

type TfModel = ReturnType<Tf['sequential']> | ReturnType<Tf['model']>;
type TfTensor = ReturnType<Tf['tensor']>;

function tfModel(tf: Tf, id: ModelId): TfModel {
  // Keras 3's optimizer defaults, spelled out because TensorFlow.js's differ (epsilon 1e-7).
  const adam = () => tf.train.adam(1e-3, 0.9, 0.999, 1e-7);
  switch (id) {
    case 'mnist_mlp': {
      const m = tf.sequential({
        layers: [
          tf.layers.dense({ units: 512, activation: 'relu', inputShape: [PIXELS] }), tf.layers.dropout({ rate: 0.2 }),
          tf.layers.dense({ units: 512, activation: 'relu' }), tf.layers.dropout({ rate: 0.2 }),
          tf.layers.dense({ units: NUM_CLASSES, activation: 'softmax' }),
        ],
      });
      m.compile({ optimizer: tf.train.rmsprop(1e-3, 0.9, 0, 1e-7), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
      return m;
    }
    case 'mnist_cnn': {
      const m = tf.sequential({
        layers: [
          tf.layers.conv2d({ filters: 32, kernelSize: 3, activation: 'relu', inputShape: [IMAGE_SIZE, IMAGE_SIZE, 1] }),
          tf.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }),
          tf.layers.maxPooling2d({ poolSize: 2 }), tf.layers.dropout({ rate: 0.25 }), tf.layers.flatten(),
          tf.layers.dense({ units: 128, activation: 'relu' }), tf.layers.dropout({ rate: 0.5 }),
          tf.layers.dense({ units: NUM_CLASSES, activation: 'softmax' }),
        ],
      });
      m.compile({ optimizer: adam(), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
      return m;
    }
    case 'conv_autoencoder': {
      const input = tf.input({ shape: [IMAGE_SIZE, IMAGE_SIZE, 1] });
      const conv = (filters: number, activation: 'relu' | 'sigmoid') => tf.layers.conv2d({ filters, kernelSize: 3, activation, padding: 'same' });
      const pool = () => tf.layers.maxPooling2d({ poolSize: 2, padding: 'same' });
      const up = () => tf.layers.conv2dTranspose({ filters: 32, kernelSize: 3, strides: 2, activation: 'relu', padding: 'same' });
      const stack = [conv(32, 'relu'), pool(), conv(32, 'relu'), pool(), up(), up(), conv(1, 'sigmoid')];
      const output = stack.reduce<ReturnType<Tf['input']>>((x, layer) => layer.apply(x) as ReturnType<Tf['input']>, input);
      const m = tf.model({ inputs: input, outputs: output });
      m.compile({ optimizer: adam(), loss: 'binaryCrossentropy' });
      return m;
    }
    case 'two_input_embedding': {
      type Sym = ReturnType<Tf['input']>;
      const words = tf.input({ shape: [SEQUENCE_LENGTH], dtype: 'int32' });
      const features = tf.input({ shape: [NUM_FEATURES] });
      const embedded = tf.layers.flatten().apply(tf.layers.embedding({ inputDim: VOCABULARY, outputDim: 8 }).apply(words)) as Sym;
      const dense = tf.layers.dense({ units: 8, activation: 'relu' }).apply(features) as Sym;
      const merged = tf.layers.concatenate().apply([embedded, dense]) as Sym;
      const hidden = tf.layers.dense({ units: 16, activation: 'relu' }).apply(merged) as Sym;
      const output = tf.layers.dense({ units: 1, activation: 'sigmoid' }).apply(hidden) as Sym;
      const m = tf.model({ inputs: [words, features], outputs: output });
      m.compile({ optimizer: adam(), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
      return m;
    }
  }
}

function tfData(tf: Tf, id: ModelId, rows: number): { x: TfTensor | TfTensor[]; y: TfTensor } {
  if (id === 'two_input_embedding') {
    const d = wordData();
    return {
      x: [tf.tensor(head(d.words, rows, SEQUENCE_LENGTH), [rows, SEQUENCE_LENGTH], 'int32'), tf.tensor(head(d.features, rows, NUM_FEATURES), [rows, NUM_FEATURES])],
      y: tf.tensor(head(d.labels, rows, 1), [rows, 1]),
    };
  }
  const d = mnistData();
  if (id === 'mnist_mlp') return { x: tf.tensor(head(d.x, rows, PIXELS), [rows, PIXELS]), y: tf.tensor(head(d.y, rows, NUM_CLASSES), [rows, NUM_CLASSES]) };
  const images = [rows, IMAGE_SIZE, IMAGE_SIZE, 1];
  if (id === 'mnist_cnn') return { x: tf.tensor(head(d.x, rows, PIXELS), images), y: tf.tensor(head(d.y, rows, NUM_CLASSES), [rows, NUM_CLASSES]) };
  return { x: tf.tensor(head(d.noisy, rows, PIXELS), images), y: tf.tensor(head(d.x, rows, PIXELS), images) };
}

/**
 * TensorFlow.js cpu trains a convolution for seconds per sample here (one mnist_cnn step of 128
 * images takes minutes), so the convolutional models run it on batches of 4. Its convolution
 * kernels loop over the samples of a batch, so samples/s hardly depends on the batch: one
 * mnist_cnn step took 9.3 s at batch 4 and 18 s at batch 8 on this machine.
 */
export const TF_CPU_CONV_BATCH = 4;

export function tfTrainer(id: ModelId, backendName: TfBackend): Trainer {
  const slowConv = backendName === 'cpu' && (id === 'mnist_cnn' || id === 'conv_autoencoder');
  const batch = slowConv ? TF_CPU_CONV_BATCH : MODELS[id].batch;
  const framework: Framework = backendName === 'cpu' ? 'TF.js cpu' : 'TF.js wasm';
  let label: string = framework;
  return {
    model: id, framework, batch,
    get label() { return label; },
    note: slowConv ? `batch ${TF_CPU_CONV_BATCH}: a step of ${MODELS[id].batch} takes minutes` : undefined,
    async prepare() {
      const tf = await useTf(backendName);
      label = `TF.js ${await backendInfo(tf)}`;
      const model = tfModel(tf, id);
      const data = new Map<number, { x: TfTensor | TfTensor[]; y: TfTensor }>();
      return {
        maxSteps: MODELS[id].batches,
        async epoch(steps) {
          let d = data.get(steps);
          if (d === undefined) data.set(steps, d = tfData(tf, id, steps * batch));
          await model.fit(d.x, d.y, { batchSize: batch, epochs: 1, verbose: 0 });
        },
        dispose() {
          for (const d of data.values()) tf.dispose([...[d.x].flat(), d.y]);
          model.dispose();
        },
      };
    },
  };
}

// ---------------------------------------------------------------- jax-js

/** jax-js expresses the MLP (see jaxjs.ts); the bench does not port the other models to it. */
export function jaxTrainer(): Trainer {
  const { batch, batches } = MODELS.mnist_mlp;
  return {
    model: 'mnist_mlp', framework: 'jax-js', label: 'jax-js wasm, 1 thread', batch,
    async prepare() {
      const jax = await loadJax();
      const mlp = jaxMlp(jax, mnistData(), batch);
      return { maxSteps: batches, epoch: (steps) => mlp.epoch(steps), dispose: () => mlp.dispose() };
    },
  };
}

/** Runs `f` with the environment variables of `trainer` set, and jax-js's navigator stand-in for jax-js. */
export async function inTrainerEnv<T>(trainer: Trainer, f: () => Promise<T>): Promise<T> {
  const saved = new Map<string, string | undefined>();
  for (const [k, v] of Object.entries(trainer.env ?? {})) {
    saved.set(k, process.env[k]);
    process.env[k] = v;
  }
  try {
    return trainer.framework === 'jax-js' ? await withNavigator(f) : await f();
  } finally {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}
