/**
 * The progress bar's text, against what tf.keras prints: the bar, ETA, per-step time, value
 * formatting, in-place redraw on a terminal and one line an epoch otherwise; verbose 2 lines;
 * and the `Epoch i/n` lines fit() prints.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { setSession } from '../src/api/backend.js';
import { formatEta, formatTimePerUnit, formatValue, Progbar, type ProgressOutput } from '../src/api/progress.js';
import { tensor } from '../src/api/tensor.js';
import { compileModel, evaluateModel, fitModel } from '../src/api/training/index.js';
import { Session } from '../src/runtime/session.js';
import { TinyDense, values } from './support/tiny-model.js';

function sink(isTTY: boolean): ProgressOutput & { text: string } {
  return { isTTY, text: '', write(t: string) { this.text += t; } };
}
/** A clock that returns the given times (ms) in turn. */
function clock(...times: number[]): () => number {
  let i = 0;
  return () => times[Math.min(i++, times.length - 1)];
}

const logs: [string, number][] = [['loss', 0.42134], ['accuracy', 0.88101]];

test('value, ETA and time formats follow Keras', () => {
  assert.is(formatValue(0.42134), '0.4213');
  assert.is(formatValue(0.0001234), '1.2340e-04');
  assert.is(formatValue(0), '0.0000e+00');
  assert.is(formatValue(NaN), 'nan');
  assert.is(formatValue(-2.5), '-2.5000');
  assert.is(formatEta(3.9), '3s');
  assert.is(formatEta(75), '1:15');
  assert.is(formatEta(3725), '1:02:05');
  assert.is(formatTimePerUnit(0.004, 'step'), ' 4ms/step');
  assert.is(formatTimePerUnit(2, 'step'), ' 2s/step');
  assert.is(formatTimePerUnit(0.00002, 'step'), ' 20us/step');
});

test('verbose 1 on a terminal: redrawn in place with \\r, ETA while running, time per step at the end', () => {
  const out = sink(true);
  // start 0 ms; step 1 at 1000 ms; step 12 at 1110 ms (10 ms a step after the first); end at 5690 ms.
  const bar = new Progbar({ target: 469, output: out, now: clock(0, 1000, 1110, 5690) });
  bar.update(1, logs, false);
  bar.update(12, logs, false);
  bar.update(469, logs, true);
  const frames = out.text.split('\r').filter((f) => f !== '');
  assert.is(frames[0], '  1/469 [..............................] - ETA: 7:48 - loss: 0.4213 - accuracy: 0.8810');
  // Padded with spaces over the longer previous frame ('ETA: 7:48' is two characters longer).
  assert.is(frames[1], ' 12/469 [..............................] - ETA: 4s - loss: 0.4213 - accuracy: 0.8810  ');
  assert.is(frames[2], '469/469 [==============================] - 6s 10ms/step - loss: 0.4213 - accuracy: 0.8810\n');
});

test('the bar fills with = and a > head', () => {
  const out = sink(true);
  const bar = new Progbar({ target: 10, output: out, now: clock(0, 100, 200, 300), interval: 0 });
  bar.update(3, [], false);
  assert.match(out.text, /^\r 3\/10 \[========>\.{21}\] - ETA: /);
});

test('verbose 1 without a terminal writes only the finished line of an epoch', () => {
  const out = sink(false);
  const bar = new Progbar({ target: 469, output: out, now: clock(0, 1000, 1110, 5690) });
  bar.update(1, logs, false);
  bar.update(12, logs, false);
  bar.update(469, logs, true);
  assert.is(out.text, '469/469 [==============================] - 6s 10ms/step - loss: 0.4213 - accuracy: 0.8810\n');
});

test('verbose 2: one line an epoch with the elapsed time', () => {
  const out = sink(true);
  const bar = new Progbar({ target: 469, verbose: 2, output: out, now: clock(0, 1000, 2100) });
  bar.update(100, logs, false);
  bar.update(469, [...logs, ['val_loss', 0.3]], true);
  assert.is(out.text, '469/469 - 2s - loss: 0.4213 - accuracy: 0.8810 - val_loss: 0.3000\n');
});

test('a shorter redraw pads over the previous line', () => {
  const out = sink(true);
  const bar = new Progbar({ target: 10, output: out, now: clock(0, 100, 200), interval: 0 });
  bar.update(1, [['loss', 12345.678]], false);
  bar.update(2, [['loss', 0.5]], false);
  const [first, second] = out.text.split('\r').filter((f) => f !== '');
  assert.is(second.length, first.length);
});

test('fit prints Epoch i/n and one line an epoch (verbose 2); evaluate prints its bar', async () => {
  const session = new Session({ seed: 1 });
  setSession(session);
  const model = new TinyDense(session, { inputs: 3, units: 2, kernel: values(6, 1) });
  compileModel(model, { loss: 'mse', metrics: ['mae'] });
  const x = tensor(new Float32Array(values(30, 2)), [10, 3]), y = tensor(new Float32Array(values(20, 3)), [10, 2]);
  const write = process.stdout.write.bind(process.stdout);
  let text = '';
  process.stdout.write = ((chunk: string | Uint8Array) => ((text += String(chunk)), true)) as typeof process.stdout.write;
  try {
    await fitModel(model, x, y, { epochs: 2, batchSize: 4, verbose: 2, validationData: [x, y] });
    evaluateModel(model, x, y, { verbose: 1 });
  } finally {
    process.stdout.write = write;
  }
  const lines = text.split('\n');
  assert.is(lines[0], 'Epoch 1/2');
  assert.match(lines[1], /^3\/3 - \d+s - loss: \d\.\d{4} - mae: \d\.\d{4} - val_loss: \d\.\d{4} - val_mae: \d\.\d{4}$/);
  assert.is(lines[2], 'Epoch 2/2');
  assert.match(lines[4].replace(/^.*\r/, ''), /^1\/1 \[={30}\] - \d+s \d+(ms|us|s)\/step - loss: \d\.\d{4} - mae: \d\.\d{4}$/);
});

test.run();
