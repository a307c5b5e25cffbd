/**
 * Row kernels as WebAssembly SIMD (codegen/wasm/row-match.ts, row-emit.ts): reductions over the
 * last axis with their map stages and row epilogues, per row on f32x4 lanes with a scalar tail.
 * Each graph is compared with the float64 reference interpreter, at row lengths below, at and
 * past the SIMD width (1, 3, 4, 5, 7, 10, 200), and the kernels asserted to be the SIMD ones
 * (their names end in `_simd`), or, for groups the row loop cannot express, the JavaScript ones.
 *
 * Tolerance: the SIMD kernel computes in float32 (exp and log within 1 ulp, simd-math.ts) and
 * sums a row as four partial sums added pairwise, where the interpreter computes in float64; the
 * largest error relative to an output's largest magnitude must stay within 1e-5 (2^-17, about
 * 170 float32 ulps), the bound the JavaScript tier's row kernels are held to. A max is exact:
 * compared bit for bit (NaN, -0 and -Infinity included) with the interpreter.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { firstMaxIndex } from '../src/api/graph-math.js';
import { wasmFeatures } from '../src/codegen/wasm/features.js';
import { grad } from '../src/ir/autodiff.js';
import * as B from '../src/ir/build.js';
import type { Graph } from '../src/ir/graph.js';
import { interpret, refContext } from '../src/ir/interpret.js';
import type { Node } from '../src/ir/node.js';
import { sizeOf } from '../src/ir/types.js';
import { compiledProgram } from '../src/runtime/compiled.js';
import { Session } from '../src/runtime/session.js';
import { defaultPool } from '../src/runtime/threads/default-pool.js';
import { compareCompiled, randomData, type Feed } from './support/compiled.js';
import { rng } from './support/gradcheck.js';

const simd = wasmFeatures().simd;
const TOL = 1e-5;
const LENGTHS = [1, 3, 4, 5, 7, 10, 200];

function withThreads<T>(threads: string, f: () => T): T {
  const saved = process.env.KERAS_JIT_THREADS;
  process.env.KERAS_JIT_THREADS = threads;
  try {
    return f();
  } finally {
    if (saved === undefined) delete process.env.KERAS_JIT_THREADS;
    else process.env.KERAS_JIT_THREADS = saved;
  }
}

/** The graph on the wasm tier against the interpreter; returns the kernels' names. */
function check(what: string, graph: Graph, feeds: readonly Feed[]): readonly string[] {
  const session = new Session({ seed: 3 });
  const c = compareCompiled(graph, feeds, session, undefined, 'wasm');
  assert.ok(c.maxRelError <= TOL, `${what}: max rel error ${c.maxRelError} at ${c.worst} (${c.names.join(', ')})`);
  session.clear();
  return c.names;
}

/** The reduction kernels among `names` (named after their first sum or max). */
const rowKernels = (names: readonly string[]) => names.filter((n) => /^(max|sum)_/.test(n));

function oneHot(rows: number, c: number, r: () => number): Float32Array {
  const out = new Float32Array(rows * c);
  for (let i = 0; i < rows; i++) out[i * c + Math.floor(r() * c)] = 1;
  return out;
}

function softmax(x: Node): Node {
  const last = x.shape.length - 1;
  const e = B.exp(B.subtract(x, B.max(x, last, true)));
  return B.divide(e, B.sum(e, last, true));
}

for (const c of LENGTHS) {
  test(`softmax over rows of ${c}: one SIMD row kernel equal to the interpreter`, () => {
    if (!simd) return;
    const r = rng(100 + c);
    const shape = [6, c];
    const x = B.input('x', shape);
    const names = check(`softmax ${c}`, { outputs: [softmax(x)], updates: [] }, [{ node: x, data: randomData(sizeOf(shape), r, -8, 8) }]);
    // Rows of one column fuse as two reductions (max with its epilogue, then the sum): a row value is then an element.
    const rows = rowKernels(names);
    assert.ok(rows.length === (c === 1 ? 2 : 1) && rows.every((n) => n.endsWith('_simd')), names.join(', '));
  });

  test(`log-softmax crossentropy and its gradient over rows of ${c} as SIMD row kernels`, () => {
    if (!simd) return;
    const r = rng(200 + c);
    const shape = [9, c];
    const x = B.input('x', shape), t = B.input('t', shape);
    const m = B.max(x, 1, true);
    const logp = B.subtract(B.subtract(x, m), B.log(B.sum(B.exp(B.subtract(x, m)), 1, true)));
    const loss = B.divide(B.sum(B.negative(B.sum(B.multiply(t, logp), 1))), 9);
    const [gx] = grad(loss, [x]);
    const names = check(`log-softmax ${c}`, { outputs: [loss, gx], updates: [] }, [
      { node: x, data: randomData(sizeOf(shape), r, -4, 4) }, { node: t, data: oneHot(9, c, r) },
    ]);
    const rows = rowKernels(names);
    assert.ok(rows.length >= 1 && rows.every((n) => n.endsWith('_simd')), names.join(', '));
  });
}

test('softmax over a 4-D domain (attention scores) with rows of 200: one SIMD row kernel', () => {
  if (!simd) return;
  const r = rng(7);
  const shape = [2, 2, 13, 200];
  const x = B.input('x', shape);
  const names = check('attention softmax', { outputs: [softmax(x)], updates: [] }, [{ node: x, data: randomData(sizeOf(shape), r, -6, 6) }]);
  assert.equal(rowKernels(names).map((n) => /^max_2x2x13x200_axis3_.*_simd$/.test(n)), [true], names.join(', '));
});

// Keras's categorical crossentropy on softmax probabilities (normalised again, clipped) with its
// gradient, and the accuracy metric's argmaxes: the label's argmax is a later stage whose row
// epilogue compares it with the prediction's, computed by an earlier stage (mnist_mlp's loss tail).
for (const c of [3, 10]) {
  test(`crossentropy, gradient and accuracy over rows of ${c}: a later stage reads an earlier stage's row value`, () => {
    if (!simd) return;
    const r = rng(300 + c);
    const rows = 37;
    const x = B.input('x', [rows, c]), t = B.input('t', [rows, c]);
    const p = softmax(x);
    const q = B.minimum(B.maximum(B.divide(p, B.sum(p, 1, true)), 1e-7), 1 - 1e-7);
    const loss = B.divide(B.sum(B.negative(B.sum(B.multiply(t, B.log(q)), 1))), rows);
    const hits = B.cast(B.equal(firstMaxIndex(t, 1), firstMaxIndex(p, 1)), 'float32');
    const [gx] = grad(loss, [x]);
    const graph = { outputs: [loss, B.sum(hits), gx], updates: [] };
    const feeds = [{ node: x, data: randomData(rows * c, r, -3, 3) }, { node: t, data: oneHot(rows, c, r) }];
    const names = check(`loss tail ${c}`, graph, feeds);
    const session = new Session({ seed: 3 });
    const program = compiledProgram({ name: 'tail', inputs: [x, t], graph }, session, 'wasm');
    const tail = program.parts.calls.find((k) => (k.kernel.stages?.length ?? 0) >= 5);
    assert.ok(tail !== undefined && tail.name.endsWith('_simd'), `the loss tail's row kernel is SIMD: ${names.join(', ')}`);
    // The accuracy's comparison of the two argmaxes runs at the row, after both.
    assert.ok(tail!.kernel.stages!.some((s) => s.epilogue.some((n) => n.op === 'equal' && n.shape.length === 1)), 'a row epilogue compares two stages\' row values');
    program.dispose();
    session.clear();
  });
}

test('layer normalisation: later sums read earlier row values (mean, then variance) in one SIMD row kernel', () => {
  if (!simd) return;
  const r = rng(9);
  for (const c of [5, 32]) {
    const x = B.input('x', [11, c]);
    const mean = B.divide(B.sum(x, 1, true), c);
    const d = B.subtract(x, mean);
    const variance = B.divide(B.sum(B.multiply(d, d), 1, true), c);
    const y = B.divide(d, B.sqrt(B.add(variance, 1e-3)));
    const names = check(`layer norm ${c}`, { outputs: [y, B.sum(B.multiply(y, x), 1)], updates: [] }, [{ node: x, data: randomData(11 * c, r, -2, 2) }]);
    const rows = rowKernels(names);
    assert.ok(rows.length === 1 && rows[0].endsWith('_simd'), names.join(', '));
  }
});

// Attention's softmax gradient after the row kernel: (dp / s + q) * p with s and q one value per
// row, read through a broadcast along the last axis (the flat elementwise loop declines it).
for (const c of [3, 200]) {
  test(`an elementwise kernel broadcasting row values over rows of ${c} runs as a SIMD row loop`, () => {
    if (!simd) return;
    const r = rng(400 + c);
    const shape = [2, 3, 5, c];
    const dp = B.input('dp', shape), p = B.input('p', shape), sum = B.input('s', [2, 3, 5, 1]), q = B.input('q', [2, 3, 5]);
    const row = B.broadcastTo(B.reshape(q, [2, 3, 5, 1]), shape);
    const out = B.reshape(B.multiply(B.add(B.divide(dp, sum), row), p), [6, 5, c]);
    const n = sizeOf(shape);
    const names = check(`row broadcast ${c}`, { outputs: [out], updates: [] }, [
      { node: dp, data: randomData(n, r) }, { node: p, data: randomData(n, r, 0, 1) },
      { node: sum, data: randomData(30, r, 0.5, 2) }, { node: q, data: randomData(30, r) },
    ]);
    assert.equal(names.map((k) => /^fused_6x5x\d+_.*_simd$/.test(k)), [true], names.join(', '));
  });
}

test('max over rows holding NaN, -0 and +0, or -Infinity only, is the interpreter\'s bit for bit', () => {
  if (!simd) return;
  const nan = NaN, inf = Infinity;
  // Rows of 5 (one block and a tail), the zeros' order deciding the sign the sequential max keeps.
  const data = Float32Array.from([
    -0, 0, -1, -2, -3,
    0, -0, -1, -2, -3,
    -1, -0, -2, 0, -3,
    -1, -2, -3, -4, -0,
    -inf, -inf, -inf, -inf, -inf,
    1, nan, 2, 3, 4,
    1, 2, 3, 4, nan,
    -0, -0, -0, -0, 0,
    -5, -4, -3, -2, -1,
    inf, 1, nan, -inf, 0,
  ]);
  const shape = [10, 5];
  const x = B.input('x', shape);
  const m = B.max(x, 1);
  const graph: Graph = { outputs: [m, B.max(B.multiply(x, 2), 1, true)], updates: [] };
  const session = new Session({ seed: 3 });
  const program = compiledProgram({ name: 'max', inputs: [x], graph }, session, 'wasm');
  assert.ok(program.parts.calls.every((k) => k.name.endsWith('_simd')), program.parts.calls.map((k) => k.name).join(', '));
  program.input(0).set(data);
  program.run(0);
  const expected = interpret(graph, refContext(new Map([[x as Node, { shape, data: Float64Array.from(data) }]])));
  graph.outputs.forEach((_, o) => {
    const got = Array.from(program.output(o)), want = Array.from(expected.outputs[o].data, (v) => Math.fround(v));
    got.forEach((v, i) => assert.ok(Object.is(v, want[i]), `output ${o} row ${i}: ${Object.is(v, -0) ? '-0' : v} for ${Object.is(want[i], -0) ? '-0' : want[i]}`));
  });
  program.dispose();
  session.clear();
});

test('groups the row loop cannot express stay JavaScript kernels, and are still right', () => {
  if (!simd) return;
  const r = rng(11);
  const x = B.input('x', [8, 6]), bias = B.input('b', [6]), y = B.input('y', [6, 8]);
  const xs = { node: x, data: randomData(48, r) };
  const cases: readonly { what: string; out: Node; feeds: Feed[] }[] = [
    // A column vector broadcast over the rows: not a row value.
    { what: 'a per-column scale', out: B.sum(B.multiply(x, bias), 1), feeds: [xs, { node: bias, data: randomData(6, r) }] },
    // A reduction over the first axis: its rows are not contiguous.
    { what: 'a max over axis 0', out: B.max(B.exp(x), 0), feeds: [xs] },
    // A transposed read.
    { what: 'a transposed input', out: B.sum(B.exp(B.transpose(y)), 1), feeds: [{ node: y, data: randomData(48, r) }] },
  ];
  for (const { what, out, feeds } of cases) {
    const names = check(what, { outputs: [out], updates: [] }, feeds);
    const rows = rowKernels(names);
    assert.ok(rows.length >= 1 && rows.every((n) => !n.endsWith('_simd')), `${what}: ${names.join(', ')}`);
  }
});

test('a large softmax splits its rows over the pool, bit for bit the single-thread result', () => {
  if (!simd || !wasmFeatures().sharedMemory) return;
  const [rows, c] = [2003, 203];
  const run = (threads: string) => withThreads(threads, () => {
    const r = rng(13);
    const x = B.input('x', [rows, c]);
    const graph: Graph = { outputs: [softmax(x), B.sum(B.log(softmax(x)), 1)], updates: [] };
    const session = new Session({ seed: 3 });
    const before = defaultPool()?.jobs ?? 0;
    const program = compiledProgram({ name: 'big', inputs: [x], graph }, session, 'wasm');
    const data = randomData(rows * c, r, -5, 5);
    program.input(0).set(data);
    program.run(0);
    const out = graph.outputs.map((_, i) => Float32Array.from(program.output(i)));
    const jobs = (defaultPool()?.jobs ?? 0) - before;
    const names = program.parts.calls.map((k) => k.name);
    program.dispose();
    session.clear();
    if (threads === '2') check('big softmax', graph, [{ node: x, data }]);
    return { out, jobs, names };
  });
  const one = run('1'), two = run('2');
  assert.ok(rowKernels(two.names).every((n) => n.endsWith('_simd')), two.names.join(', '));
  assert.is(one.jobs, 0, 'KERAS_JIT_THREADS=1 ran jobs on a pool');
  assert.ok(two.jobs > 0, `nothing ran on the pool (${two.names.join(', ')})`);
  one.out.forEach((a, i) => {
    const b = two.out[i];
    const at = a.findIndex((v, j) => !Object.is(v, b[j]));
    assert.ok(at < 0, `output ${i} differs at ${at}: ${a[at]} vs ${b[at]}`);
  });
});

test.run();
