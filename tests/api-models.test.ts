/** Sequential and functional models: construction, graph checks, weights, the engine seam. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Input, Model, Sequential, backend, layers, tensor } from '../src/index.js';
import * as B from '../src/ir/build.js';
import { evalModel, maxAbsDiff, randomTensor } from './support/api-eval.js';

const { Dense, Dropout, Flatten, Conv2D, MaxPooling2D } = layers;

test('Sequential: constructor list, add(), inputShape on the first layer', () => {
  const model = new Sequential([
    new Dense(512, { activation: 'relu', inputShape: [784] }),
    new Dropout(0.2),
    new Dense(512, { activation: 'relu' }),
  ]);
  model.add(new Dense(10, { activation: 'softmax' }));
  assert.equal(model.layers.map((l) => l.className), ['Dense', 'Dropout', 'Dense', 'Dense']);
  assert.equal(model.inputShapes, [[null, 784]]);
  assert.equal(model.outputShapes, [[null, 10]]);
  assert.is(model.countParams(), 784 * 512 + 512 + 512 * 512 + 512 + 512 * 10 + 10);
  assert.equal(model.inputDtypes, ['float32']);
  assert.is(model.inputNames.length, 1);
  assert.equal(model.outputNames, [model.layers[3].name]);
  const y = evalModel(model, [randomTensor([3, 784], 1)]).outputs[0];
  assert.equal([...y.shape], [3, 10]);
  for (let r = 0; r < 3; r++) {
    const row = Array.from(y.data.slice(r * 10, r * 10 + 10));
    assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5);
  }
});

test('Sequential: an Input first, and a model without input shape built by build() or by trace', () => {
  const m = new Sequential();
  m.add(Input({ shape: [28, 28, 1] }));
  m.add(new Conv2D(8, 3, { activation: 'relu' }));
  m.add(new MaxPooling2D());
  m.add(new Flatten());
  m.add(new Dense(10));
  assert.equal(m.outputShapes, [[null, 10]]);
  assert.is(m.layers.length, 4);
  const lazy = new Sequential([new Dense(4), new Dense(2)]);
  assert.throws(() => lazy.inputShapes, /has not yet been built/);
  assert.is(lazy.countParams(), 0);
  const out = lazy.trace([B.input('x', [5, 3])], false, B.input('seed', [], 'int32'));
  assert.equal(out.outputs[0].shape, [5, 2]);
  assert.equal(lazy.inputShapes, [[null, 3]]);
  assert.is(lazy.countParams(), 3 * 4 + 4 + 4 * 2 + 2);
  const built = new Sequential([new Dense(3)]);
  built.build([null, 7]);
  assert.equal(built.outputShapes, [[null, 3]]);
});

test('Sequential: layer names must be unique; pop() removes the last layer', () => {
  const a = new Dense(2, { name: 'same', inputShape: [3] });
  const m = new Sequential([a]);
  assert.throws(() => m.add(new Dense(2, { name: 'same' })), /should have unique names/);
  m.add(new Dense(5));
  assert.equal(m.outputShapes, [[null, 5]]);
  m.pop();
  assert.equal(m.outputShapes, [[null, 2]]);
});

test('functional: the MLP of the API page', () => {
  const visible = Input({ shape: [10] });
  const hidden1 = new Dense(10, { activation: 'relu' })(visible);
  const hidden2 = new Dense(20, { activation: 'relu' })(hidden1);
  const output = new Dense(1, { activation: 'sigmoid' })(hidden2);
  const mlp = new Model({ inputs: visible, outputs: output });
  assert.is(mlp.className, 'Functional');
  assert.ok(mlp.name.startsWith('functional'));
  assert.equal(mlp.layers.map((l) => l.className), ['InputLayer', 'Dense', 'Dense', 'Dense']);
  assert.is(mlp.countParams(), 110 + 220 + 21);
});

test('functional: several inputs and outputs, shared layers', () => {
  const a = Input({ shape: [8], name: 'a' });
  const b = Input({ shape: [8], name: 'b' });
  const shared = new Dense(4);
  const merged = layers.concatenate([shared(a), shared(b)]);
  const head1 = new Dense(1);
  const head2 = new Dense(3, { activation: 'softmax' });
  const two = new Model({ inputs: [a, b], outputs: [head1(merged), head2(merged)] });
  assert.equal(two.inputNames, ['a', 'b']);
  assert.equal(two.outputNames, [head1.name, head2.name]);
  assert.equal(two.outputShapes, [[null, 1], [null, 3]]);
  assert.is(two.getLayer(shared.name), shared);
  assert.is(two.getLayer(0).name, 'a');
  assert.throws(() => two.getLayer('nope'), /No such layer: nope/);
  // the shared layer's weights appear once
  assert.is(two.getWeights().length, 6);
  assert.is(two.trainableVariables().length, 6);
  const xa = randomTensor([2, 8], 3);
  const xb = randomTensor([2, 8], 4);
  const [y1, y2] = evalModel(two, [xa, xb]).outputs;
  // recompute by hand from the weights
  const [k, bias, k1, b1] = two.getWeights();
  const dense = (x: Float32Array, w: Float32Array, bb: Float32Array, n: number, m: number) => Array.from({ length: 2 * m }, (_, i) => {
    const r = Math.floor(i / m), c = i % m;
    let s = bb[c];
    for (let j = 0; j < n; j++) s += x[r * n + j] * w[j * m + c];
    return s;
  });
  const ha = dense(xa.data as Float32Array, k.data as Float32Array, bias.data as Float32Array, 8, 4);
  const hb = dense(xb.data as Float32Array, k.data as Float32Array, bias.data as Float32Array, 8, 4);
  const cat = Float32Array.from([...ha.slice(0, 4), ...hb.slice(0, 4), ...ha.slice(4), ...hb.slice(4)]);
  assert.ok(maxAbsDiff(y1.data, dense(cat, k1.data as Float32Array, b1.data as Float32Array, 8, 1)) < 1e-5);
  assert.equal([...y2.shape], [2, 3]);
});

test('functional: a model is callable as a layer, and nests', () => {
  const inner = new Sequential([new Dense(3, { inputShape: [4], activation: 'relu' }), new Dense(2)]);
  const x = Input({ shape: [4] });
  const y = inner(x);
  const outer = new Model({ inputs: x, outputs: new Dense(1)(y) });
  assert.equal(outer.outputShapes, [[null, 1]]);
  assert.equal(outer.layers.map((l) => l.className), ['InputLayer', 'Sequential', 'Dense']);
  assert.is(outer.getWeights().length, 6);
  const t = randomTensor([5, 4], 5);
  const direct = evalModel(inner, [t]).outputs[0];
  const again = evalModel(new Model({ inputs: x, outputs: y }), [t]).outputs[0];
  assert.ok(maxAbsDiff(direct.data, again.data) < 1e-7);
  assert.equal([...evalModel(outer, [t]).outputs[0].shape], [5, 1]);
  // layer.apply is the same as calling
  const z = new Dense(2).apply(x);
  assert.equal(z.shape, [null, 2]);
});

test('functional: a disconnected graph is reported', () => {
  const a = Input({ shape: [3] });
  const b = Input({ shape: [3] });
  const out = layers.add([new Dense(3)(a), b]);
  assert.throws(() => new Model({ inputs: a, outputs: out }), (e: Error) => /Graph disconnected/.test(e.message) && e.message.includes(b.name));
});

test('getWeights / setWeights round trip, in Keras order, with Keras errors', () => {
  const model = new Sequential([new Dense(3, { inputShape: [2] }), new layers.BatchNormalization(), new Dense(1)]);
  const ws = model.getWeights();
  assert.equal(ws.map((w) => [...w.shape]), [[2, 3], [3], [3], [3], [3], [3], [3, 1], [1]]);
  const fresh = ws.map((w, i) => tensor(Float32Array.from(w.data, (_, j) => i + j / 10), [...w.shape]));
  model.setWeights(fresh);
  model.getWeights().forEach((w, i) => assert.ok(maxAbsDiff(w.data, fresh[i].data) < 1e-6));
  assert.throws(() => model.setWeights(fresh.slice(1)), /expecting 8 weights/);
  const bad = [...fresh];
  bad[0] = tensor(new Float32Array(6), [3, 2]);
  assert.throws(() => model.setWeights(bad), /weight shape \(2, 3\) is not compatible with provided weight shape \(3, 2\)/);
});

test('trainable flags: frozen layers leave trainableVariables; BN moving stats are non-trainable', () => {
  const d1 = new Dense(3, { inputShape: [2] });
  const bn = new layers.BatchNormalization();
  const model = new Sequential([d1, bn, new Dense(1)]);
  assert.is(model.trainableWeights.length, 6);
  assert.is(model.nonTrainableWeights.length, 2);
  d1.trainable = false;
  assert.is(model.trainableVariables().length, 4);
  assert.is(model.nonTrainableWeights.length, 4);
  model.trainable = false;
  assert.is(model.trainableVariables().length, 0);
});

test('learning phase: Dropout follows training, and a forced phase overrides it', () => {
  const model = new Sequential([new Dropout(0.5, { inputShape: [1000] })]);
  const x = tensor(new Float32Array(1000).fill(1), [1, 1000]);
  assert.equal(Array.from(evalModel(model, [x]).outputs[0].data), Array.from(x.data));
  const trained = evalModel(model, [x], { training: true }).outputs[0].data;
  assert.ok(trained.every((v) => v === 0 || Math.abs(v - 2) < 1e-6));
  const zeros = trained.filter((v) => v === 0).length;
  assert.ok(zeros > 400 && zeros < 600, `dropped ${zeros} of 1000`);
  // another step seed gives another mask
  const other = evalModel(model, [x], { training: true, seed: 99 }).outputs[0].data;
  assert.ok(Array.from(other).some((v, i) => v !== trained[i]));
  backend.setLearningPhase(0);
  try {
    assert.equal(Array.from(evalModel(model, [x], { training: true }).outputs[0].data), Array.from(x.data));
  } finally {
    backend.setLearningPhase(undefined);
  }
  assert.is(backend.learningPhase(), undefined);
  // a call can fix its own phase
  const inp = Input({ shape: [1000] });
  const fixed = new Model({ inputs: inp, outputs: new Dropout(0.5)(inp, { training: true }) });
  assert.ok(evalModel(fixed, [x]).outputs[0].data.some((v) => v === 0));
});

test('layerGraph: one entry per layer with shapes, inbound names and params', () => {
  const a = Input({ shape: [4], name: 'in_a' });
  const d = new Dense(2, { name: 'd' });
  const c = layers.concatenate([d(a), a], { name: 'cat' });
  const m = new Model({ inputs: a, outputs: c });
  assert.equal(m.layerGraph(), [
    { name: 'in_a', className: 'InputLayer', inputShapes: [], outputShapes: [[null, 4]], inbound: [], params: 0 },
    { name: 'd', className: 'Dense', inputShapes: [[null, 4]], outputShapes: [[null, 2]], inbound: ['in_a'], params: 10 },
    { name: 'cat', className: 'Concatenate', inputShapes: [[null, 2], [null, 4]], outputShapes: [[null, 6]], inbound: ['d', 'in_a'], params: 0 },
  ]);
});

test('trace: concrete shapes, updates only in training', () => {
  const m = new Sequential([new Dense(3, { inputShape: [2] }), new layers.BatchNormalization()]);
  const seed = B.input('seed', [], 'int32');
  const infer = m.trace([B.input('x', [7, 2])], false, seed);
  assert.equal(infer.outputs[0].shape, [7, 3]);
  assert.is(infer.updates.length, 0);
  const train = m.trace([B.input('x', [7, 2])], true, seed);
  assert.is(train.updates.length, 2);
  assert.throws(() => m.trace([B.input('x', [7, 5])], false, seed), /expected shape \(None, 2\), but received input with shape \(7, 5\)/);
});

test.run();
