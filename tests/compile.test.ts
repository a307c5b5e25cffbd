import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { grad } from '../src/ir/autodiff.js';
import * as B from '../src/ir/build.js';
import { Session } from '../src/runtime/session.js';
import { rng } from './support/gradcheck.js';
import { compareCompiled, makeVariable, randomData } from './support/compiled.js';

test('dense relu forward compiles to one kernel and matches the interpreter', () => {
  const r = rng(1);
  const s = new Session({ seed: 1 });
  const x = B.input('x', [5, 7]);
  const w = makeVariable(s, 'w', [7, 3], r), b = makeVariable(s, 'b', [3], r);
  const y = B.maximum(B.add(B.matmul(x, w.node), b.node), 0);
  const c = compareCompiled({ outputs: [y], updates: [] }, [{ node: x, data: randomData(35, r) }], s);
  assert.ok(c.maxRelError <= 1e-5, `max rel error ${c.maxRelError} at ${c.worst}`);
  assert.is(c.kernels, 1);
});

test('an MLP training step with SGD updates matches the interpreter', () => {
  const r = rng(2);
  const s = new Session({ seed: 2 });
  const x = B.input('x', [6, 5]), y = B.input('y', [6, 3]);
  const w1 = makeVariable(s, 'w1', [5, 8], r), b1 = makeVariable(s, 'b1', [8], r);
  const w2 = makeVariable(s, 'w2', [8, 3], r), b2 = makeVariable(s, 'b2', [3], r);
  const h = B.maximum(B.add(B.matmul(x, w1.node), b1.node), 0);
  const z = B.add(B.matmul(h, w2.node), b2.node);
  const m = B.max(z, 1, true);
  const lse = B.add(B.log(B.sum(B.exp(B.subtract(z, m)), 1, true)), m);
  const loss = B.divide(B.negative(B.sum(B.multiply(y, B.subtract(z, lse)))), 6);
  const params = [w1, b1, w2, b2];
  const grads = grad(loss, params.map((p) => p.node));
  const updates = params.map((p, i) => ({ variable: p.node, value: B.subtract(p.node, B.multiply(grads[i], 0.1)) }));
  const yData = new Float32Array(18);
  for (let i = 0; i < 6; i++) yData[i * 3 + (i % 3)] = 1;
  const c = compareCompiled({ outputs: [loss], updates }, [{ node: x, data: randomData(30, r) }, { node: y, data: yData }], s);
  assert.ok(c.maxRelError <= 1e-5, `max rel error ${c.maxRelError} at ${c.worst}`);
});

test.run();
