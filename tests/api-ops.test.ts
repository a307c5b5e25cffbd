/** The symbolic ops namespace against TensorFlow.js, and custom layers written with it. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Input, Model, Sequential, layers, ops, tensor, type Tensor } from '../src/index.js';
import * as B from '../src/ir/build.js';
import { interpret } from '../src/ir/interpret.js';
import type { Node } from '../src/ir/node.js';
import { evalModel, loadTf, maxAbsDiff, randomTensor } from './support/api-eval.js';

const tf = await loadTf();

/** Evaluates `fn` of symbolic inputs on tensors with the reference interpreter. */
function run(fn: (...xs: ops.SymbolicTensor[]) => ops.SymbolicTensor, ...xs: Tensor[]): Float64Array {
  const nodes = xs.map((t, i) => B.input(`x${i}`, t.shape, t.dtype));
  const out = fn(...nodes);
  return interpret({ outputs: [out], updates: [] }, {
    source(node) {
      const i = nodes.indexOf(node as Node<'input'>);
      return { shape: xs[i].shape, data: Float64Array.from(xs[i].data) };
    },
  }).outputs[0].data;
}
const T = (t: Tensor) => tf.tensor(Array.from(t.data), [...t.shape], t.dtype === 'int32' ? 'int32' : 'float32');
function close(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, tol = 1e-5): void {
  const d = maxAbsDiff(actual, expected);
  assert.ok(d < tol, `${what}: max |diff| ${d}`);
}

const a = randomTensor([3, 4], 1, 2);
const b = randomTensor([3, 4], 2, 2);
const pos = tensor(Float32Array.from(randomTensor([3, 4], 3).data, (v) => Math.abs(v) + 0.1), [3, 4]);

test('elementwise ops and plain numbers', () => {
  close(run((x, y) => ops.add(x, y), a, b), tf.add(T(a), T(b)).dataSync(), 'add');
  close(run((x) => ops.subtract(2, x), a), tf.sub(2, T(a)).dataSync(), 'subtract number');
  close(run((x, y) => ops.multiply(x, y), a, b), tf.mul(T(a), T(b)).dataSync(), 'multiply');
  close(run((x, y) => ops.divide(x, y), a, pos), tf.div(T(a), T(pos)).dataSync(), 'divide');
  close(run((x) => ops.negative(x), a), tf.neg(T(a)).dataSync(), 'negative');
  close(run((x) => ops.exp(x), a), tf.exp(T(a)).dataSync(), 'exp', 1e-4);
  close(run((x) => ops.log(x), pos), tf.log(T(pos)).dataSync(), 'log');
  close(run((x) => ops.sqrt(x), pos), tf.sqrt(T(pos)).dataSync(), 'sqrt');
  close(run((x) => ops.square(x), a), tf.square(T(a)).dataSync(), 'square');
  close(run((x) => ops.abs(x), a), tf.abs(T(a)).dataSync(), 'abs');
  close(run((x) => ops.tanh(x), a), tf.tanh(T(a)).dataSync(), 'tanh');
  close(run((x) => ops.sigmoid(x), a), tf.sigmoid(T(a)).dataSync(), 'sigmoid');
  close(run((x) => ops.relu(x), a), tf.relu(T(a)).dataSync(), 'relu');
  close(run((x, y) => ops.maximum(x, y), a, b), tf.maximum(T(a), T(b)).dataSync(), 'maximum');
  close(run((x) => ops.minimum(x, 0.5), a), tf.minimum(T(a), 0.5).dataSync(), 'minimum number');
  close(run((x) => ops.clip(x, -0.5, 0.5), a), tf.clipByValue(T(a), -0.5, 0.5).dataSync(), 'clip');
  close(run((x, y) => ops.where(ops.greater(x, y), x, 0), a, b), tf.where(tf.greater(T(a), T(b)), T(a), tf.zerosLike(T(a))).dataSync(), 'where');
  close(run((x) => ops.power(x, 2), pos), tf.pow(T(pos), 2).dataSync(), 'power');
  close(run((x) => ops.softplus(x), a), tf.softplus(T(a)).dataSync(), 'softplus');
  close(run((x) => ops.elu(x), a), tf.elu(T(a)).dataSync(), 'elu');
  close(run((x) => ops.selu(x), a), tf.selu(T(a)).dataSync(), 'selu');
  close(run((x) => ops.leakyRelu(x), a), tf.leakyRelu(T(a), 0.2).dataSync(), 'leakyRelu');
  close(run((x) => ops.hardSigmoid(x), a), tf.clipByValue(tf.add(tf.div(T(a), 6), 0.5), 0, 1).dataSync(), 'hardSigmoid (Keras 3)');
  close(run((x) => ops.gelu(x, true), a), tf.mul(tf.mul(T(a), 0.5), tf.add(1, tf.tanh(tf.mul(Math.sqrt(2 / Math.PI), tf.add(T(a), tf.mul(0.044715, tf.pow(T(a), 3))))))).dataSync(), 'gelu approximate');
});

test('integer operands promote like Keras', () => {
  const i = tensor(new Int32Array([1, 2, 3, 4]), [4], 'int32');
  const n = B.input('i', [4], 'int32');
  assert.is(ops.divide(n, 2).dtype, 'float32');
  assert.is(ops.add(n, 1).dtype, 'int32');
  assert.is(ops.add(n, B.input('f', [4])).dtype, 'float32');
  close(run((x) => ops.divide(x, 2), i), [0.5, 1, 1.5, 2], 'int divide');
  assert.is(ops.sqrt(n).dtype, 'float32');
});

test('reductions: sum, mean, max, min, argmax, variance', () => {
  close(run((x) => ops.sum(x), a), [tf.sum(T(a)).dataSync()[0]], 'sum all');
  close(run((x) => ops.sum(x, { axis: 1, keepdims: true }), a), tf.sum(T(a), 1, true).dataSync(), 'sum axis 1');
  close(run((x) => ops.mean(x, 0), a), tf.mean(T(a), 0).dataSync(), 'mean axis 0');
  close(run((x) => ops.mean(x, { axis: [0, 1] }), a), tf.mean(T(a)).dataSync(), 'mean all');
  close(run((x) => ops.max(x, -1), a), tf.max(T(a), -1).dataSync(), 'max');
  close(run((x) => ops.min(x, { axis: 0, keepdims: true }), a), tf.min(T(a), 0, true).dataSync(), 'min');
  close(run((x) => ops.argmax(x), a), tf.argMax(T(a), -1).dataSync(), 'argmax');
  close(run((x) => ops.argmax(x, 0), a), tf.argMax(T(a), 0).dataSync(), 'argmax axis 0');
  close(run((x) => ops.argmin(x), a), tf.argMin(T(a), -1).dataSync(), 'argmin');
  // ties: the first index, as numpy
  close(run((x) => ops.argmax(x), tensor([[1, 3, 3, 0], [2, 2, 2, 2]])), [1, 0], 'argmax ties');
  assert.is(ops.argmax(B.input('x', [2, 3])).dtype, 'int32');
  close(run((x) => ops.variance(x, 1), a), tf.moments(T(a), 1).variance.dataSync(), 'variance');
});

test('softmax and logSoftmax are stable for large inputs', () => {
  close(run((x) => ops.softmax(x), a), tf.softmax(T(a)).dataSync(), 'softmax');
  close(run((x) => ops.softmax(x, 0), a), tf.softmax(tf.transpose(T(a))).transpose().dataSync(), 'softmax axis 0');
  close(run((x) => ops.logSoftmax(x), a), tf.logSoftmax(T(a)).dataSync(), 'logSoftmax');
  const big = tensor([[1000, 1001, 1002]]);
  close(run((x) => ops.softmax(x), big), tf.softmax(tf.tensor([[0, 1, 2]])).dataSync(), 'softmax 1000');
  close(run((x) => ops.logSoftmax(x), big), tf.logSoftmax(tf.tensor([[0, 1, 2]])).dataSync(), 'logSoftmax 1000');
});

test('matmul: matrices, stacks, broadcasting and vectors', () => {
  const m = randomTensor([4, 5], 4);
  close(run((x, y) => ops.matmul(x, y), a, m), tf.matMul(T(a), T(m)).dataSync(), 'matrix');
  const s = randomTensor([2, 3, 4], 5);
  close(run((x, y) => ops.matmul(x, y), s, m), tf.dot(T(s).reshape([6, 4]), T(m)).dataSync(), 'stack times matrix');
  const s2 = randomTensor([2, 4, 2], 6);
  close(run((x, y) => ops.matmul(x, y), s, s2), tf.matMul(T(s), T(s2)).dataSync(), 'batched');
  const v = randomTensor([4], 7);
  close(run((x, y) => ops.matmul(x, y), a, v), tf.matMul(T(a), T(v).reshape([4, 1])).dataSync(), 'matrix-vector');
  const out = ops.matmul(B.input('x', [null, 3, 4]), B.input('w', [4, 5]));
  assert.equal(out.shape, [null, 3, 5]);
});

test('shape ops: reshape, transpose, concatenate (axis 0 default), stack, expandDims, squeeze, slice, pad', () => {
  close(run((x) => ops.reshape(x, [4, 3]), a), a.data, 'reshape');
  close(run((x) => ops.transpose(x), a), tf.transpose(T(a)).dataSync(), 'transpose');
  const c = randomTensor([2, 3, 4], 8);
  close(run((x) => ops.transpose(x, [1, 0, 2]), c), tf.transpose(T(c), [1, 0, 2]).dataSync(), 'transpose perm');
  close(run((x, y) => ops.concatenate([x, y]), a, b), tf.concat([T(a), T(b)], 0).dataSync(), 'concatenate');
  close(run((x, y) => ops.concatenate([x, y], { axis: 1 }), a, b), tf.concat([T(a), T(b)], 1).dataSync(), 'concatenate axis');
  close(run((x, y) => ops.stack([x, y], 1), a, b), tf.stack([T(a), T(b)], 1).dataSync(), 'stack');
  assert.equal(ops.expandDims(B.input('x', [3, 4]), 1).shape, [3, 1, 4]);
  assert.equal(ops.squeeze(B.input('x', [3, 1, 4, 1])).shape, [3, 4]);
  close(run((x) => ops.slice(x, [1, 1], [2, -1]), a), tf.slice(T(a), [1, 1], [2, -1]).dataSync(), 'slice');
  close(run((x) => ops.pad(x, [[1, 0], [0, 2]]), a), tf.pad(T(a), [[1, 0], [0, 2]]).dataSync(), 'pad');
});

test('ops reject what they cannot use', () => {
  assert.throws(() => ops.add('x' as never, 1), /expected a symbolic tensor, a layer Variable or a number, got x/);
});

class Scale extends layers.Layer {
  w!: layers.Variable;
  override build(inputShape: (number | null)[]) {
    this.w = this.addWeight({ name: 'w', shape: [inputShape.at(-1)!], initializer: 'ones' });
  }
  override call(x: ops.SymbolicTensor, { training }: { training: boolean }) {
    return training ? ops.multiply(x, ops.multiply(this.w, 2)) : ops.multiply(x, this.w);
  }
}

test('custom layer of docs/API.md: traced like built-ins, weights and training flag', () => {
  const input = Input({ shape: [4] });
  const scale = new Scale();
  const y = scale(input);
  assert.equal(y.shape, [null, 4]);
  assert.is(scale.name, 'scale');
  assert.is(scale.weights.length, 1);
  assert.is(scale.w.path, `${scale.name}/w`);
  const model = new Model({ inputs: input, outputs: y });
  const x = randomTensor([2, 4], 9);
  scale.setWeights([tensor([1, 2, 3, 4])]);
  const expected = Array.from(x.data, (v, i) => v * ((i % 4) + 1));
  close(evalModel(model, [x]).outputs[0].data, expected, 'inference');
  close(evalModel(model, [x], { training: true }).outputs[0].data, expected.map((v) => 2 * v), 'training');
  assert.is(model.countParams(), 4);
});

class Block extends layers.Layer {
  readonly inner = new layers.Dense(3, { activation: 'relu' });
  readonly outer = new layers.Dense(2);
  readonly counter: layers.Variable;
  constructor() {
    super();
    this.counter = this.addWeight({ name: 'counter', shape: [], initializer: 'zeros', trainable: false });
  }
  override call(x: ops.SymbolicTensor) {
    this.addUpdate(this.counter, ops.add(this.counter, 1));
    return this.outer(this.inner(x));
  }
}

test('custom layer with sublayers: tracked weights, updates, nested in Sequential', () => {
  const block = new Block();
  const model = new Sequential([new layers.Dense(5, { inputShape: [6] }), block]);
  assert.equal(model.outputShapes, [[null, 2]]);
  assert.is(block.weights.length, 5);
  assert.is(block.trainableWeights.length, 4);
  assert.is(block.nonTrainableWeights.length, 1);
  assert.is(model.countParams(), 6 * 5 + 5 + 5 * 3 + 3 + 3 * 2 + 2 + 1);
  const { outputs, updates } = evalModel(model, [randomTensor([3, 6], 10)]);
  assert.equal([...outputs[0].shape], [3, 2]);
  assert.equal(Array.from(updates.get(`${block.name}/counter`)!), [1]);
});

test.run();
