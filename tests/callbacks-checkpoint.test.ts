/**
 * ModelCheckpoint in fit(): which files exist after saveBestOnly in each mode (derived from the
 * run's own history with Keras's rule), that each file holds the weights of the epoch or batch
 * it names, saveFreq in batches, whole-model files that load and predict the same, Keras's errors
 * and warnings, and the verbose lines Keras prints.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Input, Sequential, backend, callbacks, layers, loadModel, optimizers, tensor, type Model, type Tensor } from '../src/index.js';
import { pyFormatFloat } from '../src/api/callbacks/py-format.js';

function data(n: number, seed: number): number[] {
  let s = seed;
  return Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648 - 0.5;
  });
}
const x = tensor(data(24 * 3, 3), [24, 3]);
const labels = data(24, 11).map((v) => (v > 0 ? 1 : 0));
const y = tensor(labels, [24, 1]);
const weightsOf = (m: Model): number[][] => m.getWeights().map((t) => Array.from(t.data));

function model(lr = 0.5): Model {
  backend.setSession(new backend.Session({ seed: 77 }));
  const m = new Sequential([Input({ shape: [3] }), new layers.Dense(4, { activation: 'relu' }), new layers.Dense(1, { activation: 'sigmoid' })]);
  // A large SGD step makes val_loss go up and down, so saveBestOnly has epochs to skip.
  m.compile({ optimizer: new optimizers.SGD({ learningRate: lr, momentum: 0.9 }), loss: 'binary_crossentropy', metrics: ['accuracy'] });
  return m;
}

/** Weights at every epoch end and every batch end (global batch count from 1). */
class Recorder extends callbacks.Callback {
  epochs: number[][][] = [];
  batches: number[][][] = [];
  override onTrainBatchEnd(): void {
    this.batches.push(weightsOf(this.model as unknown as Model));
  }
  override onEpochEnd(): void {
    this.epochs.push(weightsOf(this.model as unknown as Model));
  }
}

/** Keras's rule: the first value always improves on None, then strictly better than the best so far. */
function improvingEpochs(values: readonly number[], up: boolean, initial?: number): number[] {
  const out: number[] = [];
  let best = initial;
  values.forEach((v, i) => {
    if (best === undefined || (up ? v > best : v < best)) {
      best = v;
      out.push(i);
    }
  });
  return out;
}

const original = backend.getSession();
let dirs: string[] = [];
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'keras-jit-ckpt-'));
  dirs.push(d);
  return d;
};
test.after.each(() => {
  backend.setSession(original);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

async function loadedWeights(file: string): Promise<number[][]> {
  const m = model();
  await m.loadWeights(file);
  return weightsOf(m);
}

test('saveBestOnly: files exist exactly for the improving epochs in min, max and auto modes, each with its epoch\'s weights', async () => {
  const dir = tempDir();
  const m = model();
  const recorder = new Recorder();
  const cb = (name: string, options: callbacks.ModelCheckpointOptions) =>
    new callbacks.ModelCheckpoint(join(dir, name, 'e{epoch:02d}.weights.h5'), { saveBestOnly: true, saveWeightsOnly: true, ...options });
  const h = await m.fit(x, y, {
    epochs: 8, batchSize: 8, verbose: 0, validationSplit: 0.25, shuffle: false,
    callbacks: [recorder, cb('min', { mode: 'min' }), cb('max', { mode: 'max' }), cb('auto-loss', {}), cb('auto-acc', { monitor: 'val_accuracy' }), cb('max-acc', { monitor: 'val_accuracy', mode: 'max' }), cb('thr', { mode: 'min', initialValueThreshold: 0 })],
  });
  const valLoss = h.history.val_loss;
  const names = (epochs: number[]) => epochs.map((e) => `e${String(e + 1).padStart(2, '0')}.weights.h5`);
  const files = (sub: string) => (existsSync(join(dir, sub)) ? readdirSync(join(dir, sub)).sort() : []);
  const minEpochs = improvingEpochs(valLoss, false);
  assert.ok(minEpochs.length < valLoss.length, `val_loss should not fall every epoch in this run: ${valLoss}`);
  assert.equal(files('min'), names(minEpochs));
  assert.equal(files('max'), names(improvingEpochs(valLoss, true)));
  assert.equal(files('auto-loss'), files('min'), "auto mode minimises val_loss");
  assert.equal(files('auto-acc'), names(improvingEpochs(h.history.val_accuracy, true)), 'auto mode maximises accuracy');
  assert.equal(files('auto-acc'), files('max-acc'));
  assert.equal(files('thr'), [], 'no loss beats initialValueThreshold 0');
  for (const e of minEpochs) assert.equal(await loadedWeights(join(dir, 'min', names([e])[0])), recorder.epochs[e]);
});

test('a fixed path with saveBestOnly keeps the best epoch\'s weights; without it the last epoch\'s', async () => {
  const dir = tempDir();
  const m = model();
  const recorder = new Recorder();
  const best = join(dir, 'best.weights.h5');
  const last = join(dir, 'last.weights.h5');
  const h = await m.fit(x, y, {
    epochs: 8, batchSize: 8, verbose: 0, validationSplit: 0.25, shuffle: false,
    callbacks: [recorder, new callbacks.ModelCheckpoint(best, { saveBestOnly: true, saveWeightsOnly: true }), new callbacks.ModelCheckpoint(last, { saveWeightsOnly: true })],
  });
  const v = h.history.val_loss;
  const bestEpoch = v.indexOf(Math.min(...v));
  assert.ok(bestEpoch !== v.length - 1, 'the last epoch should not be the best in this run');
  assert.equal(await loadedWeights(best), recorder.epochs[bestEpoch]);
  assert.equal(await loadedWeights(last), recorder.epochs[v.length - 1]);
  assert.equal(readdirSync(dir).sort(), ['best.weights.h5', 'last.weights.h5'], 'no temporary files left');
});

test('saveFreq in batches: saves after every N batches counted across epochs, with {batch} from 1', async () => {
  const dir = tempDir();
  const m = model();
  const recorder = new Recorder();
  // 24 samples / batch 8: 3 batches an epoch, 3 epochs; saveFreq 2 saves after global batches 2, 4, 6, 8.
  await m.fit(x, y, {
    epochs: 3, batchSize: 8, verbose: 0, shuffle: false,
    callbacks: [recorder, new callbacks.ModelCheckpoint(join(dir, 'e{epoch}-b{batch}.weights.h5'), { saveWeightsOnly: true, saveFreq: 2 })],
  });
  const expected = [2, 4, 6, 8].map((g) => ({ g, name: `e${Math.floor((g - 1) / 3) + 1}-b${((g - 1) % 3) + 1}.weights.h5` }));
  assert.equal(readdirSync(dir).sort(), expected.map((e) => e.name).sort());
  for (const e of expected) assert.equal(await loadedWeights(join(dir, e.name)), recorder.batches[e.g - 1]);
});

test('whole-model checkpoints (.keras and .h5) load back and predict the same', async () => {
  const dir = tempDir();
  const m = model();
  await m.fit(x, y, {
    epochs: 2, batchSize: 8, verbose: 0,
    callbacks: [new callbacks.ModelCheckpoint(join(dir, 'sub', 'm{epoch}.keras'), { monitor: 'loss' }), new callbacks.ModelCheckpoint(join(dir, 'm.h5'))],
  });
  assert.equal(readdirSync(join(dir, 'sub')).sort(), ['m1.keras', 'm2.keras'], 'the directory is created');
  const want = Array.from((m.predict(x, { verbose: 0 }) as Tensor).data);
  for (const file of [join(dir, 'sub', 'm2.keras'), join(dir, 'm.h5')]) {
    const back = await loadModel(file);
    assert.equal(Array.from((back.predict(x, { verbose: 0 }) as Tensor).data), want, file);
    assert.ok(back.compiled !== undefined, `${file} comes back compiled`);
  }
});

test('verbose 1 prints Keras\'s lines', async () => {
  const dir = tempDir();
  const m = model();
  const path = join(dir, 'best.weights.h5');
  const lines: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string) => {
    lines.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  let h: callbacks.History | undefined;
  try {
    h = await m.fit(x, y, { epochs: 8, batchSize: 8, verbose: 0, validationSplit: 0.25, shuffle: false, callbacks: [new callbacks.ModelCheckpoint(path, { saveBestOnly: true, saveWeightsOnly: true, verbose: 1 })] });
  } finally {
    process.stdout.write = write;
  }
  const v = h!.history.val_loss;
  const expected: string[] = [];
  let best: number | undefined;
  v.forEach((value, e) => {
    const bestText = best === undefined ? 'None' : pyFormatFloat(best, '.5f');
    if (best === undefined || value < best) {
      expected.push(`\nEpoch ${e + 1}: val_loss improved from ${bestText} to ${pyFormatFloat(value, '.5f')}, saving model to ${path}\n`);
      expected.push(`\nEpoch ${e + 1}: finished saving model to ${path}\n`);
      best = value;
    } else expected.push(`\nEpoch ${e + 1}: val_loss did not improve from ${bestText}\n`);
  });
  assert.equal(lines, expected);
});

test('monitor not in the logs: Keras\'s warning, and the checkpoint is saved anyway', async () => {
  const dir = tempDir();
  const m = model();
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (msg: string) => warnings.push(msg);
  try {
    await m.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0, callbacks: [new callbacks.ModelCheckpoint(join(dir, 'e{epoch}.weights.h5'), { saveBestOnly: true, saveWeightsOnly: true })] });
  } finally {
    console.warn = warn;
  }
  assert.equal(warnings, ['Can save best model only with val_loss available.', 'Can save best model only with val_loss available.']);
  assert.equal(readdirSync(dir).sort(), ['e1.weights.h5', 'e2.weights.h5']);
});

async function fitError(cb: callbacks.Callback): Promise<string> {
  const m = model();
  try {
    await m.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0, validationSplit: 0.25, callbacks: [cb] });
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
  return 'no error';
}

test('errors: Keras\'s wording for paths, save_freq, template keys, auto mode; strict options', async () => {
  assert.throws(() => new callbacks.ModelCheckpoint('m.weights.h5.tmp', { saveWeightsOnly: true }), /When using `save_weights_only=True` in `ModelCheckpoint`, the filepath provided must end in `\.weights\.h5` \(Keras weights format\)\. Received: filepath=m\.weights\.h5\.tmp/);
  assert.throws(() => new callbacks.ModelCheckpoint('m.ckpt'), /The filepath provided must end in `\.keras` \(Keras model format\)\. Received: filepath=m\.ckpt/);
  assert.throws(() => new callbacks.ModelCheckpoint('m.keras', { saveFreq: 'batch' as never }), /Unrecognized save_freq: batch\. Expected save_freq are 'epoch' or integer values/);
  assert.throws(() => new callbacks.ModelCheckpoint('m.keras', { saveFreq: 2.5 }), /Unrecognized save_freq: 2\.5/);
  assert.throws(() => new callbacks.ModelCheckpoint('m.keras', { mode: 'best' as never }), /mode must be 'auto', 'min' or 'max', got 'best'/);
  assert.throws(() => new callbacks.ModelCheckpoint('m.keras', { save_best_only: true } as never), /saveBestOnly/);
  const dir = tempDir();
  assert.is(await fitError(new callbacks.ModelCheckpoint(join(dir, '{mape:.2f}.keras'))), `Failed to format this callback filepath: "${join(dir, '{mape:.2f}.keras')}". Reason: 'mape'`);
  assert.match(await fitError(new callbacks.ModelCheckpoint(join(dir, 'x.keras'), { monitor: 'val_custom', saveBestOnly: true })), /ModelCheckpoint callback received monitor=val_custom, but Keras isn't able to automatically determine whether that metric should be maximized or minimized\. Pass `mode='max'`/);
  mkdirSync(join(dir, 'taken.keras'));
  assert.match(await fitError(new callbacks.ModelCheckpoint(join(dir, 'taken.keras'))), /Please specify a non-directory filepath for ModelCheckpoint\. Filepath used is an existing directory: /);
});

test.run();
