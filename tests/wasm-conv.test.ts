import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileWasmConv } from '../src/codegen/wasm/conv-kernel.js';
import { chunking, planConv } from '../src/codegen/wasm/conv-plan.js';
import { WebAssemblyApi as WA, pagesFor } from '../src/codegen/wasm/engine.js';
import { wasmFeatures } from '../src/codegen/wasm/features.js';
import type { Padding2D, Pair } from '../src/ir/attrs.js';
import * as B from '../src/ir/build.js';
import { interpret, refContext } from '../src/ir/interpret.js';
import type { Node } from '../src/ir/node.js';
import type { RefTensor } from '../src/ir/ops/rule.js';
import { compiledProgram } from '../src/runtime/compiled.js';
import { Session } from '../src/runtime/session.js';
import { compareCompiled, makeVariable, randomData, relError } from './support/compiled.js';
import { rng } from './support/gradcheck.js';

const simd = wasmFeatures().simd;
const size = (shape: readonly number[]) => shape.reduce((p, q) => p * q, 1);

interface Case {
  readonly what: string;
  readonly x: [number, number, number, number];
  readonly filter: Pair;
  readonly F: number;
  readonly strides: Pair;
  readonly padding: Padding2D;
  readonly dilation: Pair;
}

const conv = (what: string, x: Case['x'], filter: Pair, F: number, strides: Pair = [1, 1], padding: Padding2D = [0, 0, 0, 0], dilation: Pair = [1, 1]): Case =>
  ({ what, x, filter, F, strides, padding, dilation });

const CASES: readonly Case[] = [
  conv('stride 1, odd sizes, channels not multiples of 4', [2, 7, 9, 3], [3, 3], 5),
  conv('stride 2, asymmetric padding', [2, 9, 8, 6], [3, 3], 7, [2, 2], [0, 1, 1, 0]),
  conv('stride 3, different strides per axis', [1, 11, 10, 5], [3, 2], 6, [3, 2], [1, 1, 0, 2]),
  conv('dilation 2 with padding', [2, 9, 9, 4], [3, 3], 9, [1, 1], [2, 1, 0, 2], [2, 2]),
  conv('1x1 filter, stride 2 (phases no tap reaches)', [2, 7, 6, 10], [1, 1], 3, [2, 2]),
  conv('1x1 filter, stride 1 (the image is the patch matrix)', [2, 5, 6, 7], [1, 1], 6),
  conv('batch 1, one channel in and out', [1, 6, 5, 1], [2, 2], 1),
  conv('several chunks of patches', [4, 22, 22, 17], [3, 3], 13, [1, 1], [1, 1, 1, 1]),
];

function graphFor(c: Case, op: 'conv2d' | 'conv2dBackpropInput' | 'conv2dBackpropFilter', s: Session, r: () => number) {
  const [KH, KW] = c.filter;
  const C = c.x[3];
  const probe = B.conv2d(B.input('probe', c.x), B.input('probe_w', [KH, KW, C, c.F]), c.strides, c.padding, c.dilation);
  const yShape = probe.shape as number[];
  if (op === 'conv2d') {
    const x = B.input('x', c.x);
    const w = makeVariable(s, 'w', [KH, KW, C, c.F], r);
    return { inputs: [x], node: B.conv2d(x, w.node, c.strides, c.padding, c.dilation), last: c.F };
  }
  if (op === 'conv2dBackpropInput') {
    const dy = B.input('dy', yShape);
    const w = makeVariable(s, 'w', [KH, KW, C, c.F], r);
    return { inputs: [dy], node: B.conv2dBackpropInput(dy, w.node, [c.x[1], c.x[2]], c.strides, c.padding, c.dilation), last: C };
  }
  const x = B.input('x', c.x), dy = B.input('dy', yShape);
  return { inputs: [x, dy], node: B.conv2dBackpropFilter(x, dy, c.filter, c.strides, c.padding, c.dilation), last: c.F };
}

const OPS = ['conv2d', 'conv2dBackpropInput', 'conv2dBackpropFilter'] as const;
/** 'mask' is the relu gradient's select (the SIMD elementwise path); 'tanh' (of the bias) takes the JS pass. */
type Epilogue = 'none' | 'bias+relu' | 'tanh' | 'mask';

function check(c: Case, op: (typeof OPS)[number], epilogue: Epilogue, seed: number): void {
  const r = rng(seed);
  const s = new Session({ seed });
  const { inputs, node, last } = graphFor(c, op, s, r);
  const bias = makeVariable(s, 'bias', [last], r);
  const mask = B.input('mask', node.shape);
  const out = epilogue === 'none' ? node
    : epilogue === 'bias+relu' ? B.maximum(B.add(node, bias.node), 0)
    : epilogue === 'mask' ? B.where(B.greaterEqual(mask, 0), node, 0)
    // Linear in the product: a squashing epilogue would shrink the reference's scale and turn
    // float32 rounding of a long sum into a large relative error.
    : B.subtract(B.multiply(node, 0.5), B.tanh(bias.node));
  const feeds = [...inputs, ...(epilogue === 'mask' ? [mask] : [])].map((n) => ({ node: n, data: randomData(size(n.shape as number[]), r) }));
  const cmp = compareCompiled({ outputs: [out], updates: [] }, feeds, s, undefined, 'wasm');
  assert.ok(cmp.maxRelError <= 1e-5, `${op} ${c.what} (${epilogue}): max rel error ${cmp.maxRelError} at ${cmp.worst}`);
  assert.is(cmp.kernels, 1, `${op} ${c.what} (${epilogue}) fuses into one kernel`);
}

test('every convolution on the wasm tier matches the float64 interpreter', () => {
  if (!simd) return;
  let seed = 1;
  for (const c of CASES) for (const op of OPS) for (const e of ['none', 'bias+relu', 'tanh', 'mask'] as const) check(c, op, e, seed++);
});

test('the kernels are WebAssembly, with the native epilogue where rows land in order', () => {
  if (!simd) return;
  const s = new Session({ seed: 3 });
  const r = rng(3);
  const x = B.input('x', [2, 8, 8, 3]);
  const w = makeVariable(s, 'w', [3, 3, 3, 4], r), bias = makeVariable(s, 'bias', [4], r);
  const y = B.maximum(B.add(B.conv2d(x, w.node, [1, 1], [1, 1, 1, 1]), bias.node), 0);
  const p = compiledProgram({ name: 'p', inputs: [x], graph: { outputs: [y], updates: [] } }, s, 'wasm');
  assert.match(p.parts.calls[0].name, /^conv2d_2x8x8x3_3x3x4_p1x1x1x1_\dx\d+_bias_relu$/);
  assert.match(p.parts.calls[0].source, /\(module/);
  assert.not.match(p.parts.calls[0].source, /function/);
  p.dispose();
  // The relu gradient's mask runs as a SIMD elementwise pass over the raw product, not in JS.
  const mask = B.input('mask', [2, 8, 8, 3]);
  const dy = B.input('dy', [2, 8, 8, 4]);
  const dx = B.where(B.greater(mask, 0), B.conv2dBackpropInput(dy, w.node, [8, 8], [1, 1], [1, 1, 1, 1]), 0);
  const q = compiledProgram({ name: 'q', inputs: [mask, dy], graph: { outputs: [dx], updates: [] } }, s, 'wasm');
  assert.match(q.parts.calls[0].name, /_simd$/);
  assert.not.match(q.parts.calls[0].source, /function/);
  q.dispose();
});

test('an in-place SGD update fused into the filter gradient reads the old filter', () => {
  if (!simd) return;
  const r = rng(4);
  const s = new Session({ seed: 4 });
  const x = B.input('x', [3, 9, 9, 5]);
  const w = makeVariable(s, 'w', [3, 3, 5, 6], r);
  const y = B.conv2d(x, w.node, [2, 2], [1, 0, 1, 0]);
  const dy = B.input('dy', y.shape);
  const dw = B.conv2dBackpropFilter(x, dy, [3, 3], [2, 2], [1, 0, 1, 0]);
  const updates = [{ variable: w.node, value: B.subtract(w.node, B.multiply(dw, 0.1)) }];
  const feeds = [x, dy].map((n) => ({ node: n, data: randomData(size(n.shape as number[]), r) }));
  const cmp = compareCompiled({ outputs: [], updates }, feeds, s, undefined, 'wasm');
  assert.ok(cmp.maxRelError <= 1e-5, `max rel error ${cmp.maxRelError} at ${cmp.worst}`);
});

test('a convolution of few taps and its filter gradient read the image in place, a matmul per output row, on one thread and on the pool', () => {
  if (!simd) return;
  const geometries: readonly [Case['x'], Pair, number][] = [[[96, 28, 28, 1], [3, 3], 32], [[3, 13, 11, 2], [3, 3], 8], [[2, 10, 12, 3], [3, 3], 6], [[2, 9, 9, 1], [2, 3], 5], [[1, 6, 7, 2], [1, 4], 1]];
  let seed = 40;
  for (const sharedMemory of [true, false]) {
    for (const [xShape, filter, F] of geometries) {
      for (const epilogue of ['none', 'bias+relu'] as const) {
        const r = rng(seed++);
        const s = new Session({ seed, sharedMemory });
        const x = B.input('x', xShape);
        const w = makeVariable(s, 'w', [...filter, xShape[3], F], r), bias = makeVariable(s, 'bias', [F], r);
        const y = B.conv2d(x, w.node, [1, 1], [0, 0, 0, 0]);
        const out = epilogue === 'none' ? y : B.maximum(B.add(y, bias.node), 0);
        const dy = B.input('dy', y.shape);
        const dw = B.conv2dBackpropFilter(x, dy, filter, [1, 1], [0, 0, 0, 0]);
        const feeds = [x, dy].map((n) => ({ node: n, data: randomData(size(n.shape as number[]), r) }));
        const cmp = compareCompiled({ outputs: [out, dw], updates: [] }, feeds, s, undefined, 'wasm');
        const what = `${JSON.stringify(xShape)} ${filter.join('x')}x${F} ${epilogue}, shared=${sharedMemory}`;
        assert.is(cmp.kernels, 2, what);
        assert.ok(cmp.names.every((n) => n.includes('_taps_')), `${what}: ${cmp.names.join(', ')}`);
        assert.ok(cmp.maxRelError <= 1e-5, `${what}: max rel error ${cmp.maxRelError} at ${cmp.worst}`);
      }
    }
  }
});

/** Runs one op with explicit chunk sizes, so every chunk, tail and scatter path is exercised. */
test('small chunks and tails agree with the interpreter', () => {
  if (!simd) return;
  const r = rng(5);
  const x = B.input('x', [3, 10, 11, 6]), w = B.input('w', [3, 3, 6, 5]);
  const y = B.conv2d(x, w, [2, 1], [1, 2, 0, 1], [1, 2]);
  const dy = B.input('dy', y.shape);
  const nodes = [y, B.conv2dBackpropInput(dy, w, [10, 11], [2, 1], [1, 2, 0, 1], [1, 2]), B.conv2dBackpropFilter(x, dy, [3, 3], [2, 1], [1, 2, 0, 1], [1, 2])];
  for (const node of nodes) {
    for (const chunkBytes of [1, 2000, 1 << 20]) {
      const kernel = compileWasmConv(node, { chunkBytes });
      const values = new Map<Node, RefTensor>();
      const [a, b] = node.inputs;
      for (const n of [a, b]) values.set(n, { shape: n.shape as number[], data: Float64Array.from(randomData(size(n.shape as number[]), r)) });
      const want = interpret({ outputs: [node], updates: [] }, refContext(values)).outputs[0].data;
      const [o, sa, sb] = [size(node.shape as number[]), size(a.shape as number[]), size(b.shape as number[])];
      const scratch = Math.ceil((o + sa + sb) / 16) * 16 * 4;
      const memory = new WA.Memory({ initial: pagesFor(scratch + kernel.scratchBytes) });
      const F = new Float32Array(memory.buffer);
      F.fill(Number.NaN, 0, o);
      F.set(values.get(a)!.data, o);
      F.set(values.get(b)!.data, o + sa);
      kernel.instantiate(memory, scratch)(0, o * 4, (o + sa) * 4);
      const err = relError(F.subarray(0, o), want);
      assert.ok(err <= 1e-5, `${kernel.name} with ${chunkBytes}-byte chunks: max rel error ${err}`);
    }
  }
});

test('chunking cuts near-equal chunks of whole units with no sliver', () => {
  assert.equal(chunking(100, 4, 1 << 20, 12), { rows: 100, chunks: 1, last: 100 });
  const c = chunking(1000, 400, 40000, 12);
  assert.ok(c.rows % 12 === 0 && c.rows * 400 <= 40000 + 12 * 400);
  assert.is((c.chunks - 1) * c.rows + c.last, 1000);
  assert.ok(c.last > 0 && c.last <= c.rows);
  assert.equal(chunking(30, 4, 1, 12), { rows: 12, chunks: 3, last: 6 });
});

test('plans: strided input gradients scatter, a phase without taps zeroes first', () => {
  const dy = B.input('dy', [2, 4, 3, 3]), w = B.input('w', [1, 1, 5, 3]);
  const strided = planConv(B.conv2dBackpropInput(dy, w, [7, 6], [2, 2], [0, 0, 0, 0]));
  assert.is(strided.gemms.length, 1);
  assert.ok(strided.zeroFirst && !strided.rowsInOrder && strided.gemms[0].scatter !== undefined);
  const plain = planConv(B.conv2dBackpropInput(B.input('dy1', [2, 5, 4, 3]), B.input('w1', [3, 3, 5, 3]), [7, 6], [1, 1], [0, 0, 0, 0]));
  assert.ok(plain.rowsInOrder && !plain.zeroFirst && plain.gemms[0].scatter === undefined);
});

test.run();
