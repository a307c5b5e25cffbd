/**
 * Callbacks through fit(): hook order and logs, EarlyStopping (patience, restoreBestWeights),
 * LearningRateScheduler, ReduceLROnPlateau, TerminateOnNaN and CSVLogger.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { setSession } from '../src/api/backend.js';
import { Callback, CSVLogger, EarlyStopping, LearningRateScheduler, ReduceLROnPlateau, TerminateOnNaN, type Logs } from '../src/api/callbacks.js';
import { SGD } from '../src/api/optimizers.js';
import { pyRepr } from '../src/api/pyformat.js';
import { tensor } from '../src/api/tensor.js';
import { compileModel, fitModel } from '../src/api/training/index.js';
import { Session } from '../src/runtime/session.js';
import { TinyDense, values } from './support/tiny-model.js';

const IN = 3, UNITS = 2, N = 10;
const x = tensor(new Float32Array(values(N * IN, 31)), [N, IN]);
const y = tensor(new Float32Array(values(N * UNITS, 32)), [N, UNITS]);

function setup(learningRate: number): { session: Session; model: TinyDense; opt: SGD } {
  const session = new Session({ seed: 3 });
  setSession(session);
  const model = new TinyDense(session, { inputs: IN, units: UNITS, kernel: values(IN * UNITS, 33, 0.5) });
  const opt = new SGD({ learningRate });
  compileModel(model, { optimizer: opt, loss: 'mse', metrics: ['mae'] });
  return { session, model, opt };
}

/** Captures stdout while `fn` runs. */
async function captureStdout(fn: () => Promise<unknown>): Promise<string> {
  const write = process.stdout.write.bind(process.stdout);
  let out = '';
  process.stdout.write = ((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  }) as typeof process.stdout.write;
  try {
    await fn();
  } finally {
    process.stdout.write = write;
  }
  return out;
}

class Recorder extends Callback {
  events: string[] = [];
  batchLogs: Logs[] = [];
  override onTrainBegin() { this.events.push('trainBegin'); }
  override onTrainEnd() { this.events.push('trainEnd'); }
  override onEpochBegin(e: number) { this.events.push(`epochBegin${e}`); }
  override onEpochEnd(e: number, logs?: Logs) { this.events.push(`epochEnd${e}:${Object.keys(logs ?? {}).join(',')}`); }
  override onBatchBegin(b: number) { this.events.push(`batchBegin${b}`); }
  override onBatchEnd(b: number, logs?: Logs) {
    this.events.push(`batchEnd${b}`);
    this.batchLogs.push({ ...logs });
  }
}

test('hooks run in Keras order with running-average batch logs; model and params are set', async () => {
  const { model } = setup(0);
  const r = new Recorder();
  await fitModel(model, x, y, { epochs: 2, batchSize: 4, validationData: [x, y], shuffle: false, verbose: 0, callbacks: [r] });
  assert.equal(r.events, [
    'trainBegin',
    'epochBegin0', 'batchBegin0', 'batchEnd0', 'batchBegin1', 'batchEnd1', 'batchBegin2', 'batchEnd2', 'epochEnd0:loss,mae,val_loss,val_mae',
    'epochBegin1', 'batchBegin0', 'batchEnd0', 'batchBegin1', 'batchEnd1', 'batchBegin2', 'batchEnd2', 'epochEnd1:loss,mae,val_loss,val_mae',
    'trainEnd',
  ]);
  assert.is(r.model, model);
  assert.equal(r.params, { verbose: 0, epochs: 2, steps: 3 });
  // With a zero learning rate the running average after the last batch is the epoch value: the whole-data loss.
  assert.ok(Math.abs(r.batchLogs[2].loss - r.batchLogs[5].loss) < 1e-7);
});

test('async callbacks are awaited', async () => {
  const { model } = setup(0.01);
  const seen: number[] = [];
  class Slow extends Callback {
    override async onEpochEnd(epoch: number) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      seen.push(epoch);
    }
  }
  await fitModel(model, x, y, { epochs: 3, verbose: 0, callbacks: [new Slow()] });
  assert.equal(seen, [0, 1, 2]);
});

test('EarlyStopping stops after `patience` epochs without improvement', async () => {
  const { model } = setup(0);
  const es = new EarlyStopping({ monitor: 'loss', patience: 2 });
  const h = await fitModel(model, x, y, { epochs: 10, verbose: 0, callbacks: [es] });
  // Epoch 0 sets the best; epochs 1 and 2 do not improve; Keras stops at the end of epoch 2.
  assert.equal(h.epoch, [0, 1, 2]);
  assert.is(es.stoppedEpoch, 2);
});

test('EarlyStopping restores the best weights', async () => {
  const { session, model } = setup(3); // a learning rate this large diverges: epoch 0 is the best
  const snapshots: number[][] = [];
  class Snap extends Callback {
    override onEpochEnd() { snapshots.push(Array.from(session.read(model.kernel))); }
  }
  const es = new EarlyStopping({ monitor: 'loss', patience: 1, restoreBestWeights: true });
  const h = await fitModel(model, x, y, { epochs: 10, verbose: 0, shuffle: false, callbacks: [new Snap(), es] });
  assert.ok(h.history.loss[1] > h.history.loss[0], 'diverges');
  assert.is(es.bestEpoch, 0);
  assert.equal(Array.from(session.read(model.kernel)), snapshots[0]);
});

test("EarlyStopping's auto mode maximises accuracy-like values and honours minDelta and baseline", () => {
  const es = new EarlyStopping({ monitor: 'val_accuracy', minDelta: 0.1, baseline: 0.5, patience: 1 });
  const model = { stopTraining: false } as unknown as TinyDense;
  es.setModel(model);
  es.onTrainBegin();
  es.onEpochEnd(0, { val_accuracy: 0.3 }); // improves on -inf but not on the baseline: wait stays 1
  assert.is(es.wait, 1);
  es.onEpochEnd(1, { val_accuracy: 0.35 }); // below best + minDelta
  assert.ok(model.stopTraining);
});

test('LearningRateScheduler sets the rate each epoch and logs learning_rate', async () => {
  const { opt, model } = setup(0.1);
  const h = await fitModel(model, x, y, { epochs: 3, verbose: 0, callbacks: [new LearningRateScheduler((epoch) => 0.1 / (epoch + 1))] });
  assert.equal(h.history.learning_rate, [0.1, 0.05, 0.1 / 3]);
  assert.is(opt.learningRate, 0.1 / 3);
});

test('ReduceLROnPlateau multiplies the rate by factor after patience epochs without improvement', async () => {
  const { opt, model } = setup(1e-9);
  const h = await fitModel(model, x, y, { epochs: 5, verbose: 0, callbacks: [new ReduceLROnPlateau({ monitor: 'loss', patience: 2, factor: 0.5 })] });
  assert.equal(h.history.learning_rate, [1e-9, 1e-9, 1e-9, 5e-10, 5e-10]);
  assert.is(opt.learningRate, 2.5e-10);
  assert.throws(() => new ReduceLROnPlateau({ factor: 1 }), /factor >= 1.0/);
});

test('TerminateOnNaN stops at the first NaN batch', async () => {
  const { model } = setup(0.1);
  const bad = tensor(new Float32Array(N * UNITS).fill(NaN), [N, UNITS]);
  const r = new Recorder();
  let h: Awaited<ReturnType<typeof fitModel>> | undefined;
  const out = await captureStdout(async () => {
    h = await fitModel(model, x, bad, { epochs: 5, batchSize: 4, verbose: 0, callbacks: [new TerminateOnNaN(), r] });
  });
  assert.match(out, /Batch 0: Invalid loss, terminating training/);
  assert.equal(h!.epoch, [0]);
  assert.is(r.batchLogs.length, 1);
  assert.ok(Number.isNaN(h!.history.loss[0]));
});

test('CSVLogger writes Keras CSV: epoch then sorted keys, Python floats, CRLF; append adds rows', async () => {
  const { model } = setup(0.01);
  const file = join(mkdtempSync(join(tmpdir(), 'keras-jit-')), 'log.csv');
  const h = await fitModel(model, x, y, { epochs: 2, verbose: 0, validationData: [x, y], callbacks: [new CSVLogger(file)] });
  const lines = readFileSync(file, 'utf8').split('\r\n');
  assert.is(lines[0], 'epoch,loss,mae,val_loss,val_mae');
  assert.is(lines[1], ['0', ...['loss', 'mae', 'val_loss', 'val_mae'].map((k) => pyRepr(h.history[k][0]))].join(','));
  assert.is(lines.length, 4); // header, two rows, and the empty string after the last CRLF
  await fitModel(model, x, y, { epochs: 1, verbose: 0, validationData: [x, y], callbacks: [new CSVLogger(file, { append: true })] });
  assert.is(readFileSync(file, 'utf8').split('\r\n').length, 5);
});

test('pyRepr formats as Python repr(float)', () => {
  assert.is(pyRepr(1), '1.0');
  assert.is(pyRepr(0.1), '0.1');
  assert.is(pyRepr(1e-5), '1e-05');
  assert.is(pyRepr(1.5e-7), '1.5e-07');
  assert.is(pyRepr(0.0001), '0.0001');
  assert.is(pyRepr(1e16), '1e+16');
  assert.is(pyRepr(123456789012345.6), '123456789012345.6');
  assert.is(pyRepr(NaN), 'nan');
  assert.is(pyRepr(-Infinity), '-inf');
});

test.run();
