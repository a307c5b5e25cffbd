/**
 * BackupAndRestore: a fit() interrupted by an error (in onEpochEnd, or mid-epoch after a batch
 * backup) and then run again in a fresh session and a freshly built model, as after a process
 * restart, ends with exactly the weights of the uninterrupted run: the weights and optimizer
 * state come back from the backup, shuffling repeats from (session seed, epoch), and Dropout's
 * random stream from the recorded run counter. History holds only the resumed epochs, as Keras's.
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Input, Sequential, backend, callbacks, layers, optimizers, tensor, type Model, type Tensor } from '../src/index.js';

class Interrupt extends Error {}

/** Throws at the end of epoch `epoch` (after the callbacks before it ran), or after global batch `batch`. */
class Interrupter extends callbacks.Callback {
  private seen = 0;
  constructor(private readonly at: { epoch?: number; batch?: number }) {
    super();
  }
  override onTrainBatchEnd(): void {
    this.seen += 1;
    if (this.at.batch !== undefined && this.seen === this.at.batch) throw new Interrupt(`interrupted after batch ${this.seen}`);
  }
  override onEpochEnd(epoch: number): void {
    if (epoch === this.at.epoch) throw new Interrupt(`interrupted at the end of epoch ${epoch}`);
  }
}

function data(n: number, seed: number): number[] {
  let s = seed;
  return Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648 - 0.5;
  });
}
const x = tensor(data(20 * 4, 5), [20, 4]);
const y = tensor(data(20 * 2, 9), [20, 2]);
const FIT = { epochs: 5, batchSize: 6, verbose: 0, validationSplit: 0.2 } as const;

/** A fresh "process": a new session with the same seed, and the model built and compiled in it. */
function freshModel(): Model {
  backend.setSession(new backend.Session({ seed: 1234 }));
  const model = new Sequential([Input({ shape: [4] }), new layers.Dense(8, { activation: 'tanh' }), new layers.Dropout(0.3), new layers.Dense(2)]);
  model.compile({ optimizer: new optimizers.Adam({ learningRate: 0.05 }), loss: 'mse', metrics: ['mae'] });
  return model;
}
const weightsOf = (m: Model): number[][] => m.getWeights().map((t) => Array.from(t.data));

const original = backend.getSession();
let dirs: string[] = [];
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'keras-jit-backup-'));
  dirs.push(d);
  return d;
};
test.after.each(() => {
  backend.setSession(original);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

async function uninterrupted(): Promise<{ weights: number[][]; loss: number[] }> {
  const model = freshModel();
  const h = await model.fit(x, y, FIT);
  return { weights: weightsOf(model), loss: h.history.loss };
}

async function interruptedThenResumed(dir: string, options: callbacks.BackupAndRestoreOptions, at: { epoch?: number; batch?: number }) {
  const first = freshModel();
  let thrown: unknown;
  try {
    await first.fit(x, y, { ...FIT, callbacks: [new callbacks.BackupAndRestore(dir, options), new Interrupter(at)] });
  } catch (e) {
    thrown = e;
  }
  assert.instance(thrown, Interrupt);
  const backupFiles = readdirSync(dir).sort();
  const metadata = JSON.parse(readFileSync(join(dir, 'training_metadata.json'), 'utf8')) as Record<string, number>;
  const second = freshModel();
  const h = await second.fit(x, y, { ...FIT, callbacks: [new callbacks.BackupAndRestore(dir, options)] });
  return { weights: weightsOf(second), history: h, backupFiles, metadata };
}

test('interrupted at the end of epoch 2, resumed in a fresh session: the weights equal the uninterrupted run exactly', async () => {
  const reference = await uninterrupted();
  const dir = join(tempDir(), 'backup');
  const run = await interruptedThenResumed(dir, {}, { epoch: 2 });
  // The backup of epoch 2 was written before the interrupter threw: Keras's metadata says epoch 3.
  assert.equal(run.backupFiles, ['latest.weights.h5', 'training_metadata.json']);
  assert.is(run.metadata.epoch, 3);
  assert.is(run.metadata.batch, 0);
  assert.equal(run.history.epoch, [3, 4]);
  assert.equal(run.history.history.loss, reference.loss.slice(3));
  assert.equal(run.weights, reference.weights);
  assert.not.ok(existsSync(dir), 'deleteCheckpoint (default true) removes the backup directory at the end');
});

test('a fresh model without the backup differs, so the equality above is not vacuous', async () => {
  const reference = await uninterrupted();
  const model = freshModel();
  await model.fit(x, y, { ...FIT, epochs: 2 });
  assert.not.equal(weightsOf(model), reference.weights);
});

test('saveFreq in batches: interrupted mid-epoch, the resumed run continues at the next batch and ends equal', async () => {
  const reference = await uninterrupted();
  const dir = join(tempDir(), 'b');
  // 16 training samples / batch 6: 3 batches an epoch. Backups after global batches 4 and 8; interrupt after 9.
  const run = await interruptedThenResumed(dir, { saveFreq: 4, deleteCheckpoint: false }, { batch: 9 });
  // Global batch 8 is epoch 2 (0-based), batch index 1: two batches of it done.
  assert.is(run.metadata.epoch, 2);
  assert.is(run.metadata.batch, 1);
  assert.is(run.metadata.keras_jit_batches_completed, 2);
  assert.equal(run.history.epoch, [2, 3, 4]);
  assert.equal(run.weights, reference.weights);
  assert.ok(existsSync(join(dir, 'latest.weights.h5')), 'deleteCheckpoint: false keeps the backup');
});

test('metadata as Keras writes it (epoch and batch only) resumes at the start of that epoch', async () => {
  const dir = join(tempDir(), 'k');
  const first = freshModel();
  await first.fit(x, y, { ...FIT, epochs: 2, callbacks: [new callbacks.BackupAndRestore(dir, { deleteCheckpoint: false })] });
  writeFileSync(join(dir, 'training_metadata.json'), JSON.stringify({ epoch: 2, batch: 0 }));
  const second = freshModel();
  const h = await second.fit(x, y, { ...FIT, callbacks: [new callbacks.BackupAndRestore(dir)] });
  assert.equal(h.epoch, [2, 3, 4]);
});

test('doubleCheckpoint: a corrupt latest backup falls back to the previous one, and the run still ends equal', async () => {
  const reference = await uninterrupted();
  const dir = join(tempDir(), 'd');
  const first = freshModel();
  try {
    await first.fit(x, y, { ...FIT, callbacks: [new callbacks.BackupAndRestore(dir, { doubleCheckpoint: true }), new Interrupter({ epoch: 3 })] });
  } catch (e) {
    assert.instance(e, Interrupt);
  }
  assert.equal(readdirSync(dir).sort(), ['latest.weights.h5', 'latest.weights.h5.bkp', 'training_metadata.json', 'training_metadata.json.bkp']);
  writeFileSync(join(dir, 'latest.weights.h5'), 'not an HDF5 file');
  const second = freshModel();
  const h = await second.fit(x, y, { ...FIT, callbacks: [new callbacks.BackupAndRestore(dir, { doubleCheckpoint: true })] });
  assert.equal(h.epoch, [3, 4], 'the previous backup is the one of epoch 2 (index), so epoch 3 runs again');
  assert.equal(weightsOf(second), reference.weights);
});

test('a corrupt backup without doubleCheckpoint is an error naming the file', async () => {
  const dir = join(tempDir(), 'c');
  const first = freshModel();
  await first.fit(x, y, { ...FIT, epochs: 1, callbacks: [new callbacks.BackupAndRestore(dir, { deleteCheckpoint: false })] });
  writeFileSync(join(dir, 'latest.weights.h5'), 'garbage');
  const second = freshModel();
  let message = '';
  try {
    await second.fit(x, y, { ...FIT, callbacks: [new callbacks.BackupAndRestore(dir)] });
  } catch (e) {
    message = e instanceof Error ? e.message : String(e);
  }
  assert.match(message, /latest\.weights\.h5/);
});

test('streamed data: backs up and cleans up; resuming from a backup is a clear "not supported" error', async () => {
  const dir = join(tempDir(), 's');
  const rows = (t: Tensor, from: number, to: number) => tensor(Array.from(t.data).slice(from * t.shape[1], to * t.shape[1]), [to - from, t.shape[1]]);
  const batches = function* () {
    for (const at of [0, 6, 12]) yield [rows(x, at, Math.min(at + 6, 20)), rows(y, at, Math.min(at + 6, 20))] as const;
  };
  const m = freshModel();
  const h = await m.fit(batches, undefined, { epochs: 2, verbose: 0, callbacks: [new callbacks.BackupAndRestore(dir)] });
  assert.equal(h.epoch, [0, 1]);
  assert.not.ok(existsSync(dir));
  await m.fit(x, y, { ...FIT, epochs: 1, callbacks: [new callbacks.BackupAndRestore(dir, { deleteCheckpoint: false })] });
  let message = '';
  try {
    await m.fit(batches, undefined, { epochs: 2, verbose: 0, callbacks: [new callbacks.BackupAndRestore(dir)] });
  } catch (e) {
    message = e instanceof Error ? e.message : String(e);
  }
  assert.match(message, /resuming a run on streamed data \(BackupAndRestore restored epoch 1, batch 0\) is not supported/);
});

test('a backup written by real Keras 3 (tests/fixtures/keras_backup.py) restores its weights, optimizer state and epoch', async () => {
  const fixtures = new URL('../../tests/fixtures/keras3/', import.meta.url);
  const expected = JSON.parse(readFileSync(new URL('backup_expected.json', fixtures), 'utf8')) as { weights: unknown[]; iterations: number; x: number[][]; y: number[][] };
  const dir = join(tempDir(), 'keras');
  cpSync(new URL('backup/', fixtures), dir, { recursive: true });
  backend.setSession(new backend.Session({ seed: 5 }));
  const model = new Sequential([Input({ shape: [4] }), new layers.Dense(5, { activation: 'tanh' }), new layers.Dense(2)]);
  model.compile({ optimizer: new optimizers.Adam({ learningRate: 0.01 }), loss: 'mse' });
  let restored: number[][] = [];
  let iterations = -1;
  const probe = new callbacks.LambdaCallback({
    onTrainBegin: () => {
      restored = weightsOf(model);
      iterations = model.compiled!.optimizer.iterations;
    },
  });
  const h = await model.fit(tensor(expected.x), tensor(expected.y), { epochs: 4, batchSize: 4, verbose: 0, callbacks: [new callbacks.BackupAndRestore(dir), probe] });
  assert.equal(restored, expected.weights.map((w) => (w as number[] | number[][]).flat()));
  assert.is(iterations, expected.iterations);
  assert.equal(h.epoch, [2, 3], 'Keras wrote {"epoch": 2, "batch": 0}: two epochs remain');
});

test('bad arguments: Keras messages, strict option keys', () => {
  assert.throws(() => new callbacks.BackupAndRestore(''), /Empty `backup_dir` argument passed/);
  assert.throws(() => new callbacks.BackupAndRestore('d', { saveFreq: 'batch' as never }), /Invalid value for argument `save_freq`\. Received: save_freq=batch\. Expected either 'epoch' or an integer value\./);
  assert.throws(() => new callbacks.BackupAndRestore('d', { saveFreq: 0 }), /saveFreq must be 'epoch' or an integer >= 1/);
  assert.throws(() => new callbacks.BackupAndRestore('d', { delete_checkpoint: false } as never), /deleteCheckpoint/);
});

test('an unbuilt model is Keras\'s error', async () => {
  backend.setSession(new backend.Session({ seed: 1 }));
  const model = new Sequential([new layers.Dense(2)]);
  const cb = new callbacks.BackupAndRestore(join(tempDir(), 'u'));
  cb.setModel(model as never);
  let message = '';
  try {
    await cb.onTrainBegin();
  } catch (e) {
    message = e instanceof Error ? e.message : String(e);
  }
  assert.match(message, /To use the BackupAndRestore callback, you model must be built before you call `fit\(\)`/);
});

test.run();
