/**
 * The layer zoo against TensorFlow.js (identical inputs and weights, compiled and interpreted),
 * finite-difference gradients of every layer, the training-time statistics of the noise
 * layers, and Keras's errors.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Input, Model, layers, ops, tensor, type Tensor } from '../src/index.js';
import type { Layer } from '../src/api/layers/layer.js';
import { loadTf, randomTensor } from './support/api-eval.js';
import { evaluate, gen, tensor as refTensor } from './support/gradcheck.js';
import * as B from '../src/ir/build.js';
import { normalQuantile } from '../src/api/normal-quantile.js';
import { layerGradCheck } from './support/layer-gradcheck.js';
import { printReport, record, runLayer, worstOf } from './support/zoo-report.js';

const tf = await loadTf();
type TfLayer = { apply(x: ReturnType<typeof tf.input> | ReturnType<typeof tf.input>[]): unknown };

/** Our layer and TensorFlow.js's on the same inputs with our weights copied over. */
function againstTf(ours: Layer, theirs: TfLayer, inputs: readonly Tensor[], tol = 1e-5): void {
  const run = runLayer(ours, inputs);
  const tin = inputs.map((x) => tf.input({ shape: x.shape.slice(1) }));
  const tout = theirs.apply(tin.length === 1 ? tin[0] : tin) as ReturnType<typeof tf.input>;
  const tmodel = tf.model({ inputs: tin, outputs: tout });
  tmodel.setWeights(ours.getWeights().map((w) => tf.tensor(Array.from(w.data), [...w.shape])));
  const ref = tmodel.predict(inputs.map((x) => tf.tensor(Array.from(x.data), [...x.shape]))) as ReturnType<typeof tf.tensor>;
  assert.equal([...run.compiled.shape], ref.shape, `${ours.name}: output shape`);
  assert.equal(run.model.outputShapes[0].slice(1), ref.shape.slice(1), `${ours.name}: symbolic output shape`);
  assert.is(ours.countParams(), tmodel.countParams(), `${ours.name}: parameter count`);
  const diff = worstOf(run, ref.dataSync());
  record(ours.className, 'TensorFlow.js', diff);
  assert.ok(diff < tol, `${ours.name}: max |diff| ${diff}`);
}

const x2 = randomTensor([3, 8], 1, 2);
const x4 = randomTensor([2, 7, 6, 3], 2);

test('activation layers match TensorFlow.js', () => {
  againstTf(new layers.ReLU(), tf.layers.reLU(), [x2]);
  againstTf(new layers.ReLU({ maxValue: 1 }), tf.layers.reLU({ maxValue: 1 }), [x2]);
  againstTf(new layers.LeakyReLU(), tf.layers.leakyReLU({ alpha: 0.3 }), [x2]);
  againstTf(new layers.LeakyReLU({ negativeSlope: 0.05 }), tf.layers.leakyReLU({ alpha: 0.05 }), [x2]);
  againstTf(new layers.PReLU({ alphaInitializer: 'random_uniform' }), tf.layers.prelu(), [x2]);
  againstTf(new layers.PReLU({ alphaInitializer: 'random_uniform', sharedAxes: [1, 2] }), tf.layers.prelu({ sharedAxes: [1, 2] }), [x4]);
  // tf.layers.elu supports only alpha 1; other alphas are checked against Keras.
  againstTf(new layers.ELU(), tf.layers.elu(), [x2]);
  againstTf(new layers.Softmax(), tf.layers.softmax(), [x2]);
  // tf.layers.softmax works on the last axis only; other axes are checked against Keras.
  againstTf(new layers.Softmax({ axis: 3 }), tf.layers.softmax({ axis: 3 }), [x4]);
});

test('spatial reshaping layers match TensorFlow.js', () => {
  againstTf(new layers.UpSampling2D(), tf.layers.upSampling2d({}), [x4]);
  againstTf(new layers.UpSampling2D({ size: [3, 1] }), tf.layers.upSampling2d({ size: [3, 1] }), [x4]);
  againstTf(new layers.ZeroPadding2D(), tf.layers.zeroPadding2d({}), [x4]);
  againstTf(new layers.ZeroPadding2D({ padding: [[1, 0], [2, 3]] }), tf.layers.zeroPadding2d({ padding: [[1, 0], [2, 3]] }), [x4]);
  againstTf(new layers.Cropping2D({ cropping: [[2, 1], [0, 3]] }), tf.layers.cropping2D({ cropping: [[2, 1], [0, 3]] }), [x4]);
  againstTf(new layers.Cropping2D({ cropping: 1 }), tf.layers.cropping2D({ cropping: 1 }), [x4]);
  againstTf(new layers.Permute([3, 1, 2]), tf.layers.permute({ dims: [3, 1, 2] }), [x4]);
  againstTf(new layers.Flatten(), tf.layers.flatten(), [x4]);
  againstTf(new layers.Reshape([-1, 9]), tf.layers.reshape({ targetShape: [-1, 9] }), [x4]);
  againstTf(new layers.Reshape([6, -1]), tf.layers.reshape({ targetShape: [6, -1] }), [x4]);
});

test('DepthwiseConv2D and SeparableConv2D match TensorFlow.js', () => {
  const cases: [number | [number, number], Record<string, unknown>][] = [
    [3, {}],
    [3, { depthMultiplier: 2, padding: 'same' }],
    [[2, 3], { strides: 2 }],
    [3, { strides: [2, 3], padding: 'same', activation: 'relu' }],
    [3, { padding: 'same', useBias: false }],
  ];
  // tf.layers.depthwiseConv2d ignores dilationRate (its op does not): dilation is checked
  // against Keras (layer_zoo.json) and here against the op.
  for (const [kernelSize, args] of cases) {
    againstTf(new layers.DepthwiseConv2D(kernelSize, { ...args, biasInitializer: 'random_uniform' }), tf.layers.depthwiseConv2d({ kernelSize, ...args }), [x4]);
    againstTf(new layers.SeparableConv2D(4, kernelSize, { ...args, biasInitializer: 'random_uniform' }), tf.layers.separableConv2d({ filters: 4, kernelSize, ...args }), [x4]);
  }
  const dilated = new layers.DepthwiseConv2D(3, { dilationRate: [2, 1], padding: 'same', depthMultiplier: 2, useBias: false });
  const run = runLayer(dilated, [x4]);
  const kernel = dilated.getWeights()[0];
  const ref = tf.depthwiseConv2d(tf.tensor4d(Array.from(x4.data), [2, 7, 6, 3]), tf.tensor4d(Array.from(kernel.data), [3, 3, 3, 2]), 1, 'same', 'NHWC', [2, 1]);
  const diff = worstOf(run, ref.dataSync());
  record('DepthwiseConv2D', 'TensorFlow.js', diff);
  assert.ok(diff < 1e-5, `dilated depthwise: max |diff| ${diff}`);
});

test('Dot matches TensorFlow.js (axes, normalize)', () => {
  const a = randomTensor([3, 5], 3);
  const b = randomTensor([3, 5], 4);
  againstTf(new layers.Dot(1), tf.layers.dot({ axes: 1 }), [a, b]);
  againstTf(new layers.Dot(-1, { normalize: true }), tf.layers.dot({ axes: -1, normalize: true }), [a, b]);
  againstTf(new layers.Dot([2, 1]), tf.layers.dot({ axes: [2, 1] }), [randomTensor([2, 3, 4], 5), randomTensor([2, 4, 6], 6)]);
});

test('Rescaling matches TensorFlow.js', () => {
  againstTf(new layers.Rescaling(1 / 255, { offset: 0.5 }), tf.layers.rescaling({ scale: 1 / 255, offset: 0.5 }), [x4]);
});

test('noise and dropout layers are the identity in inference, as TensorFlow.js', () => {
  againstTf(new layers.SpatialDropout1D(0.5), tf.layers.spatialDropout1d({ rate: 0.5 }), [randomTensor([2, 5, 3], 7)]);
  againstTf(new layers.SpatialDropout2D(0.5), tf.layers.dropout({ rate: 0.5 }), [x4]);
  againstTf(new layers.GaussianNoise(0.5), tf.layers.gaussianNoise({ stddev: 0.5 }), [x2]);
  againstTf(new layers.GaussianDropout(0.5), tf.layers.gaussianDropout({ rate: 0.5 }), [x2]);
  againstTf(new layers.AlphaDropout(0.5), tf.layers.alphaDropout({ rate: 0.5 }), [x2]);
});

test('Lambda runs its function of ops; Identity passes its input through', () => {
  const x = randomTensor([4, 3], 8);
  const run = runLayer(new layers.Lambda((t) => ops.add(ops.square(t as ops.SymbolicTensor), 1)), [x]);
  const expected = Array.from(x.data, (v) => Math.fround(v * v) + 1);
  const diff = worstOf(run, expected);
  record('Lambda', 'x^2 + 1 in float32', diff);
  assert.ok(diff < 1e-6);
  const scaled = runLayer(new layers.Lambda((t, a) => ops.multiply(t as ops.SymbolicTensor, a.factor as number), { arguments: { factor: 3 } }), [x]);
  assert.ok(worstOf(scaled, Array.from(x.data, (v) => v * 3)) < 1e-6);
  const same = runLayer(new layers.Identity(), [x]);
  assert.equal(Array.from(same.compiled.data), Array.from(x.data));
});

test('normal samples: the quantile function matches published normal quantiles', () => {
  // (p, Φ⁻¹(p)) pairs from the standard normal table, both tails and the centre.
  const table: [number, number][] = [
    [1e-6, -4.753424308822899], [0.001, -3.090232306167813], [0.02, -2.053748910631823], [0.1, -1.2815515655446004],
    [0.5, 0], [0.8413447460685429, 1], [0.975, 1.959963984540054], [0.99, 2.3263478740408408], [0.9999, 3.7190164854556804],
  ];
  const p = B.input('p', [table.length]);
  const [q] = evaluate([normalQuantile(p)], new Map([[p, refTensor([table.length], table.map(([v]) => v))]]));
  const diff = Math.max(...table.map(([, expected], i) => Math.abs(q.data[i] - expected) / Math.max(1, Math.abs(expected))));
  record('normal quantile (GaussianNoise, GaussianDropout)', 'published quantiles', diff);
  assert.ok(diff < 1e-8, `relative error ${diff}`);
});

test('the noise layers in training: Keras statistics, fresh draws each step', () => {
  const n = 20000;
  const ones = tensor(new Float32Array(n).fill(1), [1, n]);
  const stats = (layer: Layer) => {
    const input = Input({ shape: [n] });
    const model = new Model({ inputs: input, outputs: layer(input, { training: true }) as ReturnType<typeof Input> });
    const y = model.predict(ones, { verbose: 0 }) as Tensor;
    const values = Array.from(y.data);
    const mean = values.reduce((s, v) => s + v, 0) / n;
    const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / n;
    return { y, mean, variance };
  };
  // x + N(0, 0.5): mean 1, variance 0.25
  const noise = stats(new layers.GaussianNoise(0.5));
  assert.ok(Math.abs(noise.mean - 1) < 0.02 && Math.abs(noise.variance - 0.25) < 0.015, `GaussianNoise ${noise.mean} ${noise.variance}`);
  // x * N(1, rate / (1 - rate)): mean 1, variance 0.25 / 0.75
  const gd = stats(new layers.GaussianDropout(0.25));
  assert.ok(Math.abs(gd.mean - 1) < 0.02 && Math.abs(gd.variance - 1 / 3) < 0.02, `GaussianDropout ${gd.mean} ${gd.variance}`);
  // AlphaDropout keeps the mean and variance of SELU-normalised inputs; on constant ones it has two values.
  const ad = stats(new layers.AlphaDropout(0.2));
  assert.equal(new Set(ad.y.data).size, 2);
  const spatial = stats(new layers.Dropout(0.5));
  assert.ok(Math.abs(spatial.mean - 1) < 0.03);
  // SpatialDropout2D: one decision per (sample, channel), shared over height and width.
  const input = Input({ shape: [4, 4, 50] });
  const model = new Model({ inputs: input, outputs: new layers.SpatialDropout2D(0.5)(input, { training: true }) });
  const y = model.predict(tensor(new Float32Array(2 * 4 * 4 * 50).fill(1), [2, 4, 4, 50]), { verbose: 0 }) as Tensor;
  for (let b = 0; b < 2; b++) for (let c = 0; c < 50; c++) {
    const first = y.data[b * 800 + c];
    assert.ok(first === 0 || first === 2);
    for (let p = 1; p < 16; p++) assert.is(y.data[b * 800 + p * 50 + c], first);
  }
});

test('gradients of every new layer by finite differences (input and weights)', () => {
  const away = gen.awayFromZero(0.1, 1.5);
  const checks: [Layer, number[][], Parameters<typeof layerGradCheck>[2]?][] = [
    [new layers.ReLU({ maxValue: 1.2, negativeSlope: 0.1, threshold: 0.3 }), [[2, 6]], { gen: gen.nonInteger }],
    [new layers.LeakyReLU(), [[2, 6]], { gen: away }],
    [new layers.PReLU({ sharedAxes: [1] }), [[2, 3, 4]], { gen: away }],
    [new layers.ELU({ alpha: 0.7 }), [[2, 6]], { gen: away }],
    [new layers.Softmax({ axis: [1, 2] }), [[2, 3, 2]]],
    [new layers.UpSampling2D({ size: [2, 3] }), [[1, 2, 2, 2]]],
    [new layers.ZeroPadding2D({ padding: [[1, 0], [0, 2]] }), [[1, 2, 3, 2]]],
    [new layers.Cropping2D({ cropping: [[1, 0], [1, 1]] }), [[1, 3, 4, 2]]],
    [new layers.Permute([2, 1]), [[2, 3, 4]]],
    [new layers.Conv2D(4, 2, { groups: 2, padding: 'same' }), [[1, 3, 3, 4]]],
    [new layers.DepthwiseConv2D(2, { depthMultiplier: 2, strides: 2 }), [[1, 5, 4, 2]]],
    [new layers.DepthwiseConv2D(3, { dilationRate: 2, padding: 'same' }), [[1, 4, 5, 2]]],
    [new layers.SeparableConv2D(3, 2, { padding: 'same' }), [[1, 3, 3, 2]]],
    [new layers.Lambda((t) => ops.multiply(t as ops.SymbolicTensor, t as ops.SymbolicTensor)), [[2, 3]]],
    [new layers.Identity(), [[2, 3]]],
    [new layers.Rescaling([0.5, -2], { offset: 1 }), [[2, 3, 2]]],
    [new layers.Normalization({ mean: [1, 2], variance: [4, 0.5], invert: true }), [[3, 2]]],
    [new layers.Normalization({ axis: [1, 2] }), [[3, 2, 2]]],
    [new layers.UnitNormalization({ axis: [1, 2] }), [[2, 2, 3]]],
    [new layers.GroupNormalization({ groups: 2 }), [[2, 3, 4]], { rtol: 1e-4 }],
    [new layers.Dot([1, 2], { normalize: true }), [[2, 3, 2], [2, 4, 3]]],
    [new layers.SpatialDropout1D(0.4), [[2, 3, 4]], { training: true }],
    [new layers.SpatialDropout2D(0.4), [[2, 2, 2, 3]], { training: true }],
    [new layers.GaussianNoise(0.3), [[2, 5]], { training: true }],
    [new layers.GaussianDropout(0.3), [[2, 5]], { training: true }],
    [new layers.AlphaDropout(0.3), [[2, 5]], { training: true }],
  ];
  for (const [layer, shapes, options] of checks) {
    const report = layerGradCheck(layer, shapes, options);
    record(layer.className, 'finite differences (float64)', report.maxError);
    assert.ok(report.checked > 0, layer.name);
  }
});

test.after(printReport);
test.run();
