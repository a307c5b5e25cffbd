/**
 * fit / evaluate / predict on a hand-built one-layer model: History contents, Keras's epoch
 * averaging, accuracy resolution, validation, learning phase, caching, gradients against finite
 * differences, and the errors a bad call raises (without touching the weights).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { setLearningPhase, setSession } from '../src/api/backend.js';
import { SGD } from '../src/api/optimizers.js';
import { tensor, type Tensor } from '../src/api/tensor.js';
import { compileModel, evaluateLogs, evaluateModel, fitModel, predictModel } from '../src/api/training/index.js';
import { Session } from '../src/runtime/session.js';
import { TinyDense, values, type TinyOptions } from './support/tiny-model.js';

const IN = 3;
const N = 10;

function setup(options: Partial<TinyOptions> & { units: number }, seed = 7): { session: Session; model: TinyDense } {
  const session = new Session({ seed });
  setSession(session);
  const model = new TinyDense(session, { inputs: IN, kernel: values(IN * options.units, 11, 0.8), bias: values(options.units, 12, 0.1), ...options });
  return { session, model };
}

const x = tensor(new Float32Array(values(N * IN, 21)), [N, IN]);
const sparse = tensor(new Float32Array([0, 1, 2, 1, 0, 2, 2, 1, 0, 1]), [N]);
const onehot = tensor(Array.from(sparse.data, (c) => [0, 1, 2].map((k) => (k === c ? 1 : 0))));
const binary = tensor(Array.from({ length: N }, (_, i) => [i % 2]));

/** The model's forward pass in float64, for reference values. */
function forward(model: TinyDense, session: Session, xs: Tensor): number[][] {
  const k = session.read(model.kernel), bias = session.read(model.bias);
  const units = model.outputShapes[0][1] as number;
  return Array.from({ length: xs.shape[0] }, (_, r) => {
    const z = Array.from({ length: units }, (_, u) => {
      let s = bias[u];
      for (let i = 0; i < IN; i++) s += xs.data[r * IN + i] * k[i * units + u];
      return s;
    });
    const m = Math.max(...z);
    const e = z.map((v) => Math.exp(v - m));
    const sum = e.reduce((a, v) => a + v, 0);
    return e.map((v) => v / sum);
  });
}

test('fit returns a History with Keras keys, epochs and params', async () => {
  const { model } = setup({ units: 3, activation: 'softmax' });
  compileModel(model, { optimizer: new SGD({ learningRate: 0.1 }), loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  const h = await fitModel(model, x, sparse, { epochs: 3, batchSize: 4, validationData: [x, sparse], verbose: 0 });
  assert.equal(Object.keys(h.history), ['loss', 'accuracy', 'val_loss', 'val_accuracy']);
  assert.equal(h.epoch, [0, 1, 2]);
  assert.equal(h.params, { verbose: 0, epochs: 3, steps: 3 });
  for (const k of Object.keys(h.history)) assert.is(h.history[k].length, 3);
  assert.ok(h.history.loss[2] < h.history.loss[0], 'loss decreases');
});

test('epoch values average as Keras: losses weighted by batch size, accuracy over samples', async () => {
  const { session, model } = setup({ units: 3, activation: 'softmax' });
  // A zero learning rate keeps the weights, so the epoch average must equal the whole-data value.
  compileModel(model, { optimizer: new SGD({ learningRate: 0 }), loss: 'categorical_crossentropy', metrics: ['accuracy'] });
  const h = await fitModel(model, x, onehot, { epochs: 1, batchSize: 4, verbose: 0 });
  const p = forward(model, session, x);
  let loss = 0, correct = 0;
  p.forEach((row, r) => {
    loss -= Math.log(row[sparse.data[r]]);
    if (row.indexOf(Math.max(...row)) === sparse.data[r]) correct++;
  });
  assert.ok(Math.abs(h.history.loss[0] - loss / N) < 1e-5, `loss ${h.history.loss[0]} vs ${loss / N}`);
  assert.ok(Math.abs(h.history.accuracy[0] - correct / N) < 1e-7, `accuracy ${h.history.accuracy[0]} vs ${correct / N}`);
  const [eLoss, eAcc] = evaluateModel(model, x, onehot, { batchSize: 3, verbose: 0 }) as number[];
  assert.ok(Math.abs(eLoss - loss / N) < 1e-5);
  assert.ok(Math.abs(eAcc - correct / N) < 1e-7);
});

test("'accuracy' resolves to binary, sparse or categorical accuracy from the shapes", async () => {
  const a = setup({ units: 1, activation: 'sigmoid' });
  compileModel(a.model, { loss: 'binary_crossentropy', metrics: ['accuracy', 'acc'] });
  const logs = evaluateLogs(a.model, x, binary, { verbose: 0 });
  const pb = Array.from((predictModel(a.model, x, { verbose: 0 }) as Tensor).data);
  const expected = pb.filter((v, i) => (v > 0.5 ? 1 : 0) === binary.data[i]).length / N;
  assert.equal(Object.keys(logs), ['loss', 'accuracy', 'acc']);
  assert.ok(Math.abs(logs.accuracy - expected) < 1e-7);

  const s = setup({ units: 3, activation: 'softmax' });
  compileModel(s.model, { loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  const sparseAcc = (evaluateModel(s.model, x, sparse, { verbose: 0 }) as number[])[1];
  compileModel(s.model, { loss: 'categorical_crossentropy', metrics: ['accuracy'] });
  const catAcc = (evaluateModel(s.model, x, onehot, { verbose: 0 }) as number[])[1];
  assert.is(sparseAcc, catAcc);
});

test('evaluate returns a number without metrics; predict gathers batches into one tensor', () => {
  const { session, model } = setup({ units: 3, activation: 'softmax' });
  compileModel(model, { loss: 'mse', metrics: ['mae'] });
  const values2 = evaluateModel(model, x, onehot, { verbose: 0 }) as number[];
  assert.is(values2.length, 2);
  compileModel(model, { loss: 'mse' });
  assert.type(evaluateModel(model, x, onehot, { verbose: 0 }), 'number');
  const p = predictModel(model, x, { batchSize: 4, verbose: 0 }) as Tensor;
  assert.equal([...p.shape], [N, 3]);
  const ref = forward(model, session, x).flat();
  ref.forEach((v, i) => assert.ok(Math.abs(p.data[i] - v) < 1e-6));
});

test('inputs as nested arrays and records by input name', async () => {
  const { model } = setup({ units: 3, activation: 'softmax' });
  compileModel(model, { loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  const nested = x.toArray() as number[][];
  const a = evaluateModel(model, nested, Array.from(sparse.data), { verbose: 0 }) as number[];
  const b2 = evaluateModel(model, { input: x }, { dense: sparse }, { verbose: 0 }) as number[];
  const c = evaluateModel(model, [x], [sparse], { verbose: 0 }) as number[];
  assert.equal(a, b2);
  assert.equal(a, c);
});

test('one SGD step moves the weights by -lr * gradient, gradient checked by finite differences', async () => {
  const { session, model } = setup({ units: 3, activation: 'softmax' });
  const lr = 0.5;
  compileModel(model, { optimizer: new SGD({ learningRate: lr }), loss: 'categorical_crossentropy' });
  const w0 = Array.from(session.read(model.kernel)), b0 = Array.from(session.read(model.bias));
  await fitModel(model, x, onehot, { batchSize: N, shuffle: false, verbose: 0 });
  const w1 = Array.from(session.read(model.kernel));
  const grad = w0.map((w, i) => (w - w1[i]) / lr);
  const lossAt = (w: number[]): number => {
    session.write(model.kernel, w);
    session.write(model.bias, b0);
    return evaluateModel(model, x, onehot, { batchSize: N, verbose: 0 }) as number;
  };
  const h = 1e-2;
  grad.forEach((g, i) => {
    const up = [...w0], down = [...w0];
    up[i] += h;
    down[i] -= h;
    const fd = (lossAt(up) - lossAt(down)) / (2 * h);
    assert.ok(Math.abs(fd - g) < 2e-3 * Math.max(1, Math.abs(fd)), `d loss / d kernel[${i}]: autodiff ${g}, finite differences ${fd}`);
  });
});

test('validationSplit holds out the last samples before shuffling', async () => {
  const { model } = setup({ units: 3, activation: 'softmax' });
  compileModel(model, { optimizer: new SGD({ learningRate: 0 }), loss: 'sparse_categorical_crossentropy' });
  const h = await fitModel(model, x, sparse, { validationSplit: 0.3, batchSize: 4, verbose: 0 });
  const tail = tensor(x.data.slice(7 * IN), [3, IN]);
  const expected = evaluateModel(model, tail, tensor(sparse.data.slice(7), [3]), { verbose: 0 }) as number;
  assert.ok(Math.abs(h.history.val_loss[0] - expected) < 1e-6);
  assert.is(h.params.steps, 2);
});

test('programs are compiled once per (phase, batch size): the partial batch has its own', async () => {
  const { session, model } = setup({ units: 3, activation: 'softmax' });
  compileModel(model, { loss: 'sparse_categorical_crossentropy' });
  await fitModel(model, x, sparse, { batchSize: 4, epochs: 2, verbose: 0 });
  assert.is(session.programCount, 2);
  await fitModel(model, x, sparse, { batchSize: 4, epochs: 1, verbose: 0 });
  assert.is(session.programCount, 2);
  assert.is(model.traces, 2);
  evaluateModel(model, x, sparse, { batchSize: 5, verbose: 0 });
  assert.is(session.programCount, 3);
});

test('shuffling is repeatable from the session seed', async () => {
  const run = async (seed: number) => {
    const { session, model } = setup({ units: 3, activation: 'softmax' }, seed);
    compileModel(model, { optimizer: new SGD({ learningRate: 0.5 }), loss: 'sparse_categorical_crossentropy' });
    await fitModel(model, x, sparse, { batchSize: 3, epochs: 2, verbose: 0 });
    return Array.from(session.read(model.kernel));
  };
  assert.equal(await run(5), await run(5));
  assert.not.equal(await run(5), await run(6));
});

test('learning phase: fit trains with dropout, predict does not; a forced phase is followed', async () => {
  const { model } = setup({ units: 3, activation: 'softmax', dropout: 0.5 });
  compileModel(model, { loss: 'sparse_categorical_crossentropy' });
  const p1 = predictModel(model, x, { verbose: 0 }) as Tensor;
  const p2 = predictModel(model, x, { verbose: 0 }) as Tensor;
  assert.equal(Array.from(p1.data), Array.from(p2.data), 'inference is deterministic');
  setLearningPhase(1);
  const p3 = predictModel(model, x, { verbose: 0 }) as Tensor;
  assert.not.equal(Array.from(p3.data), Array.from(p1.data), 'forced training phase applies dropout');
  setLearningPhase(undefined);
});

test('errors: fit before compile, sample counts, input shapes; a failed call changes no weights', async () => {
  const { session, model } = setup({ units: 3, activation: 'softmax' });
  await assert.throws(() => evaluateModel(model, x, sparse, { verbose: 0 }), /must be compiled/);
  try {
    await fitModel(model, x, sparse, { verbose: 0 });
    assert.unreachable('fit before compile');
  } catch (e) {
    assert.match((e as Error).message, /must be compiled before training/);
  }
  const opt = new SGD({ learningRate: 0.1 });
  compileModel(model, { optimizer: opt, loss: 'sparse_categorical_crossentropy' });
  const before = Array.from(session.read(model.kernel));
  const fails = async (y: Tensor, xx: Tensor, pattern: RegExp) => {
    try {
      await fitModel(model, xx, y, { verbose: 0 });
      assert.unreachable('should fail');
    } catch (e) {
      assert.match((e as Error).message, pattern);
    }
  };
  await fails(tensor(new Float32Array(4), [4]), x, /same number of samples.*'x' sizes: 10.*'y' sizes: 4/);
  await fails(sparse, tensor(new Float32Array(N * 4), [N, 4]), /input 'input' of model 'tiny' is incompatible: expected shape \(None, 3\), got data of shape \(10, 4\)/);
  await fails(tensor(new Float32Array(N * 5), [N, 5]), x, /output 'dense'.*sparse_categorical_crossentropy/);
  assert.equal(Array.from(session.read(model.kernel)), before);
  assert.is(opt.iterations, 0);
});

test('compile errors: unknown names, no loss, lists that do not match the outputs', async () => {
  const { model } = setup({ units: 3, activation: 'softmax' });
  assert.throws(() => compileModel(model, { loss: 'nope' }), /Unknown loss 'nope'. Valid names:/);
  assert.throws(() => compileModel(model, { optimizer: 'adamax2', loss: 'mse' }), /Unknown optimizer 'adamax2'/);
  assert.throws(() => compileModel(model, { loss: ['mse', 'mae'] }), /'loss' has 2 entries but the model has 1 output/);
  assert.throws(() => compileModel(model, { loss: { other: 'mse' } }), /key 'other' does not correspond to any model output/);
  compileModel(model, { metrics: ['accuracy'] });
  try {
    await fitModel(model, x, sparse, { verbose: 0 });
    assert.unreachable('no loss');
  } catch (e) {
    assert.match((e as Error).message, /No loss to compute/);
  }
  compileModel(model, { loss: 'mse', metrics: ['f1score'] });
  assert.throws(() => evaluateModel(model, x, onehot, { verbose: 0 }), /Unknown metric 'f1score'/);
});

test('NaN loss shows in History; training continues without TerminateOnNaN', async () => {
  const { model } = setup({ units: 1 });
  compileModel(model, { optimizer: new SGD({ learningRate: 0.1 }), loss: 'mse' });
  const y = tensor(new Float32Array(N).fill(NaN), [N, 1]);
  const h = await fitModel(model, x, y, { epochs: 2, verbose: 0 });
  assert.is(h.history.loss.length, 2);
  assert.ok(Number.isNaN(h.history.loss[0]));
});

test('several outputs: per-output losses, weights and output-prefixed metric names', async () => {
  // Two outputs from one layer: the softmax and the logits.
  const { session, model } = setup({ units: 3, activation: 'softmax' });
  const two = Object.assign(Object.create(Object.getPrototypeOf(model)) as TinyDense, model, {
    outputNames: ['probs', 'logits'],
    outputShapes: [[null, 3], [null, 3]],
  });
  two.trace = (inputs, training, seed) => {
    const out = TinyDense.prototype.trace.call(model, inputs, training, seed);
    const probs = out.outputs[0];
    return { outputs: [probs, probs.inputs[0]], updates: [] };
  };
  compileModel(two, { loss: ['sparse_categorical_crossentropy', 'mse'], lossWeights: [1, 0.5], metrics: [['accuracy'], []] });
  const logs = evaluateLogs(two, x, [sparse, onehot], { verbose: 0 });
  assert.equal(Object.keys(logs), ['loss', 'probs_loss', 'logits_loss', 'probs_accuracy']);
  assert.ok(Math.abs(logs.loss - (logs.probs_loss + logs.logits_loss)) < 1e-5);
  void session;
});

test.run();
