/**
 * LambdaCallback (hooks called in Keras's order with Keras's arguments, async hooks awaited,
 * strict options) and ProgbarLogger given as a callback: it replaces fit()'s own bar, follows
 * fit()'s verbose, and prints an epoch of streamed data of unknown length once it has ended.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Sequential, Session, backend as K, callbacks, layers, tensor, type Tensor } from '../src/index.js';
import { values } from './support/tiny-model.js';

const IN = 2, N = 6;
const x = tensor(new Float32Array(values(N * IN, 71)), [N, IN]);
const y = tensor(new Float32Array(values(N, 72)), [N, 1]);

function model(): Sequential {
  K.setSession(new Session({ seed: 9 }));
  const m = new Sequential([new layers.Dense(1, { inputShape: [IN] })]);
  m.compile({ optimizer: 'sgd', loss: 'mse' });
  return m;
}

function rows(t: Tensor, from: number, to: number): Tensor {
  const row = t.size / t.shape[0];
  return tensor(t.data.slice(from * row, to * row) as Float32Array, [to - from, ...t.shape.slice(1)]);
}

test('LambdaCallback calls each hook in order with its arguments, awaiting async ones', async () => {
  const m = model();
  const events: string[] = [];
  const lambda = new callbacks.LambdaCallback({
    onTrainBegin: () => void events.push('trainBegin'),
    onEpochBegin: (e) => void events.push(`epochBegin ${e}`),
    onBatchBegin: (b) => void events.push(`batchBegin ${b}`),
    onBatchEnd: async (b, logs) => {
      await new Promise((r) => setTimeout(r, 1));
      events.push(`batchEnd ${b} ${typeof logs?.loss}`);
    },
    onEpochEnd: (e, logs) => void events.push(`epochEnd ${e} ${Object.keys(logs ?? {}).join(',')}`),
    onTrainEnd: () => void events.push('trainEnd'),
    onTestBegin: () => void events.push('testBegin'),
    onTestEnd: (logs) => void events.push(`testEnd ${Object.keys(logs ?? {}).join(',')}`),
    onPredictEnd: () => void events.push('predictEnd'),
  });
  await m.fit(x, y, { epochs: 2, batchSize: 3, verbose: 0, callbacks: [lambda] });
  assert.equal(events, [
    'trainBegin',
    'epochBegin 0', 'batchBegin 0', 'batchEnd 0 number', 'batchBegin 1', 'batchEnd 1 number', 'epochEnd 0 loss',
    'epochBegin 1', 'batchBegin 0', 'batchEnd 0 number', 'batchBegin 1', 'batchEnd 1 number', 'epochEnd 1 loss',
    'trainEnd',
  ]);
  events.length = 0;
  m.evaluate(x, y, { verbose: 0, callbacks: [lambda] });
  m.predict(x, { verbose: 0, callbacks: [lambda] });
  assert.equal(events, ['testBegin', 'testEnd loss', 'predictEnd']);
});

test('LambdaCallback options are strict', () => {
  assert.throws(() => new callbacks.LambdaCallback({ on_epoch_end: () => undefined } as never), /Did you mean 'onEpochEnd'\?/);
  assert.throws(() => new callbacks.LambdaCallback({ onEpochEnd: 3 } as never), /onEpochEnd must be a function/);
});

test('a ProgbarLogger callback replaces the default bar and prints streamed epochs of unknown length', async () => {
  const m = model();
  let text = '';
  const output = { write: (s: string) => void (text += s), isTTY: false };
  const write = process.stdout.write.bind(process.stdout);
  let stdout = '';
  process.stdout.write = ((c: string) => ((stdout += c), true)) as typeof process.stdout.write;
  try {
    const h = await m.fit(function* () {
      for (let i = 0; i < N; i += 2) yield [rows(x, i, i + 2), rows(y, i, i + 2)] as const;
    }, undefined, { epochs: 2, verbose: 2, callbacks: [new callbacks.ProgbarLogger(undefined, { output })] });
    const lines = text.trimEnd().split('\n');
    assert.is(lines.length, 4, text);
    assert.is(lines[0], 'Epoch 1/2');
    assert.match(lines[1], new RegExp(`^3/3 - \\d+s - loss: ${h.history.loss[0].toFixed(4)}$`));
    assert.is(lines[2], 'Epoch 2/2');
    assert.match(lines[3], /^3\/3 - /);
  } finally {
    process.stdout.write = write;
  }
  assert.is(stdout, '', 'no second, default bar');
});

test.run();
