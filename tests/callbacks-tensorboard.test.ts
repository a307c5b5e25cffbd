/**
 * TensorBoard event files read back by an independent reader (tests/support/event-reader.ts):
 * every record's CRCs, the file version, epoch scalars equal to History's values, validation
 * scalars in their own run, batch scalars at updateFreq, weight histograms equal to the weights
 * at that epoch. CRC32C checked against its published check value.
 */
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Sequential, Session, backend as K, callbacks, layers, optimizers, tensor } from '../src/index.js';
import { crc32c, histogramOf, maskedCrc32c, tfRecord } from '../src/api/callbacks/event-file.js';
import { crc32cBitwise, readEventFile, readRecords, type ParsedEvent } from './support/event-reader.js';
import { values } from './support/tiny-model.js';

const IN = 3, N = 12;
const x = tensor(new Float32Array(values(N * IN, 61)), [N, IN]);
const y = tensor(new Float32Array(values(N, 62)), [N, 1]);

function model(): Sequential {
  K.setSession(new Session({ seed: 4 }));
  const m = new Sequential([new layers.Dense(4, { inputShape: [IN], activation: 'relu' }), new layers.Dense(1)]);
  m.compile({ optimizer: new optimizers.SGD({ learningRate: 0.05 }), loss: 'mse', metrics: ['mae'] });
  return m;
}

function eventsIn(dir: string): ParsedEvent[] {
  const files = readdirSync(dir).filter((f) => f.startsWith('events.out.tfevents.'));
  assert.is(files.length, 1, `one event file in ${dir}`);
  assert.match(files[0], /\.v2$/);
  return readEventFile(join(dir, files[0]));
}

test('CRC32C has its published check value, and records carry masked CRCs of length and data', () => {
  const check = new TextEncoder().encode('123456789');
  assert.is(crc32c(check), 0xe3069283);
  assert.is(crc32cBitwise(check), 0xe3069283);
  const data = new TextEncoder().encode('keras-jit');
  const record = tfRecord(data);
  assert.equal(readRecords(record).map((r) => Array.from(r)), [Array.from(data)]);
  assert.is(new DataView(record.buffer).getUint32(12 + data.length, true), maskedCrc32c(data));
  const corrupt = record.slice();
  corrupt[14] ^= 1;
  assert.throws(() => readRecords(corrupt), /bad data CRC/);
});

test('epoch scalars, validation scalars, batch scalars and weight histograms read back as written', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'keras-jit-tb-'));
  const m = model();
  const weightsAtEpoch: number[][][] = [];
  const snapshot = new callbacks.LambdaCallback({ onEpochEnd: () => void weightsAtEpoch.push(m.getWeights().map((w) => Array.from(w.data))) });
  const board = new callbacks.TensorBoard(dir, { updateFreq: 2, histogramFreq: 2 });
  const history = await m.fit(x, y, { epochs: 3, batchSize: 4, shuffle: false, validationData: [x, y], verbose: 0, callbacks: [snapshot, board] });

  const train = eventsIn(join(dir, 'train'));
  assert.is(train[0].fileVersion, 'brain.Event:2');
  const epochEvents = train.filter((e) => 'epoch_loss' in e.scalars);
  assert.equal(epochEvents.map((e) => e.step), [0, 1, 2]);
  epochEvents.forEach((e, i) => {
    assert.is(e.scalars.epoch_loss, Math.fround(history.history.loss[i]));
    assert.is(e.scalars.epoch_mae, Math.fround(history.history.mae[i]));
    assert.is(e.scalars.epoch_learning_rate, Math.fround(0.05));
    assert.ok(!('epoch_val_loss' in e.scalars), 'validation values go to the validation run');
  });
  // 3 epochs of 3 batches, every 2nd global batch: steps 2, 4, 6, 8.
  const batchEvents = train.filter((e) => 'batch_loss' in e.scalars);
  assert.equal(batchEvents.map((e) => e.step), [2, 4, 6, 8]);
  // Histograms at epochs 0 and 2, one per weight, equal to the weights then.
  const withHistograms = train.filter((e) => Object.keys(e.histograms).length > 0);
  assert.equal(withHistograms.map((e) => e.step), [0, 2]);
  const names = Object.keys(withHistograms[0].histograms);
  assert.equal(names, m.layers.filter((l) => l.countParams() > 0).flatMap((l) => [`${l.name}/kernel/histogram`, `${l.name}/bias/histogram`]));
  for (const [k, e] of withHistograms.entries()) {
    const epoch = k * 2;
    Object.values(e.histograms).forEach((h, w) => {
      const weights = weightsAtEpoch[epoch][w];
      assert.is(h.num, weights.length);
      assert.is(h.bucket.reduce((a, b) => a + b, 0), weights.length, 'every value in a bucket');
      assert.is(h.min, Math.min(...weights));
      assert.is(h.max, Math.max(...weights));
      assert.ok(Math.abs(h.sum - weights.reduce((a, b) => a + b, 0)) < 1e-9);
      assert.is(h.bucketLimit.at(-1), h.max);
    });
  }
  const validation = eventsIn(join(dir, 'validation'));
  assert.is(validation[0].fileVersion, 'brain.Event:2');
  assert.equal(validation.slice(1).map((e) => e.scalars.epoch_loss), history.history.val_loss.map(Math.fround));
  assert.equal(validation.slice(1).map((e) => e.scalars.epoch_mae), history.history.val_mae.map(Math.fround));
  writeFileSync(join(dir, 'history.json'), JSON.stringify(history.history));
});

test('histogram buckets: each value counted once, in (limit[i-1], limit[i]]', () => {
  const data = [-1, -0.5, 0, 0, 0.25, 1, 3];
  const h = histogramOf(data, 4);
  assert.equal(h.bucketLimit, [0, 1, 2, 3]);
  assert.equal(h.bucket, [4, 2, 0, 1]);
  assert.equal(histogramOf([2, 2], 30).bucket, [2], 'a constant weight is one bucket');
});

test('TensorBoard options are strict and checked', () => {
  assert.throws(() => new callbacks.TensorBoard('logs', { update_freq: 'batch' } as never), /Did you mean 'updateFreq'\?/);
  assert.throws(() => new callbacks.TensorBoard('logs', { writeGraph: true } as never), /option 'writeGraph' is not supported/);
  assert.throws(() => new callbacks.TensorBoard('logs', { updateFreq: 0 }), /updateFreq must be 'epoch', 'batch' or an integer >= 1/);
  assert.throws(() => new callbacks.TensorBoard('logs', { histogramFreq: -1 }), /histogramFreq must be an integer >= 0/);
  assert.throws(() => new callbacks.TensorBoard(''), /logDir must be a directory path/);
});

test.run();
