/**
 * Typed arrays wherever arrays of numbers are accepted: tensor(), toCategorical, and the labels
 * and inputs of fit/evaluate/predict, with the same results as plain arrays.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { setSession } from '../src/api/backend.js';
import { tensor } from '../src/api/tensor.js';
import { compileModel, evaluateModel, fitModel, predictModel } from '../src/api/training/index.js';
import { toCategorical } from '../src/api/utils/to-categorical.js';
import { Session } from '../src/runtime/session.js';
import { TinyDense, values } from './support/tiny-model.js';

test('toCategorical accepts Int32Array, Uint8Array and Float64Array labels as plain arrays', () => {
  const expected = toCategorical([1, 2, 0], 3);
  for (const labels of [new Int32Array([1, 2, 0]), new Uint8Array([1, 2, 0]), new Float64Array([1, 2, 0])]) {
    const t = toCategorical(labels, 3);
    assert.equal(t.shape, [3, 3]);
    assert.equal(Array.from(t.data), Array.from(expected.data));
  }
  assert.equal(toCategorical(new Int32Array([1, 2])).shape, [2, 3]);
  assert.throws(() => toCategorical(new Float32Array([0.5])), /label 0.5 at index 0 is invalid/);
});

test('tensor: typed arrays of every kind convert to the dtype, and rows may be typed arrays', () => {
  const f64 = tensor(new Float64Array([1.5, 2]));
  assert.ok(f64.data instanceof Float32Array);
  assert.equal(Array.from(f64.data), [1.5, 2]);
  const i16 = tensor(new Int16Array([3, -4]), [2], 'int32');
  assert.ok(i16.data instanceof Int32Array);
  assert.equal(Array.from(i16.data), [3, -4]);
  const rows = tensor([new Float32Array([1, 2, 3]), new Float32Array([4, 5, 6])]);
  assert.equal(rows.shape, [2, 3]);
  assert.equal(Array.from(rows.data), [1, 2, 3, 4, 5, 6]);
  assert.throws(() => tensor([new Float32Array([1, 2]), new Float32Array([3])]), /ragged/);
});

test('fit/evaluate/predict take typed-array labels and typed-array rows like plain arrays', async () => {
  const run = async (asTyped: boolean) => {
    const session = new Session({ seed: 5 });
    setSession(session);
    const model = new TinyDense(session, { inputs: 3, units: 3, activation: 'softmax', kernel: values(9, 1, 0.5), bias: values(3, 2, 0.1) });
    compileModel(model, { optimizer: 'sgd', loss: 'sparse_categorical_crossentropy' });
    const xs = Array.from({ length: 6 }, (_, r) => values(3, 10 + r));
    const labels = [0, 1, 2, 1, 0, 2];
    const x = asTyped ? xs.map((row) => Float32Array.from(row)) : xs;
    const y = asTyped ? Int32Array.from(labels) : labels;
    await fitModel(model, x, y, { epochs: 2, batchSize: 4, verbose: 0 });
    const loss = evaluateModel(model, x, y, { verbose: 0 }) as number;
    const probs = predictModel(model, x, { verbose: 0 }) as { data: Float32Array };
    return { kernel: Array.from(session.read(model.kernel)), loss, probs: Array.from(probs.data) };
  };
  const plain = await run(false);
  const typed = await run(true);
  assert.equal(typed, plain);
});

test.run();
