/**
 * The 1-D and sequence layers against TensorFlow.js (identical inputs and weights, compiled and
 * interpreted), their gradients by finite differences, the kernels Conv1D compiles to, and a
 * compiled training run through all of them.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Input, Model, Sequential, backend, layers, optimizers, Session, tensor, type Tensor } from '../src/index.js';
import type { Layer } from '../src/api/layers/layer.js';
import { loadTf, randomTensor } from './support/api-eval.js';
import { gen } from './support/gradcheck.js';
import { layerGradCheck } from './support/layer-gradcheck.js';
import { printReport, record, runLayer, worstOf } from './support/zoo-report.js';

const tf = await loadTf();
type TfLayer = { apply(x: ReturnType<typeof tf.input>): unknown };

/** Our layer and TensorFlow.js's on the same input with our weights copied over. */
function againstTf(ours: Layer, theirs: TfLayer, x: Tensor, tol = 1e-5): void {
  const run = runLayer(ours, [x]);
  const tin = tf.input({ shape: x.shape.slice(1) });
  const tmodel = tf.model({ inputs: tin, outputs: theirs.apply(tin) as ReturnType<typeof tf.input> });
  tmodel.setWeights(ours.getWeights().map((w) => tf.tensor(Array.from(w.data), [...w.shape])));
  const ref = tmodel.predict(tf.tensor(Array.from(x.data), [...x.shape])) as ReturnType<typeof tf.tensor>;
  assert.equal([...run.compiled.shape], ref.shape, `${ours.name}: output shape`);
  assert.equal(run.model.outputShapes[0].slice(1), ref.shape.slice(1), `${ours.name}: symbolic output shape`);
  assert.is(ours.countParams(), tmodel.countParams(), `${ours.name}: parameter count`);
  const diff = worstOf(run, ref.dataSync());
  record(ours.className, 'TensorFlow.js', diff);
  assert.ok(diff < tol, `${ours.name}: max |diff| ${diff}`);
}

const seq = randomTensor([3, 11, 4], 21, 2);
const random = { biasInitializer: 'random_uniform' } as const;

test('Conv1D matches TensorFlow.js (padding valid/same/causal, strides, dilation, activation)', () => {
  const cases: [number, number, Record<string, unknown>][] = [
    [3, 3, {}],
    [5, 4, { strides: 2, padding: 'same' }],
    [3, 3, { padding: 'same', dilationRate: 3, useBias: false }],
    [2, 5, { strides: 3, activation: 'tanh' }],
  ];
  for (const [filters, kernelSize, args] of cases) {
    againstTf(new layers.Conv1D(filters, kernelSize, { ...args, ...(args.useBias === false ? {} : random) }), tf.layers.conv1d({ filters, kernelSize, ...args }), seq);
  }
});

test('Conv1D causal: TensorFlow.js on the input padded on the left by dilation * (kernel - 1)', () => {
  // tf.layers.conv1d does not implement causal padding; its definition is a left pad and 'valid'.
  const cases: [number, number, number, number][] = [[2, 3, 2, 1], [4, 2, 1, 3], [3, 4, 1, 1], [2, 2, 3, 1]];
  for (const [filters, kernelSize, dilationRate, strides] of cases) {
    const layer = new layers.Conv1D(filters, kernelSize, { padding: 'causal', dilationRate, strides, ...random });
    const run = runLayer(layer, [seq]);
    const [kernel, bias] = layer.getWeights();
    const padded = tf.pad(tf.tensor3d(Array.from(seq.data), [3, 11, 4]), [[0, 0], [dilationRate * (kernelSize - 1), 0], [0, 0]]);
    const w = tf.tensor3d(Array.from(kernel.data), [kernelSize, 4, filters]);
    const ref = tf.add(tf.conv1d(padded, w, strides, 'valid', 'NWC', dilationRate), tf.tensor1d(Array.from(bias.data)));
    assert.equal([...run.compiled.shape], ref.shape);
    const diff = worstOf(run, ref.dataSync());
    record('Conv1D', 'TensorFlow.js', diff);
    assert.ok(diff < 1e-5, `causal conv1d k=${kernelSize} d=${dilationRate} s=${strides}: max |diff| ${diff}`);
  }
});

test('Conv1D groups: each group is a Conv1D on its slice of channels and filters (TensorFlow.js)', () => {
  // tf.layers.conv1d has no groups: the oracle is one TF.js convolution per group, concatenated.
  const grouped = new layers.Conv1D(6, 3, { groups: 2, padding: 'same', ...random });
  const run = runLayer(grouped, [seq]);
  const [kernel, bias] = grouped.getWeights();
  const x = tf.tensor3d(Array.from(seq.data), [3, 11, 4]);
  const w = tf.tensor3d(Array.from(kernel.data), [3, 2, 6]);
  const parts = [0, 1].map((g) => tf.conv1d(tf.slice(x, [0, 0, 2 * g], [-1, -1, 2]), tf.slice(w, [0, 0, 3 * g], [-1, -1, 3]), 1, 'same'));
  const ref = tf.add(tf.concat(parts, -1), tf.tensor1d(Array.from(bias.data)));
  const diff = worstOf(run, ref.dataSync());
  record('Conv1D', 'TensorFlow.js', diff);
  assert.ok(diff < 1e-5, `grouped conv1d: max |diff| ${diff}`);
});

test('1-D poolings match TensorFlow.js', () => {
  againstTf(new layers.MaxPooling1D(), tf.layers.maxPooling1d({}), seq);
  againstTf(new layers.MaxPooling1D(3, { strides: 2, padding: 'same' }), tf.layers.maxPooling1d({ poolSize: 3, strides: 2, padding: 'same' }), seq);
  againstTf(new layers.MaxPooling1D({ poolSize: 4, strides: 1 }), tf.layers.maxPooling1d({ poolSize: 4, strides: 1 }), seq);
  againstTf(new layers.AveragePooling1D(), tf.layers.averagePooling1d({}), seq);
  againstTf(new layers.AveragePooling1D(3, { strides: 1 }), tf.layers.averagePooling1d({ poolSize: 3, strides: 1 }), seq);
  againstTf(new layers.AveragePooling1D(4, { strides: 3, padding: 'same' }), tf.layers.averagePooling1d({ poolSize: 4, strides: 3, padding: 'same' }), seq);
  againstTf(new layers.GlobalAveragePooling1D(), tf.layers.globalAveragePooling1d(), seq);
  againstTf(new layers.GlobalMaxPooling1D(), tf.layers.globalMaxPooling1d(), seq);
});

test('RepeatVector, LayerNormalization and TimeDistributed match TensorFlow.js', () => {
  againstTf(new layers.RepeatVector(4), tf.layers.repeatVector({ n: 4 }), randomTensor([3, 5], 22));
  const norm = { gammaInitializer: 'random_uniform', betaInitializer: 'random_uniform' } as const;
  againstTf(new layers.LayerNormalization(norm), tf.layers.layerNormalization({}), seq);
  againstTf(new layers.LayerNormalization({ ...norm, epsilon: 1e-6 }), tf.layers.layerNormalization({ epsilon: 1e-6 }), randomTensor([4, 7], 23, 3));
  againstTf(new layers.LayerNormalization({ ...norm, axis: [1, 2] }), tf.layers.layerNormalization({ axis: [1, 2] }), seq);
  againstTf(new layers.LayerNormalization({ ...norm, axis: 1 }), tf.layers.layerNormalization({ axis: 1 }), seq);
  againstTf(new layers.LayerNormalization({ ...norm, center: false }), tf.layers.layerNormalization({ center: false }), seq);
  againstTf(new layers.LayerNormalization({ ...norm, scale: false }), tf.layers.layerNormalization({ scale: false }), seq);
  againstTf(new layers.TimeDistributed(new layers.Dense(3, random)), tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 3 }) }), seq);
  againstTf(new layers.TimeDistributed(new layers.Dense(2, { activation: 'relu', ...random })),
    tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 2, activation: 'relu' }) }), randomTensor([2, 3, 4, 5], 24));
  againstTf(new layers.TimeDistributed(new layers.Conv1D(2, 3, { padding: 'same', ...random })),
    tf.layers.timeDistributed({ layer: tf.layers.conv1d({ filters: 2, kernelSize: 3, padding: 'same' }) }), randomTensor([2, 3, 6, 2], 25));
});

test('TimeDistributed(BatchNormalization): the moving statistics in inference (TensorFlow.js); training is a clear error', async () => {
  const wrapped = new layers.BatchNormalization();
  const td = new layers.TimeDistributed(wrapped);
  td.maybeBuild([null, 3, 4]);
  const positive = randomTensor([4], 28);
  td.setWeights([randomTensor([4], 29), randomTensor([4], 30), randomTensor([4], 31), tensor(Float32Array.from(positive.data, (v) => Math.abs(v) + 0.5), [4])]);
  againstTf(td, tf.layers.timeDistributed({ layer: tf.layers.batchNormalization({}) }), randomTensor([2, 3, 4], 32));
  const input = Input({ shape: [3, 4] });
  const model = new Model({ inputs: input, outputs: new layers.TimeDistributed(new layers.BatchNormalization())(input) });
  model.compile({ optimizer: 'sgd', loss: 'mse' });
  const x = randomTensor([4, 3, 4], 33);
  let message = '';
  try {
    await model.fit(x, x, { epochs: 1, verbose: 0 });
  } catch (e) {
    message = (e as Error).message;
  }
  assert.match(message, /TimeDistributed: the wrapped layer "batch_normalization(_\d+)?" \(BatchNormalization\) updates statistics of its batch in training/);
});

test('gradients of every new layer by finite differences (input and weights)', () => {
  const checks: [Layer, number[][], Parameters<typeof layerGradCheck>[2]?][] = [
    [new layers.Conv1D(3, 3, random), [[2, 6, 2]]],
    [new layers.Conv1D(2, 2, { padding: 'causal', dilationRate: 2, ...random }), [[2, 5, 3]]],
    [new layers.Conv1D(3, 3, { padding: 'same', strides: 2, ...random }), [[1, 7, 2]]],
    [new layers.Conv1D(4, 2, { groups: 2, ...random }), [[2, 4, 2]]],
    [new layers.MaxPooling1D(2, { strides: 1, padding: 'same' }), [[2, 5, 2]], { gen: gen.distinct }],
    [new layers.AveragePooling1D(3, { strides: 2, padding: 'same' }), [[2, 6, 2]]],
    [new layers.GlobalAveragePooling1D(), [[2, 4, 3]]],
    [new layers.GlobalMaxPooling1D({ keepdims: true }), [[2, 4, 3]], { gen: gen.distinct }],
    [new layers.UpSampling1D({ size: 3 }), [[2, 3, 2]]],
    [new layers.ZeroPadding1D({ padding: [2, 1] }), [[2, 3, 2]]],
    [new layers.Cropping1D({ cropping: [1, 2] }), [[2, 5, 2]]],
    [new layers.RepeatVector(3), [[2, 4]]],
    [new layers.LayerNormalization({ gammaInitializer: 'random_uniform', betaInitializer: 'random_uniform' }), [[3, 5]], { rtol: 1e-4 }],
    [new layers.LayerNormalization({ axis: [-1, 1] }), [[2, 3, 2, 2]], { rtol: 1e-4 }],
    [new layers.LayerNormalization({ rmsScaling: true }), [[2, 2, 4]], { rtol: 1e-4 }],
    [new layers.ActivityRegularization({ l1: 0.1, l2: 0.2 }), [[2, 3]]],
    [new layers.TimeDistributed(new layers.Dense(3, random)), [[2, 4, 3]]],
    [new layers.TimeDistributed(new layers.Conv1D(2, 2, random)), [[2, 3, 4, 2]]],
  ];
  for (const [layer, shapes, options] of checks) {
    const report = layerGradCheck(layer, shapes, options);
    record(layer.className, 'finite differences (float64)', report.maxError);
    assert.ok(report.checked > 0, layer.name);
  }
});

test('Conv1D compiles to the conv2d kernel with its bias and activation fused, and causal padding inside it', () => {
  const x = Input({ shape: [16, 8] });
  const model = new Model({ inputs: x, outputs: new layers.Conv1D(4, 3, { padding: 'causal', dilationRate: 2, activation: 'relu' })(x) });
  const fused = model.dump({ graph: 'predict', stage: 'fused' });
  // Each kernel's block of the dump: its header line, what it reads and writes, and its ops.
  const blocks = fused.split(/\n(?=kernel \d+ |outputs:)/).filter((b) => b.startsWith('kernel '));
  const contractions = blocks.filter((b) => / \(contraction\)\n/.test(b));
  assert.is(contractions.length, 1, fused);
  assert.match(contractions[0], /= conv2d\[dilation=\[1,2\],padding=\[0,0,4,0\]/, 'causal padding is the convolution\'s own');
  assert.match(contractions[0], /= add /, 'bias in the convolution kernel');
  assert.match(contractions[0], /= maximum .* 0\.0:f32/, 'relu in the convolution kernel');
  assert.not.match(fused, /= pad\[/, 'no padded copy of the input');
});

test('ActivityRegularization adds l1 * sum|x| + l2 * sum x^2 over the batch size to the training loss', async () => {
  backend.setSession(new Session({ seed: 3 }));
  const input = Input({ shape: [5] });
  const hidden = new layers.ActivityRegularization({ l1: 0.03, l2: 0.2 })(new layers.Dense(4, { kernelInitializer: 'ones', useBias: false })(input));
  const model = new Model({ inputs: input, outputs: new layers.Dense(1, { kernelInitializer: 'zeros', useBias: false })(hidden) });
  model.compile({ optimizer: new optimizers.SGD({ learningRate: 0 }), loss: 'mse' });
  const x = randomTensor([6, 5], 26);
  const y = tensor(new Float32Array(6), [6, 1]);
  // The output is 0 = y, so the training loss is the penalty of the hidden activations alone.
  const history = await model.fit(x, y, { epochs: 1, batchSize: 6, verbose: 0, shuffle: false });
  let l1 = 0, l2 = 0;
  for (let b = 0; b < 6; b++) {
    let rowSum = 0;
    for (let i = 0; i < 5; i++) rowSum += x.data[b * 5 + i];
    l1 += 4 * Math.abs(rowSum);
    l2 += 4 * rowSum * rowSum;
  }
  const expected = (0.03 * l1 + 0.2 * l2) / 6;
  const got = history.history.loss[0];
  record('ActivityRegularization (training loss)', 'formula (float64)', Math.abs(got - expected));
  assert.ok(Math.abs(got - expected) < 1e-5 * Math.max(1, expected), `loss ${got}, expected ${expected}`);
});

test('the sequence layers train in one compiled step: loss falls', async () => {
  backend.setSession(new Session({ seed: 9 }));
  const model = new Sequential([
    Input({ shape: [12, 3] }),
    new layers.Conv1D(8, 3, { padding: 'causal', activation: 'relu' }),
    new layers.LayerNormalization(),
    new layers.ZeroPadding1D({ padding: [1, 0] }),
    new layers.Conv1D(8, 2, { groups: 2, strides: 1 }),
    new layers.MaxPooling1D(2),
    new layers.UpSampling1D({ size: 2 }),
    new layers.Cropping1D({ cropping: [1, 1] }),
    new layers.AveragePooling1D(2, { padding: 'same' }),
    new layers.TimeDistributed(new layers.Dense(6, { activation: 'tanh' })),
    new layers.ActivityRegularization({ l2: 1e-4 }),
    new layers.GlobalAveragePooling1D(),
    new layers.RepeatVector(2),
    new layers.GlobalMaxPooling1D(),
    new layers.Dense(3, { activation: 'softmax' }),
  ]);
  const x = randomTensor([24, 12, 3], 27);
  const labels = Array.from({ length: 24 }, (_, i) => i % 3);
  const y = tensor(Int32Array.from(labels), [24], 'int32');
  model.compile({ optimizer: new optimizers.Adam({ learningRate: 0.02 }), loss: 'sparse_categorical_crossentropy' });
  const before = model.evaluate(x, y, { verbose: 0 }) as number;
  const h = await model.fit(x, y, { epochs: 40, batchSize: 8, verbose: 0 });
  const after = model.evaluate(x, y, { verbose: 0 }) as number;
  assert.ok(h.history.loss.every(Number.isFinite), `losses ${h.history.loss}`);
  assert.ok(after < before * 0.5, `loss falls: ${before} -> ${after}`);
  assert.equal([...(model.predict(x, { verbose: 0 }) as Tensor).shape], [24, 3]);
});

test.after(printReport);
test.run();
