/** The layer zoo's argument and shape errors, in Keras's words, and a compiled training run through the new layers. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Input, Model, layers, Sequential, backend, Session, optimizers, tensor, type Tensor } from '../src/index.js';
import { randomTensor } from './support/api-eval.js';

function throwsLike(f: () => unknown, pattern: RegExp): void {
  assert.throws(f, (e: Error) => pattern.test(e.message), String(pattern));
}
const callOn = (layer: layers.Layer, ...shapes: number[][]) => () =>
  layer(shapes.length === 1 ? Input({ shape: shapes[0] }) : shapes.map((s) => Input({ shape: s })));

test('activation layers reject negative limits as Keras does', () => {
  throwsLike(() => new layers.ReLU({ maxValue: -1 }), /max_value of a ReLU layer cannot be a negative value\. Received: max_value=-1/);
  throwsLike(() => new layers.ReLU({ negativeSlope: -0.1 }), /negative_slope of a ReLU layer cannot be None or a negative value\. Received: negative_slope=-0\.1/);
  throwsLike(() => new layers.ReLU({ threshold: -2 }), /threshold of a ReLU layer cannot be None or a negative value\. Received: threshold=-2/);
  throwsLike(() => new layers.LeakyReLU({ negativeSlope: -1 }), /negative_slope value of a Leaky ReLU layer cannot be None or negative value/);
  throwsLike(callOn(new layers.PReLU({ sharedAxes: [0] }), [3]), /shared_axes.*batch axis 0 cannot be shared/);
});

test('convolution arguments: groups, depth multiplier', () => {
  throwsLike(() => new layers.Conv2D(5, 3, { groups: 2 }), /The number of filters must be evenly divisible by the number of groups\. Received: groups=2, filters=5\./);
  throwsLike(() => new layers.Conv2D(4, 3, { groups: 0 }), /The number of groups must be a positive integer\. Received: groups=0\./);
  throwsLike(callOn(new layers.Conv2D(4, 3, { groups: 2 }), [5, 5, 3]), /The number of input channels must be evenly divisible by the number of groups\. Received groups=2, but the input has 3 channels/);
  throwsLike(() => new layers.DepthwiseConv2D(3, { depthMultiplier: 0 }), /Invalid value for argument `depth_multiplier`\. Expected a strictly positive value\. Received depth_multiplier=0\./);
  throwsLike(() => new layers.SeparableConv2D(0, 3), /Expected a strictly positive value\. Received filters=0/);
  throwsLike(callOn(new layers.DepthwiseConv2D(5), [3, 3, 2]), /larger than the input/);
});

test('reshaping arguments', () => {
  throwsLike(() => new layers.Permute([1, 3]), /The set of indices in `dims` must be consecutive and start from 1\. Received dims=\(1, 3\)/);
  throwsLike(() => new layers.ZeroPadding2D({ padding: [1, 2, 3] as unknown as [number, number] }), /`padding` should have two elements/);
  throwsLike(() => new layers.Cropping2D({ cropping: -1 }), /`cropping` cannot be negative/);
  throwsLike(callOn(new layers.Cropping2D({ cropping: [[2, 2], [0, 0]] }), [4, 4, 1]), /Values in `cropping` argument should be smaller than the corresponding spatial dimension of the input/);
  throwsLike(() => new layers.UpSampling2D({ interpolation: 'bilinear' as 'nearest' }), /only interpolation="nearest" is supported\. Received: interpolation=bilinear/);
  throwsLike(callOn(new layers.Reshape([-1, 5]), [12]), /The total size of the tensor must be unchanged/);
  const channelsFirst = 'channels_first' as 'channels_last';
  for (const make of [
    () => new layers.ZeroPadding2D({ dataFormat: channelsFirst }), () => new layers.Cropping2D({ dataFormat: channelsFirst }),
    () => new layers.UpSampling2D({ dataFormat: channelsFirst }), () => new layers.SpatialDropout2D(0.1, { dataFormat: channelsFirst }),
    () => new layers.DepthwiseConv2D(3, { dataFormat: channelsFirst }), () => new layers.SeparableConv2D(2, 3, { dataFormat: channelsFirst }),
  ]) throwsLike(make, /only data_format="channels_last" \(NHWC\) is supported\. Received: data_format=channels_first/);
});

test('normalization and noise arguments', () => {
  throwsLike(() => new layers.GroupNormalization({ groups: 0 }), /expected a positive integer \(or `-1` for instance normalization\)\. Received: groups=0/);
  throwsLike(callOn(new layers.GroupNormalization({ groups: 4 }), [6]), /Number of groups \(4\) must be a multiple of the number of channels \(6\)\./);
  throwsLike(callOn(new layers.GroupNormalization({ groups: 8 }), [6]), /Number of groups \(8\) cannot be more than the number of channels \(6\)\./);
  throwsLike(() => new layers.Normalization({ mean: 1 }), /both `mean` and `variance` must be set/);
  throwsLike(() => new layers.Normalization({ mean: [1, 2], variance: [1] }), /`mean` and `variance` must have the same shape/);
  throwsLike(() => new layers.Normalization().adapt([]), /adapt\(\) received an empty iterable/);
  const built = new layers.Normalization();
  built.adapt(randomTensor([4, 3], 1));
  throwsLike(() => built.adapt(randomTensor([4, 2], 2)), /The layer was built with input_shape=\(4, 3\), but adapt\(\) is being called with data with an incompatible shape, data\.shape=\(4, 2\)/);
  throwsLike(() => new layers.GaussianNoise(2), /Invalid value received for argument `stddev`\. Expected a float value between 0 and 1\. Received: stddev=2/);
  throwsLike(() => new layers.GaussianDropout(-0.5), /argument `rate`\. Expected a float value between 0 and 1/);
  throwsLike(() => new layers.UnitNormalization({ axis: 'x' as unknown as number }), /Invalid value for `axis` argument: expected an int or a list\/tuple of ints/);
});

test('Dot and Lambda arguments', () => {
  throwsLike(() => new layers.Dot([1, 2, 3] as unknown as [number, number]), /Invalid format for argument `axes`: it should contain two elements/);
  throwsLike(callOn(new layers.Dot(1), [3], [4]), /Incompatible input shapes: axis values 3 \(at axis 1\) != 4 \(at axis 1\)/);
  throwsLike(callOn(new layers.Dot(0), [3], [3]), /Cannot perform batch_dot over axis 0/);
  throwsLike(callOn(new layers.Dot(1), [3]), /A `Dot` layer should be called on a list of 2 inputs/);
  throwsLike(() => new layers.Lambda(3 as unknown as layers.LambdaFunction), /expected a function of ops/);
});

test('a failed adapt() leaves the statistics as they were', () => {
  const norm = new layers.Normalization();
  norm.adapt(tensor([[1, 2], [3, 6]]));
  const before = norm.getWeights().map((w) => Array.from(w.data));
  assert.throws(() => norm.adapt([tensor([[1, 2]]), tensor([[1, 2, 3]])]));
  assert.equal(norm.getWeights().map((w) => Array.from(w.data)), before);
});

test('the new layers train in one compiled step: loss falls', async () => {
  backend.setSession(new Session({ seed: 5 }));
  const model = new Sequential([
    Input({ shape: [8, 8, 2] }),
    new layers.Rescaling(0.5),
    new layers.GaussianNoise(0.05),
    new layers.SeparableConv2D(4, 3, { padding: 'same', depthMultiplier: 2 }),
    new layers.GroupNormalization({ groups: 2 }),
    new layers.PReLU({ sharedAxes: [1, 2] }),
    new layers.DepthwiseConv2D(3, { strides: 2 }),
    new layers.Conv2D(4, 1, { groups: 2 }),
    new layers.ZeroPadding2D(),
    new layers.UpSampling2D(),
    new layers.Cropping2D({ cropping: 2 }),
    new layers.SpatialDropout2D(0.1),
    new layers.Flatten(),
    new layers.AlphaDropout(0.1),
    new layers.Dense(3),
    new layers.ReLU({ negativeSlope: 0.1 }),
    new layers.Softmax(),
  ]);
  const x = randomTensor([16, 8, 8, 2], 3);
  const labels = Array.from({ length: 16 }, (_, i) => i % 3);
  const y = tensor(Int32Array.from(labels), [16], 'int32');
  model.compile({ optimizer: new optimizers.Adam({ learningRate: 0.01 }), loss: 'sparse_categorical_crossentropy' });
  // Inference loss (no noise, no dropout) before and after: the training steps learned something.
  const before = model.evaluate(x, y, { verbose: 0 }) as number;
  const h = await model.fit(x, y, { epochs: 30, batchSize: 8, verbose: 0 });
  const after = model.evaluate(x, y, { verbose: 0 }) as number;
  assert.ok(h.history.loss.every(Number.isFinite), `losses ${h.history.loss}`);
  assert.ok(after < before * 0.5, `loss falls: ${before} -> ${after}`);
  const probs = model.predict(x, { verbose: 0 }) as Tensor;
  assert.equal([...probs.shape], [16, 3]);
});

test.run();
