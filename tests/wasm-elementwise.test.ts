/**
 * The WebAssembly SIMD tier of flat elementwise groups: every op it supports (exp, log, tanh,
 * sigmoid and sign as polynomials: their error bounds are in wasm-simd-math.test.ts), reshapes, broadcast scalars,
 * sizes around the four-lane width, several outputs, in-place variable updates, bool masks in
 * and out, random draws (bit-exact), and NaN / ±Infinity / -0 through maximum, minimum and where, each against the float64
 * reference interpreter on the wasm tier (whatever KERAS_JIT_BACKEND says). Groups outside the
 * SIMD loop's reach must stay on JavaScript.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as B from '../src/ir/build.js';
import type { Graph } from '../src/ir/graph.js';
import type { Node } from '../src/ir/node.js';
import { wasmFeatures } from '../src/codegen/wasm/features.js';
import { compiledProgram } from '../src/runtime/compiled.js';
import { Session } from '../src/runtime/session.js';
import { compareCompiled, makeVariable, randomData, type Feed } from './support/compiled.js';
import { rng } from './support/gradcheck.js';

const TOL = 1e-5;
const SIZES = [1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 1027];
const simd = (names: readonly string[]) => names.filter((n) => n.endsWith('_simd'));

/** Compares on the wasm tier and checks that exactly `simdKernels` kernels took the SIMD path. */
function check(graph: Graph, feeds: readonly Feed[], session: Session, simdKernels: number, what: string): void {
  const c = compareCompiled(graph, feeds, session, undefined, 'wasm');
  assert.ok(c.maxRelError <= TOL, `${what}: max rel error ${c.maxRelError} at ${c.worst}`);
  assert.is(simd(c.names).length, simdKernels, `${what}: kernels ${c.names.join(', ')}`);
}

const BINARY: readonly [string, (a: Node, b: Node) => Node][] = [
  ['add', B.add], ['subtract', B.subtract], ['multiply', B.multiply], ['divide', B.divide],
  ['maximum', B.maximum], ['minimum', B.minimum],
];
const UNARY: readonly [string, (a: Node) => Node][] = [
  ['sqrt', (a) => B.sqrt(B.abs(a))], ['negative', B.negative], ['abs', B.abs],
  ['exp', B.exp], ['log', (a) => B.log(B.abs(a))], ['tanh', B.tanh], ['sigmoid', B.sigmoid], ['sign', B.sign],
];
const COMPARE: readonly [string, (a: Node, b: Node) => Node][] = [
  ['less', B.less], ['lessEqual', B.lessEqual], ['greater', B.greater],
  ['greaterEqual', B.greaterEqual], ['equal', B.equal], ['notEqual', B.notEqual],
];

test('the engine has WebAssembly SIMD (the tier under test)', () => {
  assert.ok(wasmFeatures().simd);
});

test('each binary and unary op, at sizes around the lane width', () => {
  const r = rng(1);
  const s = new Session({ seed: 1 });
  for (const n of SIZES) {
    const x = B.input('x', [n]), y = B.input('y', [n]);
    const feeds = [{ node: x, data: randomData(n, r) }, { node: y, data: randomData(n, r, 0.5, 2) }];
    for (const [name, op] of BINARY) check({ outputs: [op(x, y)], updates: [] }, feeds, s, 1, `${name} n=${n}`);
    for (const [name, op] of UNARY) check({ outputs: [op(x)], updates: [] }, feeds, s, 1, `${name} n=${n}`);
  }
});

test('comparisons as where masks, as cast floats and as stored bools', () => {
  const r = rng(2);
  const s = new Session({ seed: 2 });
  for (const n of [3, 4, 7, 9, 33]) {
    const x = B.input('x', [n]), y = B.input('y', [n]);
    // Some equal pairs, so equal and the non-strict comparisons see ties.
    const xs = randomData(n, r), ys = Float32Array.from(xs, (v, i) => (i % 3 === 0 ? v : -v));
    const feeds = [{ node: x, data: xs }, { node: y, data: ys }];
    for (const [name, op] of COMPARE) {
      const m = op(x, y);
      check({ outputs: [B.where(m, x, B.multiply(y, 2))], updates: [] }, feeds, s, 1, `where ${name} n=${n}`);
      check({ outputs: [B.multiply(B.cast(m, 'float32'), x)], updates: [] }, feeds, s, 1, `cast ${name} n=${n}`);
      // Two independent kernels: one multi-tensor group, both members on the SIMD loop.
      check({ outputs: [m, B.add(x, y)], updates: [] }, feeds, s, 1, `stored ${name} n=${n}`);
    }
  }
});

test('bool buffers in: a stored mask read back by where and cast', () => {
  const r = rng(3);
  const s = new Session({ seed: 3 });
  for (const n of [1, 5, 8, 11]) {
    const mask = B.input('mask', [n], 'bool'), g = B.input('g', [n]);
    const bits = Uint8Array.from({ length: n }, () => (r() < 0.5 ? 1 : 0));
    const feeds = [{ node: mask, data: bits }, { node: g, data: randomData(n, r) }];
    check({ outputs: [B.where(mask, B.divide(g, 0.8), 0)], updates: [] }, feeds, s, 1, `dropout backward n=${n}`);
    check({ outputs: [B.multiply(B.cast(mask, 'float32'), g)], updates: [] }, feeds, s, 1, `cast mask n=${n}`);
    check({ outputs: [B.cast(B.cast(g, 'bool'), 'float32')], updates: [] }, feeds, s, 1, `float to bool n=${n}`);
  }
});

test('LSTM-style gate chains: sigmoid, tanh, exp and log composed in one kernel', () => {
  const r = rng(12);
  const s = new Session({ seed: 12 });
  for (const n of [5, 64, 515]) {
    const i = B.input('i', [n]), f = B.input('f', [n]), g = B.input('g', [n]), o = B.input('o', [n]), c = B.input('c', [n]);
    const feeds = [i, f, g, o, c].map((node) => ({ node, data: randomData(n, r, -6, 6) }));
    const c1 = B.add(B.multiply(B.sigmoid(f), c), B.multiply(B.sigmoid(i), B.tanh(g)));
    const h = B.multiply(B.sigmoid(o), B.tanh(c1));
    check({ outputs: [c1, h], updates: [] }, feeds, s, 1, `lstm cell n=${n}`);
    // softplus and a log-sigmoid, as losses write them.
    const softplus = B.add(B.maximum(i, 0), B.log(B.add(1, B.exp(B.negative(B.abs(i))))));
    check({ outputs: [softplus, B.log(B.sigmoid(f))], updates: [] }, feeds, s, 1, `softplus n=${n}`);
  }
});

test('reshapes inside a group keep the flat element order (Dropout after Flatten)', () => {
  const r = rng(13);
  const s = new Session({ seed: 13 });
  for (const n of [1, 3, 8]) {
    const mask = B.input('mask', [n, 2, 3, 4], 'bool'), x = B.input('x', [n, 2, 3, 4]), g = B.input('g', [n, 24]);
    const bits = Uint8Array.from({ length: n * 24 }, () => (r() < 0.5 ? 1 : 0));
    const feeds = [{ node: mask, data: bits }, { node: x, data: randomData(n * 24, r) }, { node: g, data: randomData(n * 24, r) }];
    const forward = B.where(B.reshape(mask, [n, 24]), B.divide(B.reshape(x, [n, 24]), 0.75), 0);
    check({ outputs: [forward], updates: [] }, feeds, s, 1, `flatten then dropout n=${n}`);
    const backward = B.divide(B.where(mask, B.reshape(g, [n, 2, 3, 4]), 0), 0.75);
    check({ outputs: [backward], updates: [] }, feeds, s, 1, `dropout gradient then unflatten n=${n}`);
  }
});

test('slices of inputs read as rows: LSTM gates from one [batch, 4 units] matrix, row tails, bool slices', () => {
  const r = rng(14);
  const s = new Session({ seed: 14 });
  for (const [batch, units] of [[1, 4], [3, 5], [4, 8], [32, 13]]) {
    const z = B.input('z', [batch, 4 * units]), c = B.input('c', [batch, units]);
    const feeds = [{ node: z, data: randomData(batch * 4 * units, r, -5, 5) }, { node: c, data: randomData(batch * units, r) }];
    const gate = (k: number) => B.slice(z, [0, k * units], [batch, (k + 1) * units]);
    const c1 = B.add(B.multiply(B.sigmoid(gate(1)), c), B.multiply(B.sigmoid(gate(0)), B.tanh(gate(2))));
    const h = B.multiply(B.sigmoid(gate(3)), B.tanh(c1));
    check({ outputs: [c1, h], updates: [] }, feeds, s, 1, `lstm gates ${batch}x${units}`);
  }
  // One time step of a [time, batch, features] sequence, its columns 2..7, and a bool mask sliced the same way.
  const seq = B.input('seq', [3, 5, 9]), m = B.input('m', [3, 5, 9], 'bool');
  const bits = Uint8Array.from({ length: 135 }, () => (r() < 0.5 ? 1 : 0));
  const feeds = [{ node: seq, data: randomData(135, r) }, { node: m, data: bits }];
  const step = (x: Node) => B.reshape(B.slice(x, [1, 0, 2], [2, 5, 7]), [5, 5]);
  check({ outputs: [B.where(step(m), B.exp(step(seq)), 0)], updates: [] }, feeds, s, 1, 'time step columns');
  // Rows 1..2 of each sequence, whole: 3 rows of 18, 45 apart.
  check({ outputs: [B.exp(B.slice(seq, [0, 1, 0], [3, 3, 9]))], updates: [] }, feeds, s, 1, 'middle rows');
  // Two cut axes, the outer keeping two indices: not evenly spaced rows, so JavaScript.
  check({ outputs: [B.exp(B.slice(seq, [0, 1, 2], [3, 3, 7]))], updates: [] }, feeds, s, 0, 'two cut axes');
});

test('pads of the last axis by column segment: LSTM gate gradients concatenated, overlaps, constants, masks', () => {
  const r = rng(15);
  const s = new Session({ seed: 15 });
  for (const [batch, units] of [[1, 1], [2, 5], [4, 8], [32, 13]]) {
    const parts = [0, 1, 2, 3].map((k) => B.input(`g${k}`, [batch, units]));
    const ys = [0, 1, 2, 3].map((k) => B.input(`y${k}`, [batch, units]));
    const feeds = [...parts, ...ys].map((node) => ({ node, data: randomData(batch * units, r) }));
    // As the slice VJP writes it: each gate's gradient padded to the full width, summed.
    const gate = (k: number) => B.pad(B.multiply(B.multiply(parts[k], ys[k]), B.subtract(1, ys[(k + 1) % 4])), [[0, 0], [k * units, (3 - k) * units]]);
    const dz = B.add(B.add(gate(0), gate(1)), B.add(gate(2), gate(3)));
    check({ outputs: [dz], updates: [] }, feeds, s, 1, `gate gradients ${batch}x${units}`);
    // Overlapping pads (both active in the middle columns), a nonzero pad value, one input under two pads.
    const x = parts[0];
    const overlap = B.multiply(B.pad(B.exp(x), [[0, 0], [0, 2]], 0.5), B.pad(B.tanh(x), [[0, 0], [2, 0]], -1));
    check({ outputs: [overlap], updates: [] }, feeds, s, 1, `overlapping pads ${batch}x${units}`);
    // A GRU's gradient: a slice of the [batch, 3 units] recurrent product under a pad.
    const z = B.input('z', [batch, 3 * units]);
    const zFeeds = [...feeds, { node: z, data: randomData(batch * 3 * units, r) }];
    const hidden = B.pad(B.multiply(parts[1], B.slice(z, [0, 2 * units], [batch, 3 * units])), [[0, 0], [units, units]]);
    check({ outputs: [B.add(hidden, B.pad(ys[1], [[0, 0], [2 * units, 0]]))], updates: [] }, zFeeds, s, 1, `slice under a pad ${batch}x${units}`);
  }
  // A bool mask padded with false, choosing between padded values, and an output beside it.
  const m = B.input('m', [3, 6], 'bool'), v = B.input('v', [3, 6]), w = B.input('w', [3, 9]);
  const bits = Uint8Array.from({ length: 18 }, () => (r() < 0.5 ? 1 : 0));
  const feeds = [{ node: m, data: bits }, { node: v, data: randomData(18, r) }, { node: w, data: randomData(27, r) }];
  const chosen = B.where(B.pad(m, [[0, 0], [1, 2]]), B.pad(v, [[0, 0], [1, 2]], 3), w);
  check({ outputs: [chosen, B.sigmoid(w)], updates: [] }, feeds, s, 1, 'padded mask');
  // A pad of a leading axis is not rows of columns: JavaScript.
  check({ outputs: [B.exp(B.pad(v, [[1, 0], [0, 0]]))], updates: [] }, feeds, s, 0, 'pad of the first axis');
});

test('scalar operands: constants, one-element inputs and values computed from them', () => {
  const r = rng(4);
  const s = new Session({ seed: 4 });
  for (const n of [1, 4, 6, 17]) {
    const x = B.input('x', [n, 1]), a = B.input('a', []), c = B.input('c', [1, 1]);
    const feeds = [{ node: x, data: randomData(n, r) }, { node: a, data: [0.75] }, { node: c, data: [-1.5] }];
    const out = B.add(B.multiply(x, B.sqrt(B.add(B.multiply(a, a), 1))), B.maximum(c, B.fill(0.25, [n, 1])));
    check({ outputs: [out], updates: [] }, feeds, s, 1, `scalars n=${n}`);
    check({ outputs: [B.where(B.greater(a, 0), x, c)], updates: [] }, feeds, s, 1, `scalar mask n=${n}`);
  }
});

test('an RMSprop step: two outputs written in place over their variables, sizes 1..9', () => {
  const r = rng(5);
  for (const n of [1, 2, 3, 4, 5, 6, 7, 8, 9, 515]) {
    const s = new Session({ seed: 5 });
    const w = makeVariable(s, 'w', [n], r), v = makeVariable(s, 'v', [n], r, 0, 1);
    const lr = makeVariable(s, 'lr', [], () => 0.5, 0.001, 0.001);
    const g = B.input('g', [n]);
    const v1 = B.add(B.multiply(0.9, v.node), B.multiply(0.1, B.multiply(g, g)));
    const w1 = B.subtract(w.node, B.divide(B.multiply(lr.node, g), B.sqrt(B.add(v1, 1e-7))));
    const graph = { outputs: [], updates: [{ variable: v.node, value: v1 }, { variable: w.node, value: w1 }] };
    check(graph, [{ node: g, data: randomData(n, r) }], s, 1, `rmsprop n=${n}`);
  }
});

test('an Adam step: m, v and w updated by one merged kernel', () => {
  const r = rng(6);
  const n = 37;
  const s = new Session({ seed: 6 });
  const w = makeVariable(s, 'w', [n], r), m = makeVariable(s, 'm', [n], r), v = makeVariable(s, 'v', [n], r, 0, 1);
  const g = B.input('g', [n]), lr = B.input('lr', []);
  const m1 = B.add(B.multiply(0.9, m.node), B.multiply(0.1, g));
  const v1 = B.add(B.multiply(0.999, v.node), B.multiply(0.001, B.multiply(g, g)));
  const w1 = B.subtract(w.node, B.divide(B.multiply(lr, m1), B.add(B.sqrt(v1), 1e-7)));
  const graph = { outputs: [], updates: [{ variable: m.node, value: m1 }, { variable: v.node, value: v1 }, { variable: w.node, value: w1 }] };
  const c = compareCompiled(graph, [{ node: g, data: randomData(n, r) }, { node: lr, data: [0.01] }], s, undefined, 'wasm');
  assert.ok(c.maxRelError <= TOL, `max rel error ${c.maxRelError} at ${c.worst}`);
  assert.equal(simd(c.names), c.names, c.names.join(', '));
  assert.is(c.kernels, 1);
});

test('random draws (Dropout) hash exactly as the interpreter does, masks stored and applied', () => {
  const r = rng(10);
  const s = new Session({ seed: 10 });
  for (const n of [1, 3, 4, 7, 64, 515]) {
    const seed = B.input('seed', [], 'int32'), x = B.input('x', [n]);
    const feeds = [{ node: x, data: randomData(n, r) }];
    const draw = { node: seed, value: 12345 + n };
    const u = B.randomUniform(seed, [n]);
    const exact = compareCompiled({ outputs: [u, B.randomUniform(seed, [n])], updates: [] }, feeds, s, draw, 'wasm');
    assert.is(exact.maxRelError, 0, `draws n=${n} at ${exact.worst}`);
    assert.equal(simd(exact.names), exact.names, exact.names.join(', '));
    const keep = B.greaterEqual(B.randomUniform(seed, [n]), 0.2);
    const out = B.where(keep, B.divide(B.maximum(x, 0), 0.8), 0);
    const c = compareCompiled({ outputs: [keep, out], updates: [] }, feeds, s, draw, 'wasm');
    assert.ok(c.maxRelError <= TOL, `dropout n=${n}: max rel error ${c.maxRelError} at ${c.worst}`);
    assert.equal(simd(c.names), c.names, c.names.join(', '));
  }
});

/** Runs one output on the wasm tier and returns it. */
function runWasm(out: Node, feeds: readonly Feed[], s: Session): Float32Array {
  const p = compiledProgram({ name: 'specials', inputs: feeds.map((f) => f.node), graph: { outputs: [out], updates: [] } }, s, 'wasm');
  assert.ok(p.parts.calls.every((c) => c.name.endsWith('_simd')), p.parts.calls.map((c) => c.name).join(', '));
  feeds.forEach((f, i) => p.input(i).set(f.data));
  p.run(0);
  const result = Float32Array.from(p.output(0));
  p.dispose();
  return result;
}

test('NaN, ±Infinity and -0 through maximum, minimum and where, as Math.max and Math.min treat them', () => {
  const s = new Session({ seed: 7 });
  const xs = [NaN, 1, -0, 0, Infinity, -Infinity, NaN, -0, 3];
  const ys = [2, NaN, 0, -0, 5, -Infinity, NaN, -0, -Infinity];
  const x = B.input('x', [xs.length]), y = B.input('y', [ys.length]);
  const feeds = [{ node: x, data: xs }, { node: y, data: ys }];
  const cases: [string, Node, (a: number, b: number) => number][] = [
    ['maximum', B.maximum(x, y), Math.max],
    ['minimum', B.minimum(x, y), Math.min],
    ['where', B.where(B.greaterEqual(x, y), x, y), (a, b) => (a >= b ? a : b)],
    ['where notEqual', B.where(B.notEqual(x, y), y, B.negative(x)), (a, b) => (a !== b ? b : -a)],
  ];
  for (const [name, out, f] of cases) {
    const got = runWasm(out, feeds, s);
    xs.forEach((a, i) => {
      const want = Math.fround(f(a, ys[i]));
      assert.ok(Object.is(got[i], want), `${name}(${a}, ${ys[i]}): got ${got[i]}, want ${want}`);
    });
    check({ outputs: [out], updates: [] }, feeds, s, 1, name);
  }
});

test('constants NaN and Infinity do not share a cached kernel, on either tier', () => {
  const s = new Session({ seed: 11 });
  for (const tier of ['js', 'wasm'] as const) {
    for (const c of [NaN, Infinity, -Infinity]) {
      const x = B.input('x', [3]);
      const p = compiledProgram({ name: 'consts', inputs: [x], graph: { outputs: [B.maximum(x, c)], updates: [] } }, s, tier);
      p.input(0).set([-1, 2, -3]);
      p.run(0);
      const want = [-1, 2, -3].map((v) => Math.max(v, c));
      assert.ok(Array.from(p.output(0)).every((v, i) => Object.is(v, want[i])), `${tier} max(x, ${c}): ${Array.from(p.output(0)).join(', ')}`);
      p.dispose();
    }
  }
});

test('groups outside the SIMD loop stay on JavaScript and still agree', () => {
  const r = rng(8);
  const s = new Session({ seed: 8 });
  const x = B.input('x', [4, 6]), row = B.input('row', [6]), col = B.input('col', [4, 1]);
  const feeds = [{ node: x, data: randomData(24, r) }, { node: row, data: randomData(6, r) }, { node: col, data: randomData(4, r) }];
  check({ outputs: [B.add(x, row)], updates: [] }, feeds, s, 0, 'row broadcast');
  // One value per row broadcast along the last axis is not flat either, but the row loop runs it
  // (codegen/wasm/row-match.ts; tests/row-simd.test.ts).
  check({ outputs: [B.multiply(x, col)], updates: [] }, feeds, s, 1, 'column broadcast (a value per row)');
  check({ outputs: [B.erf(x)], updates: [] }, feeds, s, 0, 'erf');
  check({ outputs: [B.transpose(x)], updates: [] }, feeds, s, 0, 'transpose');
  const i = B.input('i', [5], 'int32');
  check({ outputs: [B.add(i, i)], updates: [] }, [{ node: i, data: [1, 2, 3, 4, 5] }], s, 0, 'int32');
});

test('the dump shows the module as text, and equal groups share one module', () => {
  const s = new Session({ seed: 9 });
  const make = () => {
    const x = B.input('x', [10]);
    return compiledProgram({ name: 'dump', inputs: [x], graph: { outputs: [B.maximum(B.multiply(x, 2), 0)], updates: [] } }, s, 'wasm');
  };
  const [a, b] = [make(), make()];
  const source = a.parts.calls[0].source;
  assert.match(source, /^\(module/);
  assert.match(source, /f32x4\.max/);
  assert.match(source, /v128\.store32_lane/); // the tail: 10 = 2 * 4 + 2
  assert.is(b.parts.calls[0].source, source);
  a.dispose();
  b.dispose();
});

test.run();
