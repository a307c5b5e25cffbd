/**
 * End to end through the public API: Sequential and functional models trained with
 * compile/fit/evaluate/predict, as the README's examples use them.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Input, Model, Sequential, Session, backend as K, callbacks, layers, optimizers, tensor, type Tensor } from '../src/index.js';

const { Dense, Dropout, BatchNormalization, concatenate } = layers;

/** Two Gaussian-ish blobs per class in 4-D, labels 0..2. */
function blobs(n: number, seed: number): { x: Tensor; y: Tensor } {
  let a = seed;
  const rand = () => ((a = (Math.imul(a, 1103515245) + 12345) | 0) >>> 8) / 16777216;
  const x = new Float32Array(n * 4), y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    y[i] = c;
    for (let k = 0; k < 4; k++) x[i * 4 + k] = (k === c ? 2 : 0) + (rand() - 0.5);
  }
  return { x: tensor(x, [n, 4]), y: tensor(y, [n]) };
}

test('Sequential MLP learns a separable problem; History, evaluate and predict agree', async () => {
  K.setSession(new Session({ seed: 42 }));
  const model = new Sequential([
    new Dense(16, { activation: 'relu', inputShape: [4] }),
    new Dropout(0.1),
    new Dense(3, { activation: 'softmax' }),
  ]);
  model.compile({ optimizer: new optimizers.Adam({ learningRate: 0.05 }), loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  const { x, y } = blobs(120, 1);
  const h = await model.fit(x, y, { epochs: 15, batchSize: 16, validationSplit: 0.25, verbose: 0 });
  assert.equal(Object.keys(h.history), ['loss', 'accuracy', 'val_loss', 'val_accuracy']);
  assert.ok(h.history.accuracy[14] > 0.9, `accuracy ${h.history.accuracy[14]}`);
  const [loss, acc] = model.evaluate(x, y, { verbose: 0 }) as number[];
  assert.ok(loss < h.history.loss[0]);
  assert.ok(acc > 0.9);
  const probs = model.predict(x, { verbose: 0 }) as Tensor;
  assert.equal([...probs.shape], [120, 3]);
});

test('functional model with two named inputs takes a record; BatchNormalization trains', async () => {
  K.setSession(new Session({ seed: 7 }));
  const a = Input({ shape: [4], name: 'a' }), b = Input({ shape: [4], name: 'b' });
  const shared = new Dense(8, { activation: 'relu' });
  const merged = concatenate([shared(a), shared(b)]);
  const out = new Dense(1, { activation: 'sigmoid' })(new BatchNormalization()(merged));
  const model = new Model({ inputs: [a, b], outputs: out });
  model.compile({ optimizer: 'rmsprop', loss: 'binary_crossentropy', metrics: ['accuracy'] });
  const { x } = blobs(64, 3);
  const label = tensor(Array.from({ length: 64 }, (_, i) => (i % 3 === 0 ? 1 : 0)));
  const h = await model.fit({ a: x, b: x }, label, { epochs: 3, batchSize: 16, verbose: 0, callbacks: [new callbacks.TerminateOnNaN()] });
  assert.equal(Object.keys(h.history), ['loss', 'accuracy']);
  for (const v of h.history.loss) assert.ok(Number.isFinite(v));
  const p = model.predict([x, x], { verbose: 0 }) as Tensor;
  assert.equal([...p.shape], [64, 1]);
});

test.run();
