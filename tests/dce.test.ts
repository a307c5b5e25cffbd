import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as B from '../src/ir/build.js';
import { liveNodes, pruneUpdates } from '../src/ir/dce.js';
import { topoOrder, type Graph } from '../src/ir/graph.js';
import { runPipeline } from '../src/ir/pipeline.js';
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

test('the pipeline schedules no node a rewrite orphaned, and every live one once', () => {
  const x = B.input('x', [2, 3]);
  const traced: Graph = { outputs: [B.tanh(B.multiply(B.add(x, 0), 1))], updates: [] };
  const orphaned = topoOrder(traced.outputs).filter((n) => n.op !== 'input');
  const { optimized, fusion } = runPipeline(traced, [x]);
  const scheduled = fusion.kernels.flatMap((k) => [...k.inline, ...k.outputs]);
  assert.equal(new Set(scheduled).size, scheduled.length, 'no node is scheduled twice');
  const live = new Set(liveNodes(optimized));
  for (const n of scheduled) assert.ok(live.has(n), `${n.op} #${n.id} is scheduled but dead`);
  for (const n of orphaned) assert.not.ok(scheduled.includes(n), `orphaned ${n.op} #${n.id} is scheduled`);
  assert.equal(scheduled.map((n) => n.op), ['tanh']);
});

test('the pipeline drops an update that writes its variable back: no kernel and no copy for it', () => {
  const v = B.variable(1, 'v', [2]);
  const w = B.variable(2, 'w', [2]);
  const traced: Graph = { outputs: [], updates: [{ variable: v, value: B.add(v, 0) }, { variable: w, value: B.add(w, 1) }] };
  const { simplified, optimized, memory } = runPipeline(traced, []);
  assert.equal(simplified.updates.length, 2, 'simplify alone leaves v := v');
  assert.equal(optimized.updates.map((u) => u.variable), [w]);
  assert.is(memory.kernels.length, 1);
  assert.not.ok(memory.copies.some((c) => c.to === v));
});

test('pruneUpdates drops updates that write a variable back unchanged', () => {
  const v = B.variable(1, 'v', [2]);
  const w = B.variable(2, 'w', [2]);
  const g = pruneUpdates(simplify({ outputs: [], updates: [{ variable: v, value: B.add(v, 0) }, { variable: w, value: B.add(w, 1) }] }));
  assert.equal(g.updates.map((u) => u.variable), [w]);
});

test.run();
