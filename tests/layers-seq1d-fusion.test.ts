/**
 * Reshapes as views: a reshape that a contraction, a pooling or the program's output reads whole
 * is the buffer it reshapes (row-major order is kept), so Conv1D (conv2d on a height-1 image),
 * the 1-D poolings and TimeDistributed (steps folded into the batch) compile to the kernels of
 * their 2-D primitives alone. Kernel counts, and values against the interpreter.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as B from '../src/ir/build.js';
import { dumpGraph } from '../src/ir/dump.js';
import type { Graph } from '../src/ir/graph.js';
import type { Node } from '../src/ir/node.js';
import { sizeOf } from '../src/ir/types.js';
import { compiledProgram } from '../src/runtime/compiled.js';
import { Session } from '../src/runtime/session.js';
import { Input, Model, layers } from '../src/index.js';
import { compareCompiled, makeVariable, randomData, type Feed } from './support/compiled.js';
import { rng } from './support/gradcheck.js';

const r = rng(31);
const session = new Session({ seed: 2 });
const feed = (node: Node<'input'>): Feed => ({ node, data: randomData(sizeOf(node.shape.map((d) => d!)), r) });

function compile(graph: Graph, feeds: readonly Feed[]): { kernels: number; copies: number; names: string[] } {
  const p = compiledProgram({ name: 'views', inputs: feeds.map((f) => f.node), graph }, session);
  const out = { kernels: p.stats.kernels, copies: p.parts.plan.copies.length, names: p.parts.calls.map((c) => c.name) };
  p.dispose();
  const c = compareCompiled(graph, feeds, session);
  assert.ok(c.maxRelError <= 1e-5, `max rel error ${c.maxRelError} at ${c.worst}\n${dumpGraph(graph)}`);
  return out;
}

test('a matmul of a reshaped input, reshaped back as the output, is one kernel', () => {
  const x = B.input('x', [4, 3, 5]);
  const w = makeVariable(session, 'w', [5, 2], r);
  const graph: Graph = { outputs: [B.reshape(B.maximum(B.matmul(B.reshape(x, [12, 5]), w.node), 0), [4, 3, 2])], updates: [] };
  const c = compile(graph, [feed(x)]);
  assert.is(c.kernels, 1, c.names.join(', '));
});

test('a reshaped variable read by a matmul and updated in the same step: read before it is written', () => {
  const x = B.input('x', [6, 4]);
  const g = B.input('g', [2, 2, 3]);
  const w = makeVariable(session, 'w3', [2, 2, 3], r);
  const y = B.matmul(x, B.reshape(w.node, [4, 3]));
  const graph: Graph = { outputs: [B.sum(y)], updates: [{ variable: w.node, value: B.subtract(w.node, B.multiply(g, 0.5)) }] };
  const c = compile(graph, [feed(x), feed(g)]);
  assert.is(c.copies, 0, 'the update is still in place');
  // The matmul, the sum of its product and the update: no copy of the reshaped weight.
  assert.is(c.kernels, 3, c.names.join(', '));
});

test('an output that reshapes an updated variable keeps its old value (a copy, not a view)', () => {
  const g = B.input('g', [3, 4]);
  const w = makeVariable(session, 'wo', [3, 4], r);
  const graph: Graph = { outputs: [B.reshape(w.node, [12])], updates: [{ variable: w.node, value: B.add(w.node, g) }] };
  compile(graph, [feed(g)]);
});

test('Conv1D, MaxPooling1D and TimeDistributed(Dense) compile to their conv2d, pooling and matmul kernels only', () => {
  const x = Input({ shape: [16, 8] });
  const h = new layers.MaxPooling1D()(new layers.Conv1D(4, 3, { padding: 'causal', activation: 'relu' })(x));
  const model = new Model({ inputs: x, outputs: new layers.TimeDistributed(new layers.Dense(5, { activation: 'relu' }))(h) });
  const fused = model.dump({ graph: 'predict', stage: 'fused' });
  const kinds = [...fused.matchAll(/^kernel \d+ \S+ \((\w+)\)$/gm)].map((m) => m[1]);
  assert.equal(kinds, ['contraction', 'opaque', 'contraction'], fused);
});

test.run();
