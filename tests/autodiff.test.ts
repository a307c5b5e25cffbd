import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { grad, vjp } from '../src/ir/autodiff.js';
import * as B from '../src/ir/build.js';
import { topoOrder } from '../src/ir/graph.js';
import type { Node } from '../src/ir/node.js';
import { evaluate, gen, gradCheck, rng, tensor } from './support/gradcheck.js';

const values = (t: { data: Float64Array }) => [...t.data];

test('a node used several times accumulates every use', () => {
  const x = B.input('x', [3]);
  // y = sum(x*x + 3x + x) -> dy/dx = 2x + 4
  const y = B.sum(B.add(B.add(B.multiply(x, x), B.multiply(x, 3)), x));
  const [g] = grad(y, [x]);
  const [out] = evaluate([g], new Map([[x, tensor([3], [1, -2, 0.5])]]));
  assert.equal(values(out), [6, 0, 5]);
});

test('the same node as several operands of one op accumulates', () => {
  const x = B.input('x', [2]);
  const [g] = grad(B.sum(B.concatenate([x, x, x], 0)), [x]);
  const [out] = evaluate([g], new Map([[x, tensor([2], [7, 8])]]));
  assert.equal(values(out), [3, 3]);
});

test('a wrt the output does not depend on gets zeros of its shape', () => {
  const x = B.input('x', [2, 3]);
  const w = B.variable(1, 'unused', [4, 5]);
  const i = B.input('i', [3], 'int32');
  const [gx, gw, gi] = grad(B.sum(B.exp(x)), [x, w, i]);
  assert.is(gw.op, 'fill');
  assert.equal(gw.shape, [4, 5]);
  assert.is((gw as Node<'fill'>).attrs.value, 0);
  assert.is(gi.dtype, 'int32');
  assert.equal(gx.shape, [2, 3]);
});

test('paths through integer values carry no gradient', () => {
  const x = B.input('x', [3]);
  const [g] = grad(B.sum(B.cast(B.cast(x, 'int32'), 'float32')), [x]);
  assert.is(g.op, 'fill');
});

test('no gradient is built for branches that do not reach wrt', () => {
  const x = B.input('x', [1, 5, 5, 2]);
  const w = B.variable(2, 'kernel', [3, 3, 2, 4]);
  const loss = B.sum(B.conv2d(x, w, [1, 1], [1, 1, 1, 1]));
  const [gw] = grad(loss, [w]);
  const ops = topoOrder([gw]).map((n) => n.op);
  assert.ok(ops.includes('conv2dBackpropFilter'));
  assert.not.ok(ops.includes('conv2dBackpropInput'), 'built the gradient of the input nobody asked for');
});

test('gradients with respect to an intermediate node, and through it to a source', () => {
  const x = B.input('x', [2]);
  const h = B.multiply(x, 2);
  const y = B.sum(B.multiply(h, h));
  const [gh, gx] = grad(y, [h, x]);
  const [oh, ox] = evaluate([gh, gx], new Map([[x, tensor([2], [1, 3])]]));
  assert.equal(values(oh), [4, 12]); // 2h
  assert.equal(values(ox), [8, 24]); // 8x
});

test('vjp: several outputs with their own cotangents', () => {
  const x = B.input('x', [3]);
  const a = B.multiply(x, 2);
  const b = B.exp(x);
  const ca = B.input('ca', [3]);
  const cb = B.input('cb', [3]);
  const [g] = vjp([a, b, a], [ca, cb, ca], [x]);
  const src = new Map([[x, tensor([3], [0, 1, -1])], [ca, tensor([3], [1, 2, 3])], [cb, tensor([3], [1, 1, 1])]]);
  const [out] = evaluate([g], src);
  const expected = [0, 1, -1].map((v, i) => 2 * 2 * [1, 2, 3][i] + Math.exp(v));
  values(out).forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-12));
});

test('grad rejects a non-scalar and a mismatched cotangent', () => {
  const x = B.input('x', [3]);
  assert.throws(() => grad(B.exp(x), [x]), /float32 scalar/);
  assert.throws(() => vjp([B.exp(x)], [B.input('c', [4])], [x]), /cotangent/);
});

test('a small MLP loss: gradients of every parameter match finite differences', () => {
  // x[4,5] -> dense 5x6 + bias, tanh -> dense 6x3 + bias -> softmax cross-entropy vs one-hot labels.
  const labels = B.input('labels', [4, 3]);
  const r = rng(42);
  const onehot = Array.from({ length: 4 }, () => Math.floor(r() * 3)).flatMap((k) => [0, 1, 2].map((j) => (j === k ? 1 : 0)));
  const mlp = (x: Node, w1: Node, b1: Node, w2: Node, b2: Node): Node => {
    const h = B.tanh(B.add(B.matmul(x, w1), b1));
    const logits = B.add(B.matmul(h, w2), b2);
    const shifted = B.subtract(logits, B.max(logits, 1, true));
    const logp = B.subtract(shifted, B.log(B.sum(B.exp(shifted), 1, true)));
    return B.divide(B.negative(B.sum(B.multiply(logp, labels))), 4);
  };
  // gradCheck multiplies by a random scalar cotangent; the labels are bound through the closure.
  const report = gradCheck([{ shape: [4, 5] }, { shape: [5, 6], gen: gen.uniform(-0.5, 0.5) }, { shape: [6] }, { shape: [6, 3], gen: gen.uniform(-0.5, 0.5) }, { shape: [3] }],
    mlp, { seed: 7, extraSources: new Map([[labels, tensor([4, 3], onehot)]]) });
  assert.is(report.checked, 4 * 5 + 5 * 6 + 6 + 6 * 3 + 3);
});

test.run();
