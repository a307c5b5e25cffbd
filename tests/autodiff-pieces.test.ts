/**
 * Cotangents of disjoint slices along axis 0 (an unrolled recurrence's steps) sum as one
 * concatenate of the pieces and zeros, not as a chain of full-size pads: checked by finite
 * differences (pieces with gaps, out of order, a step read twice) and by the graph's ops.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { grad } from '../src/ir/autodiff.js';
import * as B from '../src/ir/build.js';
import { topoOrder } from '../src/ir/graph.js';
import type { Node } from '../src/ir/node.js';
import { gradCheck } from './support/gradcheck.js';

const row = (x: Node, t: number): Node => B.reshape(B.slice(x, [t, 0, 0], [t + 1, 2, 3]), [2, 3]);

test('disjoint steps of a sequence: finite differences, and one concatenate instead of pads', () => {
  // Steps 4, 0, 1 and 3 read (2 is not), each through a different function.
  const f = (x: Node): Node => B.sum(B.add(B.add(B.multiply(row(x, 4), row(x, 4)), B.exp(row(x, 0))), B.add(B.multiply(row(x, 1), 3), B.tanh(row(x, 3)))));
  const report = gradCheck([{ shape: [5, 2, 3] }], f);
  assert.is(report.checked, 30);
  const x = B.input('x', [5, 2, 3]);
  const ops = topoOrder(grad(f(x), [x])).map((n) => n.op);
  assert.ok(ops.includes('concatenate'), ops.join(' '));
  assert.not.ok(ops.includes('pad'), `pads left: ${ops.join(' ')}`);
});

test('overlapping reads of a step still add up (the pads path)', () => {
  const f = (x: Node): Node => B.sum(B.add(B.multiply(row(x, 1), row(x, 2)), B.exp(B.slice(x, [0, 0, 0], [3, 2, 3]))));
  assert.is(gradCheck([{ shape: [4, 2, 3] }], f).checked, 24);
});

test.run();
