/**
 * stopGradient and softmax's stabilising max: the max's gradient cancels exactly, so it is cut
 * (as JAX and Keras do), and the softmax gradients still match finite differences.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as ops from '../src/api/ops.js';
import { grad } from '../src/ir/autodiff.js';
import * as B from '../src/ir/build.js';
import { topoOrder } from '../src/ir/graph.js';
import type { Node } from '../src/ir/node.js';
import { simplify } from '../src/ir/simplify.js';
import { evaluate, gen, gradCheck, tensor } from './support/gradcheck.js';

test('stopGradient is the identity and cuts the gradient of its input', () => {
  const x = B.input('x', [3]);
  // d/dx sum(sg(x) * x) is sg(x) = x, not 2x.
  const y = B.sum(B.multiply(ops.stopGradient(x), x));
  const [g] = grad(y, [x]);
  const [value, gx] = evaluate([y, g], new Map([[x, tensor([3], [1, -2, 0.5])]]));
  assert.is(value.data[0], 1 + 4 + 0.25);
  assert.equal([...gx.data], [1, -2, 0.5]);
});

test('simplify removes stopGradient, so no kernel sees it', () => {
  const x = B.input('x', [2, 3]);
  const out = ops.softmax(x, -1);
  assert.ok(topoOrder([out]).some((n) => n.op === 'stopGradient'));
  const simplified = simplify({ outputs: [out], updates: [] });
  assert.not.ok(topoOrder(simplified.outputs).some((n) => n.op === 'stopGradient'));
});

test("softmax's gradient builds no gradient of its max (no tie mask, no max in the backward)", () => {
  const x = B.input('x', [4, 5]);
  const ct = B.input('ct', [4, 5]);
  const [g] = grad(B.sum(B.multiply(ops.softmax(x, -1), ct)), [x]);
  const nodes = topoOrder([g]);
  assert.not.ok(nodes.some((n) => n.op === 'equal'), 'the max VJP (a tie mask) is in the gradient');
  assert.is(nodes.filter((n) => n.op === 'max').length, 1, 'one max: the forward one');
});

for (const [name, f] of [['softmax', ops.softmax], ['logSoftmax', ops.logSoftmax]] as const) {
  test(`${name} gradients over the last axis and over two axes match finite differences`, () => {
    gradCheck([{ shape: [3, 4, 5], gen: gen.uniform(-3, 3) }], (x) => f(x, -1), { seed: 11 });
    gradCheck([{ shape: [2, 3, 4], gen: gen.uniform(-3, 3) }], (x) => f(x, [1, 2]), { seed: 12 });
  });
  test(`${name} gradients with a masked (very negative) score and a tie at the max`, () => {
    const mask = B.input('mask', [2, 4], 'bool');
    // logSoftmax keeps the masked value in its output, where -1e9 would drown the finite differences.
    const fillValue = name === 'softmax' ? -1e9 : -50;
    const masked = (x: Node) => f(B.where(mask, x, fillValue), -1);
    const keep = tensor([2, 4], [1, 1, 0, 1, 0, 1, 1, 1]);
    gradCheck([{ shape: [2, 4] }], masked, { seed: 13, extraSources: new Map([[mask, keep]]) });
    // Ties at the max: the old max VJP split the cotangent between them; the result must not care.
    const x = B.input('x', [1, 4]);
    const c = B.input('c', [1, 4]);
    const [g] = grad(B.sum(B.multiply(f(x, -1), c)), [x]);
    const [gx] = evaluate([g], new Map([[x, tensor([1, 4], [2, 2, 1, 2])], [c, tensor([1, 4], [0.3, -1, 0.5, 2])]]));
    const xs = [2, 2, 1, 2];
    const e = xs.map(Math.exp);
    const s = e.reduce((a, b) => a + b);
    const p = e.map((v) => v / s);
    const cs = [0.3, -1, 0.5, 2];
    const expected = name === 'softmax'
      ? p.map((pi, i) => pi * (cs[i] - cs.reduce((acc, cj, j) => acc + cj * p[j], 0)))
      : cs.map((ci, i) => ci - p[i] * cs.reduce((a, b) => a + b));
    [...gx.data].forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-12, `${i}: ${v} vs ${expected[i]}`));
  });
}

test.run();
