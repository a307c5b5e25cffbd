/**
 * Streamed data against in-memory data on the same batches: sync and async iterables, generator
 * functions, stepsPerEpoch across epochs, sample-weight triples, records, classWeight, streamed
 * validation (validationSteps, validationFreq), evaluate and predict. Same batches, same cached
 * programs, same seeds: the weights must be identical, not close. Plus the prefetch order of an
 * async source and every bad-input case.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Sequential, Session, backend as K, callbacks, layers, optimizers, tensor, type Tensor } from '../src/index.js';
import { values } from './support/tiny-model.js';

const IN = 3, UNITS = 2, N = 10, B = 4;
const x = tensor(new Float32Array(values(N * IN, 51)), [N, IN]);
const y = tensor(new Float32Array(values(N * UNITS, 52)), [N, UNITS]);
const sw = tensor(new Float32Array([0.5, 2, 1, 0, 3, 1.5, 0.25, 1, 2.5, 0.75]), [N]);

function rows(t: Tensor, from: number, to: number): Tensor {
  const row = t.size / t.shape[0];
  return tensor(t.data.slice(from * row, to * row) as Float32Array, [to - from, ...t.shape.slice(1)]);
}

/** The batches in-memory fit(shuffle: false, batchSize: B) takes: 4, 4, 2. */
function* batches(weights = false): Generator<readonly [Tensor, Tensor] | readonly [Tensor, Tensor, Tensor]> {
  for (let i = 0; i < N; i += B) {
    const end = Math.min(N, i + B);
    yield weights ? [rows(x, i, end), rows(y, i, end), rows(sw, i, end)] : [rows(x, i, end), rows(y, i, end)];
  }
}

async function* asyncBatchesForever(): AsyncGenerator<{ x: Tensor; y: Tensor }> {
  for (;;) {
    for (const [bx, by] of batches()) {
      await new Promise((r) => setImmediate(r));
      yield { x: bx, y: by };
    }
  }
}

/** Rows 0..7 in batches of 4, round and round: validationSteps 2 reads them once per validation. */
async function* firstEightForever(): AsyncGenerator<readonly [Tensor, Tensor]> {
  for (let i = 0; ; i = (i + B) % 8) yield [rows(x, i, i + B), rows(y, i, i + B)] as const;
}

function model(dropout = 0): Sequential {
  K.setSession(new Session({ seed: 11 }));
  const m = new Sequential([
    new layers.Dense(5, { inputShape: [IN], activation: 'tanh' }),
    ...(dropout > 0 ? [new layers.Dropout(dropout)] : []),
    new layers.Dense(UNITS),
  ]);
  m.compile({ optimizer: new optimizers.Adam({ learningRate: 0.05 }), loss: 'mse', metrics: ['mae'], weightedMetrics: ['mse'] });
  return m;
}

const weightsOf = (m: Sequential) => m.getWeights().map((w) => Array.from(w.data));

async function rejects(run: () => Promise<unknown>, pattern: RegExp): Promise<void> {
  let error: unknown;
  try {
    await run();
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof Error, `expected a rejection matching ${pattern}`);
  assert.match((error as Error).message, pattern);
}

async function quietly<T>(run: () => Promise<T>): Promise<{ result: T; warnings: string[] }> {
  const warn = console.warn;
  const warnings: string[] = [];
  console.warn = (m: string) => void warnings.push(m);
  try {
    return { result: await run(), warnings };
  } finally {
    console.warn = warn;
  }
}

test('a generator function (opened each epoch) trains exactly as in-memory arrays on the same batches', async () => {
  const memory = model(0.3);
  const hm = await memory.fit(x, y, { epochs: 3, batchSize: B, shuffle: false, verbose: 0 });
  const streamed = model(0.3);
  const hs = await streamed.fit(() => batches(), undefined, { epochs: 3, verbose: 0 });
  assert.equal(weightsOf(streamed), weightsOf(memory));
  assert.equal(hs.history, hm.history);
  const viaDataset = model(0.3);
  await viaDataset.fitDataset(() => batches(), { epochs: 3, verbose: 0 });
  assert.equal(weightsOf(viaDataset), weightsOf(memory), 'fitDataset is the same call');
});

test('an endless async generator with stepsPerEpoch keeps one iterator across epochs', async () => {
  const memory = model();
  const hm = await memory.fit(x, y, { epochs: 2, batchSize: B, shuffle: false, verbose: 0 });
  const streamed = model();
  const hs = await streamed.fit(asyncBatchesForever(), undefined, { epochs: 2, stepsPerEpoch: 3, verbose: 0 });
  assert.equal(weightsOf(streamed), weightsOf(memory));
  assert.equal(hs.history, hm.history);
});

test('[x, y, sampleWeight] batches train as sampleWeight does; classWeight applies per batch', async () => {
  const memory = model();
  const hm = await memory.fit(x, y, { epochs: 2, batchSize: B, shuffle: false, sampleWeight: sw, verbose: 0 });
  const streamed = model();
  const hs = await streamed.fit(() => batches(true), undefined, { epochs: 2, verbose: 0 });
  assert.equal(weightsOf(streamed), weightsOf(memory));
  assert.equal(hs.history, hm.history);
  assert.ok(hs.history.mse[0] !== hs.history.loss[0], 'the weighted mse is weighted');

  const labels = tensor(new Float32Array([0, 1, 1, 0, 1, 0, 0, 1, 1, 1]), [N, 1]);
  const binary = () => {
    K.setSession(new Session({ seed: 2 }));
    const m = new Sequential([new layers.Dense(1, { inputShape: [IN], activation: 'sigmoid' })]);
    m.compile({ optimizer: new optimizers.SGD({ learningRate: 0.3 }), loss: 'binary_crossentropy' });
    return m;
  };
  const a = binary();
  await a.fit(x, labels, { batchSize: B, shuffle: false, classWeight: { 1: 4 }, verbose: 0 });
  const b = binary();
  await b.fit(function* () {
    for (let i = 0; i < N; i += B) yield [rows(x, i, Math.min(N, i + B)), rows(labels, i, Math.min(N, i + B))] as const;
  }, undefined, { classWeight: { 1: 4 }, verbose: 0 });
  assert.equal(weightsOf(b), weightsOf(a));
});

test('streamed validation: validationSteps batches, every validationFreq epochs, as in-memory validation', async () => {
  const memory = model();
  const hm = await memory.fit(x, y, { epochs: 4, batchSize: B, shuffle: false, validationData: [rows(x, 0, 8), rows(y, 0, 8)], validationBatchSize: B, validationFreq: 2, verbose: 0 });
  const streamed = model();
  const hs = await streamed.fit(() => batches(), undefined, { epochs: 4, validationData: firstEightForever(), validationSteps: 2, validationFreq: 2, verbose: 0 });
  assert.equal(hs.history.val_loss.length, 2, 'validated after epochs 2 and 4 only');
  assert.equal(hs.history, hm.history);
  const listed = model();
  const hl = await listed.fit(() => batches(), undefined, { epochs: 3, validationData: () => batches(), validationFreq: [1, 3], verbose: 0 });
  assert.equal(hl.history.val_loss.length, 2);
});

test('evaluate and predict on streams give what they give on the arrays', async () => {
  const m = model();
  await m.fit(x, y, { epochs: 1, verbose: 0 });
  const inMemory = m.evaluate(x, y, { batchSize: B, verbose: 0 });
  assert.equal(await m.evaluate(() => batches(), undefined, { verbose: 0 }), inMemory);
  assert.equal(await m.evaluateDataset(asyncBatchesForever(), { steps: 3, verbose: 0 }), inMemory);
  const expected = Array.from((m.predict(x, { batchSize: B, verbose: 0 }) as Tensor).data);
  const p = (await m.predict((function* () {
    for (const [bx] of batches()) yield bx;
  })(), { verbose: 0 })) as Tensor;
  assert.equal([...p.shape], [N, UNITS]);
  assert.equal(Array.from(p.data), expected);
  const fromPairs = (await m.predict(asyncBatchesForever(), { steps: 3, verbose: 0 })) as Tensor;
  assert.equal(Array.from(fromPairs.data), expected);
});

test('from an async source the next batch is requested before the current step runs', async () => {
  const events: string[] = [];
  async function* source() {
    for (let i = 0; i < 3; i++) {
      events.push(`fetch ${i}`);
      await new Promise((r) => setTimeout(r, 2));
      const [bx, by] = [...batches()][i];
      yield [bx, by] as const;
    }
  }
  const m = model();
  await m.fit(source(), undefined, {
    verbose: 0,
    callbacks: [new callbacks.LambdaCallback({ onBatchBegin: (b) => void events.push(`step ${b}`) })],
  });
  assert.equal(events, ['fetch 0', 'fetch 1', 'step 0', 'fetch 2', 'step 1', 'step 2']);
});

test('running out of data stops training with a warning, as Keras does', async () => {
  const m = model();
  const { result: h, warnings } = await quietly(() => m.fit(batches(), undefined, { epochs: 3, verbose: 0 }));
  assert.equal(h.epoch, [0], 'a generator object is spent after one epoch');
  assert.match(warnings[0], /ran out of data; interrupting training/);
  const n = model();
  const { result: h2, warnings: w2 } = await quietly(() => n.fit(() => batches(), undefined, { epochs: 3, stepsPerEpoch: 5, verbose: 0 }));
  assert.equal(h2.epoch, [0]);
  assert.match(w2[0], /at least stepsPerEpoch \* epochs batches \(15\)/);
});

test('bad streamed input is a clear error; the first batch is checked before any weight changes', async () => {
  const m = model();
  const before = weightsOf(m);
  const bad = tensor(new Float32Array(4 * 7), [4, 7]);
  await rejects(() => m.fit([[bad, rows(y, 0, 4)]][Symbol.iterator](), undefined, { verbose: 0 }), /fit \(batch 1 of epoch 1\): input .* expected shape \(None, 3\), got data of shape \(4, 7\)/);
  await rejects(() => m.fit(() => batches(), undefined, { batchSize: 4 } as never), /option 'batchSize' is not supported: the batches come from the data source/);
  await rejects(() => m.fit(() => batches(), undefined, { shuffle: true } as never), /option 'shuffle' is not supported/);
  await rejects(() => m.fit(() => batches(), undefined, { steps_per_epoch: 2 } as never), /Did you mean 'stepsPerEpoch'\?/);
  await rejects(() => m.fit(() => batches(), y, {}), /y must be undefined/);
  await rejects(() => m.fit(() => batches(), undefined, { stepsPerEpoch: 0 }), /stepsPerEpoch must be an integer >= 1/);
  await rejects(() => m.fit(() => [][Symbol.iterator](), undefined, { verbose: 0 }), /the data yielded no batches/);
  await rejects(() => m.fit(() => [{ x: rows(x, 0, 2), label: rows(y, 0, 2) }][Symbol.iterator](), undefined, { verbose: 0 }), /unknown key\(s\) 'label' in a batch/);
  await rejects(() => m.fit(() => [[rows(x, 0, 2)]][Symbol.iterator](), undefined, { verbose: 0 }), /this one has no y/);
  await rejects(() => m.fit(() => batches(), undefined, { validationData: () => batches(), validationBatchSize: 2, verbose: 0 }), /validationBatchSize cannot be given with streamed validationData/);
  await rejects(() => m.evaluate(() => batches(), undefined, { batchSize: 2 } as never), /option 'batchSize' is not supported/);
  await rejects(() => m.fit(() => batches(), undefined, { epochs: 2, validationData: batches(), verbose: 0 }), /validationData is a generator object, which can be read only once, and validation runs 2 times/);
  await rejects(() => m.fit(x, y, { epochs: 2, validationData: batches(), verbose: 0 }), /can be read only once/);
  assert.throws(() => m.evaluate(x, y, { steps: 2 } as never), /option 'steps' is not supported: with in-memory arrays/);
  assert.equal(weightsOf(m), before, 'nothing ran');
  const mixed = function* () {
    yield [rows(x, 0, 4), rows(y, 0, 4), rows(sw, 0, 4)] as const;
    yield [rows(x, 4, 8), rows(y, 4, 8)] as const;
  };
  await rejects(() => m.fit(mixed, undefined, { verbose: 0 }), /fit \(batch 2 of epoch 1\): has no sample weights but the first batch had them/);
  await m.fit(() => batches(), undefined, { verbose: 0 });
});

test.run();
