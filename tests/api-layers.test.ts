/** Every built-in layer against TensorFlow.js with identical weights: output shapes and values. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Input, Model, layers, tensor, type Tensor } from '../src/index.js';
import type { KerasTensor } from '../src/api/layers/keras-tensor.js';
import type { Layer } from '../src/api/layers/layer.js';
import { evalModel, loadTf, maxAbsDiff, randomTensor } from './support/api-eval.js';

const tf = await loadTf();
type TfLayer = { apply(x: ReturnType<typeof tf.input>): unknown };

/** Runs `ours` and `theirs` on the same input with our weights copied over; returns both outputs. */
function compare(ours: Layer, theirs: TfLayer, x: Tensor, { tol = 1e-4, dtype = 'float32' as 'float32' | 'int32' } = {}): { y: Tensor; ref: number[] } {
  const input = Input({ shape: x.shape.slice(1), dtype });
  const model = new Model({ inputs: input, outputs: ours(input) as KerasTensor });
  const y = evalModel(model, [x]).outputs[0];
  const tin = tf.input({ shape: x.shape.slice(1), dtype });
  const tmodel = tf.model({ inputs: tin, outputs: theirs.apply(tin) as ReturnType<typeof tf.input> });
  tmodel.setWeights(ours.getWeights().map((w) => tf.tensor(Array.from(w.data), [...w.shape])));
  const out = tmodel.predict(tf.tensor(Array.from(x.data), [...x.shape], dtype)) as ReturnType<typeof tf.tensor>;
  assert.equal([...y.shape], out.shape, `${ours.name}: output shape`);
  const ref = Array.from(out.dataSync());
  const diff = maxAbsDiff(y.data, ref);
  assert.ok(diff < tol, `${ours.name}: max |diff| ${diff}`);
  const keras = (model.outputShapes[0]);
  assert.equal(keras.slice(1), [...y.shape].slice(1), `${ours.name}: symbolic shape matches concrete`);
  return { y, ref };
}

test('Dense: 2-D and 3-D inputs, with and without bias and activation', () => {
  compare(new layers.Dense(3, { activation: 'relu' }), tf.layers.dense({ units: 3, activation: 'relu' }), randomTensor([4, 5], 1));
  compare(new layers.Dense(6), tf.layers.dense({ units: 6 }), randomTensor([2, 3, 5], 2));
  compare(new layers.Dense(2, { useBias: false, activation: 'tanh' }), tf.layers.dense({ units: 2, useBias: false, activation: 'tanh' }), randomTensor([3, 7], 3));
  compare(new layers.Dense(4, { activation: 'softmax' }), tf.layers.dense({ units: 4, activation: 'softmax' }), randomTensor([2, 2, 2, 3], 4));
});

test('Activation: every name matches TensorFlow.js', () => {
  const x = randomTensor([3, 8], 5, 3);
  for (const name of ['relu', 'sigmoid', 'tanh', 'softmax', 'linear', 'elu', 'selu', 'softplus', 'softsign', 'relu6', 'swish', 'hard_sigmoid']) {
    const tfName = name === 'hard_sigmoid' ? 'hardSigmoid' : name;
    if (name === 'hard_sigmoid') continue; // tfjs uses Keras 2's 0.2x + 0.5; Keras 3 uses x/6 + 0.5 (checked in api-ops)
    compare(new layers.Activation(name), tf.layers.activation({ activation: tfName as 'relu' }), x);
  }
  // camelCase and snake_case spellings resolve to the same function
  compare(new layers.Activation('leakyRelu'), tf.layers.leakyReLU({ alpha: 0.2 }), x);
  compare(new layers.Activation('leaky_relu'), tf.layers.leakyReLU({ alpha: 0.2 }), x);
});

test('Activation: gelu is the exact erf form, silu = swish', () => {
  const x = randomTensor([2, 6], 6, 3);
  const input = Input({ shape: [6] });
  const gelu = evalModel(new Model({ inputs: input, outputs: new layers.Activation('gelu')(input) }), [x]).outputs[0];
  const expected = tf.mul(tf.mul(tf.tensor(Array.from(x.data)), 0.5), tf.add(1, tf.erf(tf.div(tf.tensor(Array.from(x.data)), Math.SQRT2)))).dataSync();
  assert.ok(maxAbsDiff(gelu.data, expected) < 1e-5);
  const silu = evalModel(new Model({ inputs: input, outputs: new layers.Activation('silu')(input) }), [x]).outputs[0];
  const swish = evalModel(new Model({ inputs: input, outputs: new layers.Activation('swish')(input) }), [x]).outputs[0];
  assert.equal(Array.from(silu.data), Array.from(swish.data));
});

test('Flatten and Reshape', () => {
  compare(new layers.Flatten(), tf.layers.flatten(), randomTensor([2, 3, 4, 2], 7));
  compare(new layers.Reshape([4, 6]), tf.layers.reshape({ targetShape: [4, 6] }), randomTensor([2, 3, 8], 8));
  compare(new layers.Reshape([-1, 3]), tf.layers.reshape({ targetShape: [-1, 3] }), randomTensor([2, 12], 9));
});

test('Dropout is the identity in inference', () => {
  compare(new layers.Dropout(0.5), tf.layers.dropout({ rate: 0.5 }), randomTensor([4, 10], 10));
});

test('Conv2D: strides, padding, dilation, activation, no bias', () => {
  const x = randomTensor([2, 9, 8, 3], 11);
  const cases: [number, number | [number, number], Record<string, unknown>][] = [
    [4, 3, {}],
    [5, [3, 2], { strides: 2, padding: 'same' }],
    [2, 3, { strides: [2, 1], padding: 'valid', activation: 'relu' }],
    [3, 3, { dilationRate: 2, padding: 'same' }],
    [3, 2, { useBias: false, padding: 'same', strides: 3 }],
  ];
  for (const [filters, kernelSize, args] of cases) {
    compare(new layers.Conv2D(filters, kernelSize, args), tf.layers.conv2d({ filters, kernelSize, ...args }), x);
  }
});

test('Conv2DTranspose: output sizes and values as Keras / TensorFlow', () => {
  const x = randomTensor([2, 4, 5, 3], 12);
  const cases: [number, number | [number, number], Record<string, unknown>][] = [
    [2, 3, {}],
    [4, 3, { strides: 2, padding: 'same' }],
    [3, [2, 3], { strides: 2, padding: 'valid' }],
    [2, 2, { strides: 3, padding: 'valid', activation: 'relu' }],
    [2, 1, { strides: 2 }],
    [3, 4, { strides: 2, padding: 'same', useBias: false }],
  ];
  for (const [filters, kernelSize, args] of cases) {
    compare(new layers.Conv2DTranspose(filters, kernelSize, args), tf.layers.conv2dTranspose({ filters, kernelSize, ...args }), x);
  }
});

test('Conv2DTranspose: outputPadding matches tf.conv2dTranspose with the Keras output shape', () => {
  const x = randomTensor([1, 4, 3, 2], 13);
  for (const [padding, k, s, op, expected] of [
    ['same', 3, 2, 1, [8, 6]], ['valid', 3, 2, 1, [10, 8]], ['same', 2, 3, 2, [11, 8]], ['valid', 3, 3, 0, [12, 9]],
  ] as const) {
    const layer = new layers.Conv2DTranspose(2, k, { strides: s, padding, outputPadding: op });
    const input = Input({ shape: [4, 3, 2] });
    const model = new Model({ inputs: input, outputs: layer(input) });
    assert.equal(model.outputShapes[0], [null, ...expected, 2], `${padding} k${k} s${s} op${op}`);
    const y = evalModel(model, [x]).outputs[0];
    const [kernel, bias] = layer.getWeights();
    const ref = tf.add(tf.conv2dTranspose(tf.tensor4d(Array.from(x.data), [1, 4, 3, 2]), tf.tensor4d(Array.from(kernel.data), kernel.shape as [number, number, number, number]),
      [1, expected[0], expected[1], 2], s, padding), tf.tensor(Array.from(bias.data))).dataSync();
    assert.ok(maxAbsDiff(y.data, ref) < 1e-4, `${padding} k${k} s${s} op${op}`);
  }
});

test('Conv2DTranspose with dilation: Keras output size', () => {
  const input = Input({ shape: [5, 5, 1] });
  const m = new Model({ inputs: input, outputs: new layers.Conv2DTranspose(2, 3, { dilationRate: 2 })(input) });
  assert.equal(m.outputShapes[0], [null, 9, 9, 2]);
  const s = new Model({ inputs: input, outputs: new layers.Conv2DTranspose(2, 3, { dilationRate: 2, padding: 'same' })(input) });
  assert.equal(s.outputShapes[0], [null, 5, 5, 2]);
});

test('MaxPooling2D and AveragePooling2D', () => {
  const x = randomTensor([2, 7, 6, 3], 14);
  const cases: Record<string, unknown>[] = [{}, { poolSize: 3, strides: 2 }, { poolSize: [2, 3], padding: 'same' }, { poolSize: 3, strides: 1, padding: 'same' }];
  for (const args of cases) {
    compare(new layers.MaxPooling2D(args), tf.layers.maxPooling2d({ poolSize: 2, ...args }), x);
    compare(new layers.AveragePooling2D(args), tf.layers.averagePooling2d({ poolSize: 2, ...args }), x);
  }
  // Keras's positional pool_size
  compare(new layers.MaxPooling2D([3, 3]), tf.layers.maxPooling2d({ poolSize: 3 }), x);
});

test('GlobalAveragePooling2D', () => {
  compare(new layers.GlobalAveragePooling2D(), tf.layers.globalAveragePooling2d({}), randomTensor([2, 5, 4, 3], 15));
  const input = Input({ shape: [5, 4, 3] });
  const m = new Model({ inputs: input, outputs: new layers.GlobalAveragePooling2D({ keepdims: true })(input) });
  assert.equal(m.outputShapes[0], [null, 1, 1, 3]);
});

test('BatchNormalization in inference uses the moving statistics', () => {
  const bn = new layers.BatchNormalization();
  const x = randomTensor([4, 3, 5], 16, 2);
  const input = Input({ shape: [3, 5] });
  new Model({ inputs: input, outputs: bn(input) });
  const [gamma, beta] = [randomTensor([5], 17), randomTensor([5], 18)];
  const mean = randomTensor([5], 19);
  const variance = tensor(Float32Array.from(randomTensor([5], 20).data, (v) => Math.abs(v) + 0.5), [5]);
  bn.setWeights([gamma, beta, mean, variance]);
  compare(bn, tf.layers.batchNormalization({}), x);
  const conv = new layers.BatchNormalization({ axis: 1, momentum: 0.9, epsilon: 1e-2, center: false });
  compare(conv, tf.layers.batchNormalization({ axis: 1, momentum: 0.9, epsilon: 1e-2, center: false }), randomTensor([2, 3, 4, 2], 21));
});

test('BatchNormalization in training: batch statistics and moving-average updates', () => {
  const bn = new layers.BatchNormalization({ momentum: 0.9 });
  const input = Input({ shape: [3] });
  const model = new Model({ inputs: input, outputs: bn(input) });
  const x = randomTensor([6, 3], 22, 3);
  const { outputs: [y], updates } = evalModel(model, [x], { training: true });
  const tx = tf.tensor2d(Array.from(x.data), [6, 3]);
  const { mean, variance } = tf.moments(tx, 0);
  const expected = tf.div(tf.sub(tx, mean), tf.sqrt(tf.add(variance, 1e-3))).dataSync();
  assert.ok(maxAbsDiff(y.data, expected) < 1e-4);
  const movingMean = updates.get(`${bn.name}/moving_mean`)!;
  const movingVar = updates.get(`${bn.name}/moving_variance`)!;
  assert.ok(maxAbsDiff(movingMean, tf.mul(mean, 0.1).dataSync()) < 1e-5);
  assert.ok(maxAbsDiff(movingVar, tf.add(tf.mul(variance, 0.1), 0.9).dataSync()) < 1e-5);
  // a frozen layer runs in inference mode and updates nothing
  bn.trainable = false;
  assert.equal(evalModel(model, [x], { training: true }).updates.size, 0);
});

test('Embedding: rows of the table; out-of-range indices name the layer', () => {
  const x = tensor(new Int32Array([0, 3, 9, 2, 2, 7]), [2, 3], 'int32');
  compare(new layers.Embedding(10, 4), tf.layers.embedding({ inputDim: 10, outputDim: 4 }), x, { dtype: 'int32' });
  const emb = new layers.Embedding(5, 2, { maskZero: true, inputLength: 3 });
  assert.equal(emb.batchInputShape, [null, 3]);
  const input = Input({ shape: [3], dtype: 'int32' });
  const model = new Model({ inputs: input, outputs: emb(input) });
  assert.throws(() => evalModel(model, [tensor(new Int32Array([1, 5, 0]), [1, 3], 'int32')]), (e: Error) => e.message.includes(emb.name) && e.message.includes('[0, 5)'));
});

test('Concatenate, Add, Multiply and their function forms', () => {
  const a = Input({ shape: [3, 4] });
  const b = Input({ shape: [3, 2] });
  const c = Input({ shape: [3, 4] });
  const out = [layers.concatenate([a, b]), layers.concatenate([a, c], { axis: 1 }), layers.add([a, c]), layers.multiply([a, c]),
    new layers.Add()([a, c, a]), new layers.Concatenate({ axis: -1 })([b, a])];
  const model = new Model({ inputs: [a, b, c], outputs: out });
  assert.equal(model.outputShapes, [[null, 3, 6], [null, 6, 4], [null, 3, 4], [null, 3, 4], [null, 3, 4], [null, 3, 6]]);
  const xs = [randomTensor([2, 3, 4], 23), randomTensor([2, 3, 2], 24), randomTensor([2, 3, 4], 25)];
  const ys = evalModel(model, xs).outputs;
  const [ta, tb, tc] = xs.map((x) => tf.tensor(Array.from(x.data), [...x.shape]));
  const refs = [tf.concat([ta, tb], -1), tf.concat([ta, tc], 1), tf.add(ta, tc), tf.mul(ta, tc), tf.add(tf.add(ta, tc), ta), tf.concat([tb, ta], -1)];
  refs.forEach((r, i) => assert.ok(maxAbsDiff(ys[i].data, r.dataSync()) < 1e-6, `output ${i}`));
});

test.run();
