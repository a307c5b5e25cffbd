import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as B from '../src/ir/build.js';
import { eliminateDeadCode, liveNodes, pruneUpdates } from '../src/ir/dce.js';
import { topoOrder, type Graph } from '../src/ir/graph.js';
import { simplify } from '../src/ir/simplify.js';

test('liveNodes: every node the outputs and updates read, each after its inputs', () => {
  const x = B.input('x', [3]);
  const v = B.variable(1, 'v', [3]);
  const y = B.exp(x);
  const g: Graph = { outputs: [y], updates: [{ variable: v, value: B.add(v, y) }] };
  const order = liveNodes(g);
  assert.is(order.length, 4);
  const seen = new Set();
  for (const n of order) {
    for (const i of n.inputs) assert.ok(seen.has(i), `${n.op} before its input ${i.op}`);
    seen.add(n);
  }
  assert.equal(liveNodes(g), order, 'the order is deterministic');
});

test('eliminateDeadCode: nodes a rewrite orphaned are reported, live ones keep the schedule order', () => {
  const x = B.input('x', [2, 3]);
  const before: Graph = { outputs: [B.tanh(B.multiply(B.add(x, 0), 1))], updates: [] };
  const schedule = topoOrder(before.outputs);
  const after = simplify(before);
  const { live, dead } = eliminateDeadCode(after, schedule.concat(after.outputs));
  assert.equal(live.map((n) => n.op), ['input', 'tanh']);
  assert.equal(dead.map((n) => n.op), ['fill', 'add', 'fill', 'multiply', 'tanh']);
});

test('eliminateDeadCode: rejects a schedule that misses a live node or breaks dependencies', () => {
  const x = B.input('x', [2]);
  const y = B.exp(B.negative(x));
  const g: Graph = { outputs: [y], updates: [] };
  assert.throws(() => eliminateDeadCode(g, [x, y]), /before its input/);
  assert.throws(() => eliminateDeadCode(g, [x]), /missing live nodes/);
});

test('pruneUpdates drops updates that write a variable back unchanged', () => {
  const v = B.variable(1, 'v', [2]);
  const w = B.variable(2, 'w', [2]);
  const g = pruneUpdates(simplify({ outputs: [], updates: [{ variable: v, value: B.add(v, 0) }, { variable: w, value: B.add(w, 1) }] }));
  assert.equal(g.updates.map((u) => u.variable), [w]);
});

test.run();
