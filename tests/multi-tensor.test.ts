/**
 * Multi-tensor kernels (ir/multi-tensor.ts): adjacent independent elementwise kernels of
 * different shapes run as one 'group' kernel on both tiers. Checked against the reference
 * interpreter on optimizer-like updates (sizes that are not multiples of four, so the SIMD tail
 * runs), on groups whose members only partly fit the SIMD loop, and on kernels that share memory
 * and so must stay apart.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as B from '../src/ir/build.js';
import { dumpGraph } from '../src/ir/dump.js';
import type { Graph } from '../src/ir/graph.js';
import type { Node } from '../src/ir/node.js';
import { sizeOf } from '../src/ir/types.js';
import { compiledProgram } from '../src/runtime/compiled.js';
import type { TierName } from '../src/runtime/tiers/index.js';
import { Session } from '../src/runtime/session.js';
import { compareCompiled, makeVariable, randomData, type Feed } from './support/compiled.js';
import { rng } from './support/gradcheck.js';

const r = rng(1313);
const TIERS: readonly TierName[] = ['wasm', 'js'];

/** Momentum updates of one variable per shape: m' = 0.9 m + g, w' = w - lr m'. */
function momentumGraph(session: Session, shapes: readonly number[][]): { graph: Graph; feeds: Feed[] } {
  const lr = makeVariable(session, 'lr', [], r, 0.01, 0.1);
  const feeds: Feed[] = [];
  const updates: { variable: Node<'variable'>; value: Node }[] = [];
  shapes.forEach((shape, i) => {
    const w = makeVariable(session, `w${i}`, shape, r), m = makeVariable(session, `m${i}`, shape, r);
    const g = B.input(`g${i}`, shape);
    feeds.push({ node: g, data: randomData(sizeOf(shape), r) });
    const m2 = B.add(B.multiply(0.9, m.node), g);
    updates.push({ variable: m.node, value: m2 }, { variable: w.node, value: B.subtract(w.node, B.multiply(lr.node, m2)) });
  });
  return { graph: { outputs: [], updates }, feeds };
}

const shapeSets: readonly number[][][] = [[[7], [3, 5], [16], [33, 3]], [[1], [2], [5, 1], [4, 4], [9]], [[13, 7], []]];

for (const tier of TIERS) {
  for (const shapes of shapeSets) {
    test(`${tier}: momentum updates of ${shapes.map((s) => `[${s}]`).join(' ')} are one group kernel equal to the interpreter`, () => {
      const session = new Session({ seed: 5 });
      const { graph, feeds } = momentumGraph(session, shapes);
      const c = compareCompiled(graph, feeds, session, undefined, tier);
      assert.is(c.kernels, 1, c.names.join(', '));
      assert.ok(c.names[0].startsWith('group'), c.names.join(', '));
      if (tier === 'wasm') assert.ok(c.names[0].endsWith('_simd'), `every member fits the SIMD loop: ${c.names[0]}`);
      assert.ok(c.maxRelError <= 1e-6, `max rel error ${c.maxRelError} at ${c.worst}\n${dumpGraph(graph)}`);
    });
  }

  test(`${tier}: a group whose members only partly fit the SIMD loop (an int32 counter, a broadcast) equals the interpreter`, () => {
    const session = new Session({ seed: 6 });
    const { graph, feeds } = momentumGraph(session, [[10], [3, 7]]);
    const count = session.createVariable('count', [], 'int32', [41]);
    const w = makeVariable(session, 'wb', [5, 3], r), b = B.input('b', [3]);
    const updates = [...graph.updates,
      { variable: count.node, value: B.add(count.node, B.fill(1, [], 'int32')) },
      { variable: w.node, value: B.subtract(w.node, B.broadcastTo(b, [5, 3])) }];
    const all: Graph = { outputs: [], updates };
    const c = compareCompiled(all, [...feeds, { node: b, data: randomData(3, r) }], session, undefined, tier);
    assert.is(c.kernels, 1, c.names.join(', '));
    assert.ok(c.names[0].startsWith('group'), c.names.join(', '));
    assert.ok(c.maxRelError <= 1e-6, `max rel error ${c.maxRelError} at ${c.worst}\n${dumpGraph(all)}`);
  });

  test(`${tier}: a kernel reading a variable another updates in place is not grouped with it`, () => {
    const session = new Session({ seed: 7 });
    // v is doubled in place; w reads v's old value through a broadcast (JavaScript) while v's
    // update is a SIMD loop: grouped, the group would run the SIMD part first.
    const v = makeVariable(session, 'v', [6], r), w = makeVariable(session, 'w', [3, 6], r);
    const graph: Graph = { outputs: [], updates: [
      { variable: w.node, value: B.add(w.node, B.broadcastTo(v.node, [3, 6])) },
      { variable: v.node, value: B.multiply(v.node, 2) },
    ] };
    // The case needs both updates written in place (no copy after the last kernel).
    const p = compiledProgram({ name: 'in-place', inputs: [], graph }, session, tier);
    assert.is(p.parts.plan.copies.length, 0, 'an update was copied, not written in place');
    p.dispose();
    const c = compareCompiled(graph, [], session, undefined, tier);
    assert.is(c.kernels, 2, c.names.join(', '));
    assert.ok(c.maxRelError <= 1e-6, `max rel error ${c.maxRelError} at ${c.worst}\n${dumpGraph(graph)}`);
  });
}

test.run();
