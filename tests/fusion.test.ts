/**
 * Fusion outcomes, asserted as kernel counts of compiled programs (docs/ARCHITECTURE.md, "Fusion kinds"),
 * and in-place variable updates (an empty copy list). Every case is also checked against the
 * interpreter, so a fusion that changes results fails here too.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { grad } from '../src/ir/autodiff.js';
import * as B from '../src/ir/build.js';
import { dumpGraph } from '../src/ir/dump.js';
import type { Graph } from '../src/ir/graph.js';
import type { Node } from '../src/ir/node.js';
import { sizeOf } from '../src/ir/types.js';
import { compiledProgram } from '../src/runtime/compiled.js';
import { Session } from '../src/runtime/session.js';
import { compareCompiled, makeVariable, randomData, type Feed } from './support/compiled.js';
import { rng } from './support/gradcheck.js';

const r = rng(99);
const session = new Session({ seed: 5 });

function feed(node: Node<'input'>, lo = -1, hi = 1): Feed {
  return { node, data: randomData(sizeOf(node.shape.map((d) => d!)), r, lo, hi) };
}

interface Compiled { kernels: number; names: string[]; copies: number }

/** Compiles once to read the kernel list and copies, then checks the numbers against the interpreter. */
function compile(graph: Graph, feeds: readonly Feed[]): Compiled {
  const p = compiledProgram({ name: 'fusion', inputs: feeds.map((f) => f.node), graph }, session);
  const out = { kernels: p.stats.kernels, names: p.parts.calls.map((c) => c.name), copies: p.parts.plan.copies.length };
  p.dispose();
  const c = compareCompiled(graph, feeds, session);
  assert.ok(c.maxRelError <= 1e-5, `max rel error ${c.maxRelError} at ${c.worst}\n${dumpGraph(graph)}`);
  return out;
}

const describe = (c: Compiled, graph: Graph) => `${c.kernels} kernel(s): ${c.names.join(', ')}; ${c.copies} copies\n${dumpGraph(graph)}`;

test('matmul + bias + relu is one kernel', () => {
  for (const [m, k, n] of [[5, 7, 3], [32, 64, 16], [1, 1, 1]]) {
    const x = B.input('x', [m, k]);
    const w = makeVariable(session, 'w', [k, n], r), b = makeVariable(session, 'b', [n], r);
    const graph: Graph = { outputs: [B.maximum(B.add(B.matmul(x, w.node), b.node), 0)], updates: [] };
    const c = compile(graph, [feed(x)]);
    assert.is(c.kernels, 1, describe(c, graph));
  }
});

test('a chain of five elementwise ops is one kernel', () => {
  const x = B.input('x', [13, 17]), y = B.input('y', [17]);
  const out = B.tanh(B.multiply(B.exp(B.subtract(B.add(x, y), 0.5)), 0.25));
  const graph: Graph = { outputs: [B.abs(out)], updates: [] };
  const c = compile(graph, [feed(x), feed(y)]);
  assert.is(c.kernels, 1, describe(c, graph));
});

test('a reduction with an elementwise producer and consumer is one kernel', () => {
  const x = B.input('x', [8, 12]);
  // log(sum(exp(2x), axis 1)) / 3
  const graph: Graph = { outputs: [B.divide(B.log(B.sum(B.exp(B.multiply(x, 2)), 1)), 3)], updates: [] };
  const c = compile(graph, [feed(x)]);
  assert.is(c.kernels, 1, describe(c, graph));
  const y = B.input('y', [6, 5, 4]);
  const graph2: Graph = { outputs: [B.sqrt(B.add(B.max(B.abs(B.subtract(y, 0.5)), [0, 2], true), 1))], updates: [] };
  const c2 = compile(graph2, [feed(y)]);
  assert.is(c2.kernels, 1, describe(c2, graph2));
});

test('an SGD update of a variable is written in place (no copies)', () => {
  const w = makeVariable(session, 'w', [6, 4], r);
  const g = B.input('grad', [6, 4]);
  const graph: Graph = { outputs: [], updates: [{ variable: w.node, value: B.subtract(w.node, B.multiply(g, 0.1)) }] };
  const c = compile(graph, [feed(g)]);
  assert.is(c.copies, 0, describe(c, graph));
  assert.is(c.kernels, 1, describe(c, graph));
});

test('a dense-layer SGD step through autodiff updates its variables in place (no copies)', () => {
  const x = B.input('x', [16, 8]), y = B.input('y', [16, 4]);
  const w = makeVariable(session, 'w', [8, 4], r), b = makeVariable(session, 'b', [4], r);
  const d = B.subtract(B.add(B.matmul(x, w.node), b.node), y);
  const loss = B.divide(B.sum(B.multiply(d, d)), 16);
  const [gw, gb] = grad(loss, [w.node, b.node]);
  const graph: Graph = {
    outputs: [loss],
    updates: [{ variable: w.node, value: B.subtract(w.node, B.multiply(gw, 0.1)) }, { variable: b.node, value: B.subtract(b.node, B.multiply(gb, 0.1)) }],
  };
  const c = compile(graph, [feed(x), feed(y)]);
  assert.is(c.copies, 0, `expected every update in place; ${describe(c, graph)}`);
});

test('an Adam-like update (m, v, w from one gradient) is one elementwise kernel written in place', () => {
  for (const shape of [[32], [4, 8], [3, 5, 7]]) {
    const w = makeVariable(session, 'w', shape, r), m = makeVariable(session, 'm', shape, r, 0, 0.1), v = makeVariable(session, 'v', shape, r, 0, 0.1);
    const g = B.input('grad', shape);
    const mNew = B.add(B.multiply(m.node, 0.9), B.multiply(g, 0.1));
    const vNew = B.add(B.multiply(v.node, 0.999), B.multiply(B.multiply(g, g), 0.001));
    const wNew = B.subtract(w.node, B.divide(B.multiply(mNew, 0.01), B.add(B.sqrt(vNew), 1e-7)));
    const graph: Graph = { outputs: [], updates: [{ variable: m.node, value: mNew }, { variable: v.node, value: vNew }, { variable: w.node, value: wNew }] };
    const c = compile(graph, [feed(g)]);
    assert.is(c.kernels, 1, `shape [${shape}]: ${describe(c, graph)}`);
    assert.is(c.copies, 0, `shape [${shape}]: ${describe(c, graph)}`);
  }
});

test('a momentum update whose gradient is broadcast or transposed matches the interpreter (merged in-place kernel)', () => {
  // The merged kernel writes m' into m, then recomputes m' for w' from m, which it already overwrote.
  const cases: [string, number[], (g: Node) => Node][] = [
    ['gradient [4] broadcast to [2,4]', [4], (g) => g],
    ['gradient [4,2] transposed to [2,4]', [4, 2], (g) => B.transpose(g)],
    ['gradient [8] reshaped to [2,4]', [8], (g) => B.reshape(g, [2, 4])],
  ];
  for (const [name, gShape, view] of cases) {
    const m = makeVariable(session, 'm', [2, 4], r), w = makeVariable(session, 'w', [2, 4], r);
    const g = B.input('g', gShape);
    const mNew = B.add(B.multiply(m.node, 0.9), view(g));
    const graph: Graph = { outputs: [], updates: [{ variable: m.node, value: mNew }, { variable: w.node, value: B.subtract(w.node, B.multiply(mNew, 0.05)) }] };
    const c = compareCompiled(graph, [feed(g)], session);
    assert.ok(c.maxRelError <= 1e-5, `${name}: max rel error ${c.maxRelError} at ${c.worst}\n${dumpGraph(graph)}`);
  }
});

test('two reductions combined by an elementwise epilogue match the interpreter (kernel order)', () => {
  // The epilogue of the first reduction reads the second reduction's buffer.
  const a = B.input('a', [3, 5]), b = B.input('b', [6, 5]);
  const graph: Graph = { outputs: [B.add(B.sum(a, 0), B.sum(b, 0))], updates: [] };
  const c = compareCompiled(graph, [feed(a), feed(b)], session);
  assert.ok(c.maxRelError <= 1e-5, `max rel error ${c.maxRelError} at ${c.worst}\n${dumpGraph(graph)}`);
  const x = B.input('x', [3, 4]), y = B.input('y', [4, 5]), z = B.input('z', [6, 5]);
  const graph2: Graph = { outputs: [B.add(B.matmul(x, y), B.sum(z, 0))], updates: [] };
  const c2 = compareCompiled(graph2, [feed(x), feed(y), feed(z)], session);
  assert.ok(c2.maxRelError <= 1e-5, `matmul epilogue reading a reduction: max rel error ${c2.maxRelError} at ${c2.worst}\n${dumpGraph(graph2)}`);
});

test('a reduction whose epilogue reads another buffer compiles and matches the interpreter', () => {
  const cases: [string, number[], number[], (x: Node, b: Node) => Node][] = [
    ['add(b, sum(x)) with b a scalar input', [3, 4], [], (x, b) => B.add(b, B.sum(x))],
    ['add(b, sum(x, 1, keepDims)) * x', [3, 4], [3, 1], (x, b) => B.multiply(B.add(b, B.sum(x, 1, true)), x)],
    ['add(b, sum(x, 1))', [3, 4], [3], (x, b) => B.add(b, B.sum(x, 1))],
    ['x - sum(x, 0, keepDims) over a size-1 axis', [1, 7], [1], (x) => B.subtract(x, B.sum(x, 0, true))],
  ];
  const failures: string[] = [];
  for (const [name, xs, bs, f] of cases) {
    const x = B.input('x', xs), b = B.input('b', bs);
    const graph: Graph = { outputs: [f(x, b)], updates: [] };
    try {
      const c = compareCompiled(graph, [feed(x), feed(b)], session);
      if (!(c.maxRelError <= 1e-5)) failures.push(`${name}: max rel error ${c.maxRelError} at ${c.worst}\n${dumpGraph(graph)}`);
    } catch (e) {
      failures.push(`${name}: threw ${e instanceof Error ? e.message : String(e)}\n${dumpGraph(graph)}`);
    }
  }
  assert.ok(failures.length === 0, failures.join('\n'));
});

function softmaxCrossEntropy(): { graph: Graph; feeds: Feed[] } {
  const z = B.input('logits', [32, 10]), y = B.input('labels', [32, 10]);
  const shifted = B.subtract(z, B.max(z, 1, true));
  const logSumExp = B.log(B.sum(B.exp(shifted), 1, true));
  const loss = B.divide(B.negative(B.sum(B.multiply(y, B.subtract(shifted, logSumExp)))), 32);
  const labels = new Float32Array(320);
  for (let i = 0; i < 32; i++) labels[i * 10 + ((i * 7) % 10)] = 1;
  return { graph: { outputs: [loss], updates: [] }, feeds: [feed(z, -4, 4), { node: y, data: labels }] };
}

/** What the fusion pass achieved when this test was written: update it when fusion improves. */
const SOFTMAX_CE_KERNELS_NOW = 2;

test(`softmax cross-entropy forward compiles to ${SOFTMAX_CE_KERNELS_NOW} kernels (current fusion)`, () => {
  const { graph, feeds } = softmaxCrossEntropy();
  const c = compile(graph, feeds);
  assert.is(c.kernels, SOFTMAX_CE_KERNELS_NOW, describe(c, graph));
});

test('softmax cross-entropy forward is at most two kernels', () => {
  const { graph, feeds } = softmaxCrossEntropy();
  const c = compile(graph, feeds);
  assert.ok(c.kernels <= 2, describe(c, graph));
});

test.run();
