/** Bad inputs fail at the layer call in Keras's words, naming the layer and the shapes. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Input, Model, Sequential, layers, tensor } from '../src/index.js';

function throwsWith(fn: () => unknown, ...parts: (string | RegExp)[]): void {
  try {
    fn();
  } catch (e) {
    const msg = (e as Error).message;
    for (const p of parts) assert.ok(typeof p === 'string' ? msg.includes(p) : p.test(msg), `message lacks ${String(p)}:\n${msg}`);
    return;
  }
  assert.unreachable('expected an error');
}

test('Dense: wrong last axis, rank 1, bad units', () => {
  const d = new layers.Dense(4, { name: 'd1' });
  d(Input({ shape: [784] }));
  throwsWith(() => d(Input({ shape: [100] })), 'Input 0 of layer "d1" is incompatible with the layer: expected axis -1 of input shape to have value 784, but received input with shape (None, 100)');
  const e = new layers.Dense(4, { name: 'd2' });
  throwsWith(() => e(Input({ batchShape: [5] })), 'Input 0 of layer "d2" is incompatible with the layer: expected min_ndim=2, found ndim=1. Full shape received: (5,)');
  throwsWith(() => new layers.Dense(0, { name: 'd3' }), 'd3', 'expected a positive integer. Received: units=0');
  throwsWith(() => new layers.Dense(-2), 'units=-2');
  throwsWith(() => new layers.Dense(1.5), 'units=1.5');
  // a Sequential model rejects the wrong input at the next layer
  const seq = new Sequential([new layers.Dense(3, { inputShape: [4], name: 'first' })]);
  throwsWith(() => seq(Input({ shape: [5] })), 'expected shape (None, 4)', '(None, 5)');
});

test('Conv2D / pooling: wrong rank and channels', () => {
  const c = new layers.Conv2D(8, 3, { name: 'c1' });
  throwsWith(() => c(Input({ shape: [784] })), 'Input 0 of layer "c1" is incompatible with the layer: expected ndim=4, found ndim=2. Full shape received: (None, 784)');
  c(Input({ shape: [28, 28, 1] }));
  throwsWith(() => c(Input({ shape: [28, 28, 3] })), 'layer "c1"', 'expected axis -1 of input shape to have value 1', '(None, 28, 28, 3)');
  throwsWith(() => new layers.MaxPooling2D({ name: 'p1' })(Input({ shape: [4, 4] })), 'layer "p1"', 'expected ndim=4', '(None, 4, 4)');
  throwsWith(() => new layers.Conv2D(0, 3, { name: 'c2' }), 'c2', 'filters=0');
  throwsWith(() => new layers.Conv2D(2, 3, { name: 'c3', padding: 'full' as 'same' }), 'c3', 'padding=full');
  throwsWith(() => new layers.Conv2D(2, 3, { name: 'c4', strides: 2, dilationRate: 2 }), 'c4', 'dilation_rate > 1');
  // a kernel larger than the image: the IR's shape error, prefixed with the layer and input shape
  throwsWith(() => new layers.Conv2D(2, 5, { name: 'c5' })(Input({ shape: [3, 3, 1] })), 'layer "c5"', 'Conv2D', '(None, 3, 3, 1)');
});

test('Conv2DTranspose: outputPadding must be smaller than strides', () => {
  throwsWith(() => new layers.Conv2DTranspose(2, 3, { name: 't1', outputPadding: 1 }), 't1', 'Strides must be greater than output padding. Received strides=(1, 1), output_padding=(1, 1).');
  throwsWith(() => new layers.Conv2DTranspose(2, 3, { name: 't2', strides: [2, 2], outputPadding: [1, 2] }), 't2', 'output_padding=(1, 2)');
});

test('Dropout: rate outside [0, 1)', () => {
  throwsWith(() => new layers.Dropout(1, { name: 'dr' }), 'dr', 'rate=1');
  throwsWith(() => new layers.Dropout(-0.1), 'rate=-0.1');
  throwsWith(() => new layers.Dropout(Number.NaN), 'rate=NaN');
  new layers.Dropout(0);
});

test('unknown activation lists the valid names', () => {
  throwsWith(() => new layers.Dense(2, { activation: 'relux' }), "Could not interpret activation function identifier: 'relux'", 'relu, relu6, sigmoid, tanh, softmax');
  throwsWith(() => new layers.Activation('nope'), "'nope'", 'leaky_relu');
});

test('merge layers: incompatible shapes name the layer and list the shapes', () => {
  const a = Input({ shape: [4] });
  const b = Input({ shape: [3] });
  throwsWith(() => layers.add([a, b], { name: 'sum' }), 'layer "sum"', 'Inputs have incompatible shapes. Received shapes (None, 4) and (None, 3)');
  const c = Input({ shape: [3, 2] });
  throwsWith(() => layers.concatenate([a, c], { name: 'cat' }), 'layer "cat"', 'A `Concatenate` layer requires inputs with matching shapes except for the concatenation axis. Received: input_shape=[(None, 4), (None, 3, 2)]');
  throwsWith(() => new layers.Add({ name: 'single' })(a), 'single', 'list of inputs');
});

test('Reshape: sizes must match', () => {
  throwsWith(() => new layers.Reshape([30, 30], { name: 'rs' })(Input({ shape: [784] })), 'layer "rs"', 'The total size of the tensor must be unchanged. Received: input_shape=(784,), target_shape=(30, 30)');
});

test('calling a layer on data, or a model built wrongly', () => {
  throwsWith(() => new layers.Dense(2, { name: 'eager' })(tensor([[1, 2]]) as never), 'Layer "eager"', 'a Tensor', 'model.predict');
  throwsWith(() => new Model({ inputs: [], outputs: Input({ shape: [1] }) }), 'at least one input');
  throwsWith(() => new Sequential([new layers.Dense(1)]).add('dense' as never), 'Only instances of `keras.Layer`');
  throwsWith(() => Input({} as never), 'shape');
});

test('setWeights before build, and wrong counts', () => {
  const d = new layers.Dense(2, { name: 'unbuilt' });
  throwsWith(() => d.setWeights([tensor([1])]), 'layer "unbuilt"', 'length 1', 'expecting 0 weights');
});

test.run();
