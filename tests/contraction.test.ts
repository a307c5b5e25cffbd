import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Pair, Padding2D } from '../src/ir/attrs.js';
import * as b from '../src/ir/build.js';
import { interpret, refContext } from '../src/ir/interpret.js';
import type { Node } from '../src/ir/node.js';
import type { RefTensor } from '../src/ir/ops/rule.js';
import { sizeOf } from '../src/ir/types.js';
import type { ContractionOp, Epilogue } from '../src/codegen/contraction-api.js';
import { emitContraction } from '../src/codegen/contraction.js';
import { instantiate } from '../src/codegen/kernel.js';
import { ident, stmts } from '../src/codegen/template.js';

/** Deterministic data, so a failure reproduces. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 * 2 - 1;
  };
}

const plainStore: Epilogue = (acc, at) => stmts('F[o0 + $flat] = $acc;', { $flat: at.flat, $acc: acc });

interface Run {
  readonly got: Float64Array;
  readonly ref: RefTensor;
  readonly inputs: readonly RefTensor[];
  readonly name: string;
  readonly source: string;
}

/**
 * Compiles the node's contraction with the given epilogue, places output and inputs at odd
 * offsets in one Float32Array memory (so offsets, not zeros, are exercised) and runs it.
 */
function runKernel(node: Node<ContractionOp>, epilogue: Epilogue = plainStore, extra: readonly number[] = []): Run {
  const random = rng(node.id * 7919 + 17);
  const [x, y] = node.inputs;
  const inputs = [x, y].map((n): RefTensor => {
    const shape = n.shape as number[];
    const data = new Float64Array(sizeOf(shape));
    for (let i = 0; i < data.length; i++) data[i] = Math.fround(random());
    return { shape, data };
  });
  const ref = interpret({ outputs: [node], updates: [] }, refContext(new Map([[x, inputs[0]], [y, inputs[1]]]))).outputs[0];
  const outSize = ref.data.length;
  const o0 = 3, o1 = o0 + outSize + 5, o2 = o1 + inputs[0].data.length + 7, o3 = o2 + inputs[1].data.length + 1;
  const F = new Float32Array(o3 + extra.length + 3).fill(NaN);
  F.set(inputs[0].data, o1);
  F.set(inputs[1].data, o2);
  F.set(extra, o3);
  const code = emitContraction({ node, a: ident('o1'), b: ident('o2'), epilogue });
  const kernel = instantiate({ name: code.name, buffers: 4, prelude: code.prelude, body: code.body });
  const mem = new ArrayBuffer(4);
  kernel.run(F, new Int32Array(mem), new Uint8Array(mem), o0, o1, o2, o3);
  // The kernel must touch only its output: the guard cells around it stay NaN.
  assert.ok(Number.isNaN(F[o0 - 1]) && Number.isNaN(F[o0 + outSize]), `${code.name} wrote outside its output`);
  return { got: Float64Array.from(F.subarray(o0, o0 + outSize)), ref, inputs, name: code.name, source: kernel.source };
}

function relError(got: Float64Array, want: Float64Array): number {
  let scale = 0, err = 0;
  for (let i = 0; i < want.length; i++) {
    scale = Math.max(scale, Math.abs(want[i]));
    const e = Math.abs(got[i] - want[i]);
    err = Number.isNaN(e) ? Infinity : Math.max(err, e);
  }
  return err / Math.max(scale, 1e-30);
}

function check(node: Node<ContractionOp>): void {
  const { got, ref, name } = runKernel(node);
  const e = relError(got, ref.data);
  assert.ok(e <= 1e-5, `${name}: relative error ${e}`);
}

// --- matmul -------------------------------------------------------------------------------

const MATMUL_SHAPES: readonly (readonly [number, number, number])[] = [
  [1, 1, 1], [1, 7, 1], [3, 1, 5], [4, 4, 2], [5, 3, 7], [7, 9, 3], [8, 16, 6], [13, 17, 11],
  [33, 65, 31], [130, 300, 9], [97, 401, 515], [6, 1100, 10],
  // Several row, k and column blocks, with odd edges in each.
  [193, 577, 769],
];

for (const ta of [false, true]) for (const tb of [false, true]) {
  test(`matmul transposeA=${ta} transposeB=${tb}, many shapes`, () => {
    for (const [M, K, N] of MATMUL_SHAPES) {
      const a = b.input('a', ta ? [K, M] : [M, K]);
      const w = b.input('b', tb ? [N, K] : [K, N]);
      check(b.matmul(a, w, ta, tb));
    }
  });
  test(`batched matmul transposeA=${ta} transposeB=${tb}`, () => {
    for (const [batch, M, K, N] of [[1, 5, 3, 7], [3, 4, 6, 2], [4, 9, 300, 13], [2, 1, 1, 1]] as const) {
      const a = b.input('a', ta ? [batch, K, M] : [batch, M, K]);
      const w = b.input('b', tb ? [batch, N, K] : [batch, K, N]);
      check(b.matmul(a, w, ta, tb));
    }
  });
}

test('matmul kernel names carry flags and shapes', () => {
  const name = (n: Node<ContractionOp>) => emitContraction({ node: n, a: ident('o1'), b: ident('o2'), epilogue: plainStore }).name;
  assert.is(name(b.matmul(b.input('a', [128, 784]), b.input('b', [784, 512]))), 'matmul_128x784x512');
  assert.is(name(b.matmul(b.input('a', [784, 128]), b.input('b', [784, 512]), true)), 'matmul_tn_128x784x512');
  assert.is(name(b.matmul(b.input('a', [4, 2, 3]), b.input('b', [4, 5, 3]), false, true)), 'matmul_b4_nt_2x3x5');
});

// --- convolutions -------------------------------------------------------------------------

interface ConvCase {
  readonly x: readonly [number, number, number, number];
  readonly k: readonly [number, number];
  readonly f: number;
  readonly s: Pair;
  readonly p: Padding2D;
  readonly d: Pair;
}

/** 'same' padding as Keras computes it: the odd pixel goes at the bottom/right. */
function same(size: number, k: number, s: number, d: number): [number, number] {
  const out = Math.ceil(size / s);
  const total = Math.max((out - 1) * s + d * (k - 1) + 1 - size, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}
function sameCase(x: ConvCase['x'], k: ConvCase['k'], f: number, s: Pair, d: Pair = [1, 1]): ConvCase {
  const [pt, pb] = same(x[1], k[0], s[0], d[0]);
  const [pl, pr] = same(x[2], k[1], s[1], d[1]);
  return { x, k, f, s, p: [pt, pb, pl, pr], d };
}

const CONV_CASES: readonly ConvCase[] = [
  { x: [1, 1, 1, 1], k: [1, 1], f: 1, s: [1, 1], p: [0, 0, 0, 0], d: [1, 1] },
  { x: [1, 5, 5, 1], k: [3, 3], f: 1, s: [1, 1], p: [0, 0, 0, 0], d: [1, 1] },
  { x: [2, 6, 7, 3], k: [1, 1], f: 5, s: [1, 1], p: [0, 0, 0, 0], d: [1, 1] },
  { x: [3, 7, 6, 2], k: [3, 2], f: 3, s: [1, 1], p: [1, 1, 0, 1], d: [1, 1] },
  sameCase([2, 8, 8, 3], [3, 3], 4, [2, 2]),
  sameCase([1, 9, 7, 5], [3, 3], 7, [2, 1]),
  sameCase([2, 10, 9, 2], [3, 3], 3, [1, 1], [2, 2]),
  sameCase([1, 11, 12, 4], [2, 2], 6, [2, 2]),
  sameCase([1, 9, 9, 3], [5, 4], 5, [3, 2], [1, 2]),
  { x: [2, 9, 11, 3], k: [3, 3], f: 2, s: [2, 3], p: [2, 0, 1, 3], d: [2, 1] },
  // Stride phases with no taps at all: 1x1 filters, and dilation a multiple of the stride.
  { x: [2, 7, 8, 3], k: [1, 1], f: 4, s: [2, 2], p: [0, 0, 0, 0], d: [1, 1] },
  sameCase([2, 10, 9, 2], [3, 3], 3, [2, 2], [2, 2]),
  { x: [1, 13, 10, 2], k: [4, 3], f: 3, s: [3, 2], p: [1, 2, 0, 0], d: [2, 3] },
  // Large enough to split K and M into several blocks.
  sameCase([2, 12, 12, 32], [3, 3], 9, [1, 1]),
  sameCase([1, 40, 40, 3], [3, 3], 17, [1, 1]),
  sameCase([4, 14, 14, 16], [5, 5], 20, [2, 2]),
];

const describe = (c: ConvCase) => `x=${c.x} k=${c.k} f=${c.f} s=${c.s} p=${c.p} d=${c.d}`;

test('conv2d: shapes, strides, dilation, padding', () => {
  for (const c of CONV_CASES) {
    const x = b.input('x', c.x), w = b.input('w', [c.k[0], c.k[1], c.x[3], c.f]);
    try {
      check(b.conv2d(x, w, c.s, c.p, c.d));
    } catch (e) { throw new Error(`${describe(c)}: ${(e as Error).message}`); }
  }
});

test('conv2dBackpropInput: shapes, strides, dilation, padding', () => {
  for (const c of CONV_CASES) {
    const x = b.input('x', c.x), w = b.input('w', [c.k[0], c.k[1], c.x[3], c.f]);
    const y = b.conv2d(x, w, c.s, c.p, c.d);
    const dy = b.input('dy', y.shape);
    try {
      check(b.conv2dBackpropInput(dy, w, [c.x[1], c.x[2]], c.s, c.p, c.d));
    } catch (e) { throw new Error(`${describe(c)}: ${(e as Error).message}`); }
  }
});

test('conv2dBackpropFilter: shapes, strides, dilation, padding', () => {
  for (const c of CONV_CASES) {
    const x = b.input('x', c.x), w = b.input('w', [c.k[0], c.k[1], c.x[3], c.f]);
    const y = b.conv2d(x, w, c.s, c.p, c.d);
    const dy = b.input('dy', y.shape);
    try {
      check(b.conv2dBackpropFilter(x, dy, c.k, c.s, c.p, c.d));
    } catch (e) { throw new Error(`${describe(c)}: ${(e as Error).message}`); }
  }
});

// --- epilogues see the right coordinates ---------------------------------------------------

/** relu(acc + bias[last coordinate]), bias read from the fourth buffer (o3). */
function biasRelu(lastAxis: number): Epilogue {
  return (acc, at) => stmts('F[o0 + $flat] = Math.max(0, $acc + F[o3 + $j]);', { $flat: at.flat, $acc: acc, $j: at.coord(lastAxis) });
}

test('epilogue: bias + relu over the last axis (matmul, batched matmul, conv2d)', () => {
  const cases: { node: Node<ContractionOp>; last: number }[] = [
    { node: b.matmul(b.input('a', [13, 9]), b.input('b', [9, 7])), last: 1 },
    { node: b.matmul(b.input('a', [3, 9, 5]), b.input('b', [3, 7, 9]), true, true), last: 2 },
    { node: b.conv2d(b.input('x', [2, 7, 6, 3]), b.input('w', [3, 3, 3, 5]), [2, 1], [1, 1, 0, 1]), last: 3 },
    { node: b.conv2dBackpropFilter(b.input('x', [2, 6, 6, 3]), b.input('dy', [2, 4, 4, 5]), [3, 3], [1, 1], [0, 0, 0, 0]), last: 3 },
  ];
  for (const { node, last } of cases) {
    const channels = node.shape[last]!;
    const bias = Array.from({ length: channels }, (_, i) => Math.fround((i - channels / 2) * 0.37));
    const { got, ref, name } = runKernel(node, biasRelu(last), bias);
    const want = ref.data.map((v, i) => Math.max(0, v + bias[i % channels]));
    const e = relError(got, want);
    assert.ok(e <= 1e-5, `${name}: relative error ${e}`);
  }
});

/** Writes the coordinates as base-8 digits, to check every coordinate of every element. */
function coordinateSignature(rank: number): Epilogue {
  return (_acc, at) => {
    let sig = stmts('let s = 0;');
    for (let axis = 0; axis < rank; axis++) sig = [...sig, ...stmts('s = s * 8 + $c;', { $c: at.coord(axis) })];
    return [...sig, ...stmts('F[o0 + $flat] = s;', { $flat: at.flat })];
  };
}

test('epilogue: coord(0..rank) of every output element, all ops', () => {
  const x = b.input('x', [2, 5, 7, 3]);
  const nodes: Node<ContractionOp>[] = [
    b.conv2d(x, b.input('w', [3, 2, 3, 5]), [2, 1], [1, 1, 0, 1]),
    b.conv2dBackpropInput(b.input('dy', [2, 3, 7, 5]), b.input('w', [3, 2, 3, 5]), [5, 7], [2, 1], [1, 1, 0, 1]),
    b.conv2dBackpropFilter(x, b.input('dy', [2, 3, 7, 5]), [3, 2], [2, 1], [1, 1, 0, 1]),
    b.matmul(b.input('a', [3, 5, 2]), b.input('b', [3, 2, 7])),
    b.matmul(b.input('a', [9, 5]), b.input('b', [3, 9]), true, true),
  ];
  for (const node of nodes) {
    const shape = node.shape as number[];
    const { got, name } = runKernel(node, coordinateSignature(shape.length));
    const index = new Array<number>(shape.length).fill(0);
    for (let flat = 0; flat < got.length; flat++) {
      // Every coordinate is below 8, so the signature is exact in float32.
      const want = index.reduce((s, c) => s * 8 + c, 0);
      assert.is(got[flat], want, `${name}: element ${flat} at [${index}]`);
      for (let d = shape.length - 1; d >= 0; d--) { if (++index[d] < shape[d]) break; index[d] = 0; }
    }
  }
});

test('epilogue runs exactly once per output element (k blocks, row blocks, stride phases)', () => {
  // Memory starts at 7; the first store of an element makes it 1, a second one -1, none leaves 7.
  const once: Epilogue = (_acc, at) => stmts('F[o0 + $flat] = F[o0 + $flat] === 7 ? 1 : -1;', { $flat: at.flat });
  const nodes: Node<ContractionOp>[] = [
    b.matmul(b.input('a', [193, 577]), b.input('b', [577, 769])),
    b.matmul(b.input('a', [2, 9, 5]), b.input('b', [2, 7, 9]), true, true),
    b.conv2dBackpropInput(b.input('dy', [2, 4, 4, 5]), b.input('w', [3, 3, 3, 5]), [8, 8], [2, 2], [0, 1, 0, 1]),
    b.conv2dBackpropInput(b.input('dy', [2, 4, 5, 3]), b.input('w', [1, 1, 2, 3]), [7, 9], [2, 2], [0, 0, 0, 0]),
    b.conv2dBackpropFilter(b.input('x', [2, 20, 20, 32]), b.input('dy', [2, 20, 20, 3]), [3, 3], [1, 1], [1, 1, 1, 1]),
  ];
  for (const node of nodes) {
    const code = emitContraction({ node, a: ident('o1'), b: ident('o2'), epilogue: once });
    const kernel = instantiate({ name: code.name, buffers: 3, prelude: code.prelude, body: code.body });
    const size = sizeOf(node.shape as number[]);
    const inputs = node.inputs.reduce((n, x) => n + sizeOf(x.shape as number[]), 0);
    const F = new Float32Array(size + inputs).fill(7);
    const mem = new ArrayBuffer(4);
    kernel.run(F, new Int32Array(mem), new Uint8Array(mem), 0, size, size + sizeOf(node.inputs[0].shape as number[]));
    assert.ok(F.subarray(0, size).every((v) => v === 1), `${code.name}: some element was stored twice or never`);
  }
});

test('generated kernels keep scratch in the closure and build no strings from names', () => {
  const node = b.matmul(b.input('a', [130, 300]), b.input('b', [300, 9]));
  const { source } = runKernel(node);
  assert.match(source, /new Float64Array/);
  const bodyStart = source.indexOf('function matmul_');
  assert.ok(bodyStart > 0 && !source.slice(bodyStart).includes('new Float64Array'), 'packed panels must be allocated once, outside the kernel');
});

test.run();
