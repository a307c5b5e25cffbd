/** The 1-D and sequence layers' argument, option and shape errors, in Keras's words. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Input, Model, layers, type Tensor } from '../src/index.js';
import { randomTensor } from './support/api-eval.js';

function throwsLike(f: () => unknown, pattern: RegExp): void {
  assert.throws(f, (e: Error) => pattern.test(e.message), String(pattern));
}
const callOn = (layer: layers.Layer, shape: number[]) => () => layer(Input({ shape }));
const loose = (value: unknown) => value as never;

test('Conv1D arguments', () => {
  throwsLike(() => new layers.Conv1D(0, 3), /Expected a strictly positive value\. Received filters=0/);
  throwsLike(() => new layers.Conv1D(2, [3, 3] as never), /The `kernel_size` argument must be a tuple of 1 integers\. Received kernel_size=\[3,3\]/);
  throwsLike(() => new layers.Conv1D(2, 0), /The `kernel_size` argument must be a tuple of 1 integers\. Received kernel_size=0, including values \{0\} that do not satisfy `value > 0`/);
  throwsLike(() => new layers.Conv1D(2, 3, { strides: 2, dilationRate: 2 }), /`strides > 1` not supported in conjunction with `dilation_rate > 1`/);
  throwsLike(() => new layers.Conv1D(2, 3, { padding: loose('full') }), /The `padding` argument must be a list\/tuple or one of \{'valid', 'same', 'causal'\}\. Received: full/);
  throwsLike(() => new layers.Conv1D(5, 3, { groups: 2 }), /The number of filters must be evenly divisible by the number of groups\. Received: groups=2, filters=5\./);
  throwsLike(() => new layers.Conv1D(4, 3, { groups: 0 }), /The number of groups must be a positive integer\. Received: groups=0\./);
  throwsLike(callOn(new layers.Conv1D(4, 3, { groups: 2 }), [7, 3]), /The number of input channels must be evenly divisible by the number of groups\. Received groups=2, but the input has 3 channels/);
  throwsLike(() => new layers.Conv1D(2, 3, { dataFormat: loose('channels_first') }), /only data_format="channels_last".*Received: data_format=channels_first/);
  throwsLike(callOn(new layers.Conv1D(2, 5), [4, 3]), /4 steps, fewer than the dilated kernel size 5 needs with padding="valid"/);
  throwsLike(callOn(new layers.Conv1D(2, 3), [4, 4, 3]), /Input 0 of layer "conv1d(_\d+)?" is incompatible with the layer: expected ndim=3, found ndim=4\. Full shape received: \(None, 4, 4, 3\)/);
  throwsLike(callOn(new layers.Conv1D(2, 3), [4, null as never]), /The channel dimension of the inputs should be defined/);
});

test('constructor options are strict: an unknown or Python-spelt key names the right one', () => {
  throwsLike(() => new layers.Conv1D(2, 3, loose({ kernel_initializer: 'ones' })), /Conv1D: unknown option 'kernel_initializer'\. Did you mean 'kernelInitializer'\?/);
  throwsLike(() => new layers.MaxPooling1D(loose({ pool_size: 3 })), /MaxPooling1D: unknown option 'pool_size'\. Did you mean 'poolSize'\?/);
  throwsLike(() => new layers.GlobalAveragePooling1D(loose({ keepDims: true })), /GlobalAveragePooling1D: unknown option 'keepDims'\. Did you mean 'keepdims'\?/);
  throwsLike(() => new layers.LayerNormalization(loose({ rms_scaling: true })), /LayerNormalization: unknown option 'rms_scaling'\. Did you mean 'rmsScaling'\?/);
  throwsLike(() => new layers.ZeroPadding1D(loose({ pading: 2 })), /ZeroPadding1D: unknown option 'pading'\. Did you mean 'padding'\?/);
  throwsLike(() => new layers.Cropping1D(loose({ crop: 1 })), /Cropping1D: unknown option 'crop'/);
  throwsLike(() => new layers.UpSampling1D(loose({ interpolation: 'bilinear' })), /UpSampling1D: unknown option 'interpolation'/);
  throwsLike(() => new layers.ActivityRegularization(loose({ L1: 0.1 })), /ActivityRegularization: unknown option 'L1'\. Did you mean 'l1'\?/);
  throwsLike(() => new layers.ActivityRegularization(loose({ activityRegularizer: 'l2' })), /pass `l1` and `l2` instead of `activityRegularizer`/);
  throwsLike(() => new layers.RepeatVector(2, loose({ n: 3 })), /RepeatVector: unknown option 'n'/);
  throwsLike(() => new layers.TimeDistributed(new layers.Dense(2), loose({ layer: 1 })), /TimeDistributed: unknown option 'layer'/);
  throwsLike(() => new layers.Conv1D(2, 3, loose([1])), /Conv1D: options must be an object of named options, got an array/);
});

test('pooling and reshaping arguments', () => {
  throwsLike(() => new layers.MaxPooling1D(0), /The `pool_size` argument must be a tuple of 1 integers\. Received pool_size=0, including values \{0\}/);
  throwsLike(() => new layers.AveragePooling1D(2, { strides: [1, 2] as never }), /The `strides` argument must be a tuple of 1 integers\. Received strides=\[1,2\]/);
  throwsLike(() => new layers.AveragePooling1D(2, { padding: loose('causal') }), /the `padding` argument must be one of "valid", "same"\. Received: padding=causal/);
  throwsLike(() => new layers.GlobalMaxPooling1D({ dataFormat: loose('channels_first') }), /only data_format="channels_last"/);
  throwsLike(callOn(new layers.GlobalAveragePooling1D(), [4]), /expected ndim=3, found ndim=2/);
  throwsLike(() => new layers.UpSampling1D({ size: 1.5 }), /Expected an integer value for `size`/);
  throwsLike(() => new layers.UpSampling1D({ size: 0 }), /Argument `size` should be a positive integer\. Received: size=0/);
  throwsLike(() => new layers.ZeroPadding1D({ padding: -1 }), /The `padding` argument must be a tuple of 2 integers\. Received padding=-1, including values \{-1\} that do not satisfy `value >= 0`/);
  throwsLike(() => new layers.ZeroPadding1D({ padding: [1, 2, 3] as never }), /The `padding` argument must be a tuple of 2 integers\. Received padding=\[1,2,3\]/);
  throwsLike(() => new layers.Cropping1D({ cropping: [1.5, 0] as never }), /The `cropping` argument must be a tuple of 2 integers/);
  throwsLike(callOn(new layers.Cropping1D({ cropping: [2, 2] }), [4, 3]), /`cropping` parameter of `Cropping1D` layer must be smaller than the input length\. Received: inputs\.shape=\(None, 4, 3\), cropping=\(2, 2\)/);
  throwsLike(() => new layers.RepeatVector(0), /Argument `n` should be a positive integer\. Received: n=0/);
  throwsLike(() => new layers.RepeatVector('3' as never), /Expected an integer value for `n`/);
  throwsLike(callOn(new layers.RepeatVector(2), [3, 4]), /expected ndim=2, found ndim=3/);
});

test('LayerNormalization, ActivityRegularization and TimeDistributed arguments', () => {
  throwsLike(() => new layers.LayerNormalization({ axis: loose('last') }), /Expected an int or a list\/tuple of ints for the argument 'axis', but received: "last"/);
  throwsLike(callOn(new layers.LayerNormalization({ axis: 3 }), [4, 5]), /Axis 3 is out of bounds for input shape \(None, 4, 5\)\. Received: axis=3/);
  throwsLike(callOn(new layers.LayerNormalization({ axis: [2, -1] }), [4, 5]), /Duplicate axes/);
  throwsLike(callOn(new layers.LayerNormalization({ axis: 1 }), [null as never, 5]), /must have a defined dimension/);
  throwsLike(() => new layers.ActivityRegularization({ l1: -1 }), /`l1` must be a non-negative number\. Received: l1=-1/);
  throwsLike(() => new layers.TimeDistributed({} as never), /Please initialize `TimeDistributed` layer with a `keras\.layers\.Layer` instance/);
  throwsLike(callOn(new layers.TimeDistributed(new layers.Dense(2)), [4]), /expected min_ndim=3, found ndim=2/);
  throwsLike(callOn(new layers.TimeDistributed(new layers.Conv1D(2, 2)), [3, 4]), /Input 0 of layer "conv1d(_\d+)?" is incompatible with the layer: expected ndim=3, found ndim=2/);
});

test('a failed call leaves the layer unbuilt and a working model untouched', () => {
  const bad = new layers.Conv1D(2, 3, { groups: 2 });
  throwsLike(callOn(bad, [5, 3]), /evenly divisible/);
  assert.is(bad.built, false);
  assert.is(bad.weights.length, 0);
  const input = Input({ shape: [5, 4] });
  const model = new Model({ inputs: input, outputs: bad(input) });
  const y = model.predict(randomTensor([2, 5, 4], 1), { verbose: 0 }) as Tensor;
  assert.equal([...y.shape], [2, 3, 2]);
});

test.run();
