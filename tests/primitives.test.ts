/**
 * Every primitive of the op table, compiled and run against the float64 reference interpreter on
 * random inputs of several shapes: broadcasting, edge sizes, strides, dilation, padding, movement
 * ops inline and as outputs, indexing, random numbers, casts and integer arithmetic.
 *
 * Coverage is counted on the *simplified* graph (what the compiler actually sees), so a case whose
 * op is folded away does not count; the last test fails for any op of OPS without a compiled case.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { OpName, Pair, Padding2D } from '../src/ir/attrs.js';
import * as B from '../src/ir/build.js';
import { scan } from '../src/ir/scan.js';
import { dumpGraph } from '../src/ir/dump.js';
import type { Graph, Update } from '../src/ir/graph.js';
import { graphRoots, topoOrder } from '../src/ir/graph.js';
import { interpret, refContext } from '../src/ir/interpret.js';
import type { Node } from '../src/ir/node.js';
import { IndexRangeError } from '../src/ir/ops/indexing.js';
import type { RefTensor } from '../src/ir/ops/rule.js';
import { OPS } from '../src/ir/optable.js';
import { simplify } from '../src/ir/simplify.js';
import { sizeOf, type DType } from '../src/ir/types.js';
import { compiledProgram } from '../src/runtime/compiled.js';
import { Session } from '../src/runtime/session.js';
import { compareCompiled, makeVariable, relError, type Feed } from './support/compiled.js';
import { rng, type Rng } from './support/gradcheck.js';

const TOL = 1e-5;
const session = new Session({ seed: 7 });
const r = rng(20240601);
const covered = new Map<OpName, number>();
let cases = 0;

type Gen = (n: number) => number[];
const uniform = (lo = -1, hi = 1): Gen => (n) => Array.from({ length: n }, () => lo + (hi - lo) * r());
const positive: Gen = uniform(0.25, 2);
const awayFromZero: Gen = (n) => Array.from({ length: n }, () => (r() < 0.5 ? -1 : 1) * (0.25 + 1.5 * r()));
const ints = (lo: number, hi: number): Gen => (n) => Array.from({ length: n }, () => lo + Math.floor(r() * (hi - lo)));
const bools: Gen = (n) => Array.from({ length: n }, () => (r() < 0.5 ? 1 : 0));
/** Small integers stored as floats: comparisons and maximum meet ties and equal values. */
const grid: Gen = (n) => Array.from({ length: n }, () => Math.floor(r() * 5) - 2);
/** Distinct values, so a pooling window has one maximum. */
const distinct: Gen = (n) => {
  const perm = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [perm[i], perm[j]] = [perm[j], perm[i]];
  }
  return perm.map((p) => (p - n / 2) * 0.05);
};

interface Fed { node: Node<'input'>; data: number[] }
/** A fresh input with random data of the given generator (float32 unless said otherwise). */
function fed(list: Fed[], label: string, shape: readonly number[], gen: Gen = uniform(), dtype: DType = 'float32'): Node<'input'> {
  const node = B.input(label, shape, dtype);
  list.push({ node, data: gen(sizeOf(shape)).map((v) => (dtype === 'float32' ? Math.fround(v) : v)) });
  return node;
}

const fmt = (s: readonly (number | null)[]) => `[${s.join(',')}]`;

/**
 * Compiles the graph and compares it with the interpreter; returns a failure message or null.
 * Counts the ops of the simplified graph as covered.
 */
function check(name: string, outputs: readonly Node[], feeds: readonly Fed[], updates: readonly Update[] = [],
  seed?: { node: Node<'input'>; value: number }, tol = TOL): string | null {
  const graph: Graph = { outputs, updates };
  cases++;
  try {
    const simplified = simplify(graph);
    for (const n of topoOrder(graphRoots(simplified))) covered.set(n.op, (covered.get(n.op) ?? 0) + 1);
    const c = compareCompiled(graph, feeds.map((f): Feed => ({ node: f.node, data: f.data })), session, seed);
    if (!(c.maxRelError <= tol)) return `${name}: max rel error ${c.maxRelError} at ${c.worst}\n${dumpGraph(graph)}`;
    return null;
  } catch (e) {
    return `${name}: threw ${e instanceof Error ? e.stack ?? e.message : String(e)}\n${dumpGraph(graph)}`;
  }
}

class Failures {
  readonly list: string[] = [];
  add(msg: string | null): void {
    if (msg !== null) this.list.push(msg);
  }
  assert(): void {
    assert.ok(this.list.length === 0, `${this.list.length} case(s) failed:\n${this.list.join('\n\n')}`);
  }
}

const SHAPES: readonly (readonly number[])[] = [[], [1], [7], [13, 17], [2, 3, 5], [4, 1, 6]];
const BROADCAST_PAIRS: readonly (readonly [readonly number[], readonly number[]])[] = [
  [[3, 1, 5], [4, 5]], [[7], [7]], [[1], [13]], [[2, 1], [1, 3]], [[], [3, 4]], [[5, 1, 1], [1, 3, 1]], [[13, 17], [17]],
  [[2, 3, 1, 5], [3, 4, 1]],
];

test('unary elementwise ops on several shapes, as outputs and fused inline', () => {
  const f = new Failures();
  const unary: [string, (x: Node) => Node, Gen][] = [
    ['negative', B.negative, uniform()], ['exp', B.exp, uniform(-3, 3)], ['log', B.log, positive],
    ['sqrt', B.sqrt, positive], ['tanh', B.tanh, uniform(-3, 3)], ['abs', B.abs, uniform()],
    ['sign', B.sign, (n) => uniform()(n).map((v, i) => (i % 5 === 0 ? 0 : v))], ['erf', B.erf, uniform(-3, 3)],
    // Far into both tails too: the kernels' unbranched form must saturate to 0 and 1, not overflow to NaN.
    ['sigmoid', B.sigmoid, (n) => uniform(-8, 8)(n).map((v, i) => (i % 7 === 0 ? v * 40 : v))],
  ];
  for (const [name, op, gen] of unary) {
    for (const shape of SHAPES) {
      const feeds: Fed[] = [];
      const x = fed(feeds, 'x', shape, gen);
      f.add(check(`${name} ${fmt(shape)} as output`, [op(x)], feeds));
      const feeds2: Fed[] = [];
      const x2 = fed(feeds2, 'x', shape, gen), y2 = fed(feeds2, 'y', shape);
      f.add(check(`${name} ${fmt(shape)} inline`, [B.add(B.multiply(op(x2), y2), 0.5)], feeds2));
    }
  }
  f.assert();
});

test('binary float ops with broadcasting', () => {
  const f = new Failures();
  const binary: [string, (a: Node, b: Node) => Node, Gen, Gen][] = [
    ['add', B.add, uniform(), uniform()], ['subtract', B.subtract, uniform(), uniform()],
    ['multiply', B.multiply, uniform(), uniform()], ['divide', B.divide, uniform(), awayFromZero],
    ['power', B.power, positive, uniform(0.25, 2)], ['maximum', B.maximum, grid, grid], ['minimum', B.minimum, grid, grid],
  ];
  for (const [name, op, ga, gb] of binary) {
    for (const [sa, sb] of BROADCAST_PAIRS) {
      const feeds: Fed[] = [];
      const a = fed(feeds, 'a', sa, ga), b = fed(feeds, 'b', sb, gb);
      f.add(check(`${name} ${fmt(sa)} with ${fmt(sb)}`, [op(a, b)], feeds));
      f.add(check(`${name} ${fmt(sb)} with ${fmt(sa)} (swapped)`, [op(b, a)], feeds));
      // fused: the op between other elementwise ops, and with a scalar constant
      f.add(check(`${name} ${fmt(sa)} with ${fmt(sb)} inline`, [B.tanh(op(B.abs(a), b))], feeds));
    }
    const feeds: Fed[] = [];
    const a = fed(feeds, 'a', [5, 3], ga);
    if (name === 'power') {
      const e = fed(feeds, 'e', [5, 3], uniform(-2.5, 0));
      f.add(check('power with negative exponents', [op(a, e)], feeds));
    }
    f.add(check(`${name} with a scalar constant`, [op(a, B.scalar(1.5)), op(B.scalar(0.75), a)], feeds));
  }
  f.assert();
});

test('int32 arithmetic: add, subtract, multiply, maximum, minimum, negative, abs, sign, sum, max', () => {
  const f = new Failures();
  const ops: [string, (a: Node, b: Node) => Node][] = [
    ['add', B.add], ['subtract', B.subtract], ['multiply', B.multiply], ['maximum', B.maximum], ['minimum', B.minimum],
  ];
  for (const [name, op] of ops) {
    for (const [sa, sb] of BROADCAST_PAIRS.slice(0, 5)) {
      const feeds: Fed[] = [];
      const a = fed(feeds, 'a', sa, ints(-100, 100), 'int32'), b = fed(feeds, 'b', sb, ints(-100, 100), 'int32');
      f.add(check(`int32 ${name} ${fmt(sa)} with ${fmt(sb)}`, [op(a, b)], feeds));
      f.add(check(`int32 ${name} inline with an int constant`, [op(B.add(a, B.scalar(3, 'int32')), b)], feeds));
    }
  }
  for (const [name, op] of [['negative', B.negative], ['abs', B.abs], ['sign', B.sign]] as const) {
    const feeds: Fed[] = [];
    const a = fed(feeds, 'a', [4, 7], ints(-5, 5), 'int32');
    f.add(check(`int32 ${name}`, [op(a)], feeds));
  }
  {
    // wrap-around: int32 addition overflows as Int32Array stores do
    const feeds: Fed[] = [];
    const a = fed(feeds, 'a', [6], () => [0x7fffffff, 0x40000000, -0x80000000, 5, -7, 0x7ffffff0], 'int32');
    const b = fed(feeds, 'b', [6], () => [1, 0x40000000, -1, -5, 7, 0x20], 'int32');
    f.add(check('int32 add wraps on overflow', [B.add(a, b)], feeds));
    f.add(check('int32 subtract wraps on overflow', [B.subtract(b, a)], feeds));
  }
  for (const axes of [[0], [1], [0, 1]]) {
    const feeds: Fed[] = [];
    const a = fed(feeds, 'a', [5, 9], ints(-50, 50), 'int32');
    f.add(check(`int32 sum over [${axes}]`, [B.sum(a, axes)], feeds));
    f.add(check(`int32 max over [${axes}]`, [B.max(a, axes, true)], feeds));
  }
  f.assert();
});

test('comparisons and where: bool outputs, broadcasting, float and int32 operands', () => {
  const f = new Failures();
  const cmps: [string, (a: B.Operand, b: B.Operand) => Node][] = [
    ['less', B.less], ['lessEqual', B.lessEqual], ['greater', B.greater], ['greaterEqual', B.greaterEqual],
    ['equal', B.equal], ['notEqual', B.notEqual],
  ];
  for (const [name, op] of cmps) {
    for (const [sa, sb] of BROADCAST_PAIRS.slice(0, 6)) {
      const feeds: Fed[] = [];
      const a = fed(feeds, 'a', sa, grid), b = fed(feeds, 'b', sb, grid);
      f.add(check(`${name} ${fmt(sa)} with ${fmt(sb)} (bool output)`, [op(a, b)], feeds));
      f.add(check(`${name} ${fmt(sa)} with ${fmt(sb)} inline in where`, [B.where(op(a, b), a, b)], feeds));
    }
    const feeds: Fed[] = [];
    const a = fed(feeds, 'a', [3, 7], ints(-2, 3), 'int32'), b = fed(feeds, 'b', [7], ints(-2, 3), 'int32');
    f.add(check(`${name} int32 (bool output)`, [op(a, b)], feeds));
    f.add(check(`${name} with a scalar`, [op(B.cast(a, 'float32'), 0)], feeds));
  }
  {
    // where with all three operands broadcast, a fed bool condition, int32 and bool branches
    const feeds: Fed[] = [];
    const c = fed(feeds, 'c', [3, 1, 5], bools, 'bool');
    const x = fed(feeds, 'x', [4, 5]), y = fed(feeds, 'y', [3, 4, 1]);
    f.add(check('where bool[3,1,5] f32[4,5] f32[3,4,1]', [B.where(c, x, y)], feeds));
    f.add(check('where with scalar branches', [B.where(c, 1, -2)], feeds));
    const i = fed(feeds, 'i', [5], ints(-9, 9), 'int32'), j = fed(feeds, 'j', [4, 5], ints(-9, 9), 'int32');
    f.add(check('where int32 branches', [B.where(c, i, j)], feeds));
    const p = fed(feeds, 'p', [4, 5], bools, 'bool'), q = fed(feeds, 'q', [5], bools, 'bool');
    f.add(check('where bool branches (bool output)', [B.where(c, p, q)], feeds));
    f.add(check('comparison of a bool-selected value', [B.greater(B.where(c, x, y), 0)], feeds));
  }
  f.assert();
});

test('cast between all dtypes, as outputs and inline', () => {
  const f = new Failures();
  const dtypes: DType[] = ['float32', 'int32', 'bool'];
  const genFor: Record<DType, Gen> = {
    // non-integers of both signs (truncation toward zero), exact zeros (bool false), integers
    float32: (n) => uniform(-4, 4)(n).map((v, i) => (i % 7 === 0 ? 0 : i % 7 === 1 ? Math.round(v) : v)),
    int32: (n) => ints(-3, 4)(n),
    bool: bools,
  };
  for (const from of dtypes) {
    for (const to of dtypes) {
      if (from === to) continue;
      for (const shape of [[1], [5, 7], [2, 3, 4]]) {
        const feeds: Fed[] = [];
        const x = fed(feeds, 'x', shape, genFor[from], from);
        f.add(check(`cast ${from} -> ${to} ${fmt(shape)}`, [B.cast(x, to)], feeds));
      }
      const feeds: Fed[] = [];
      const x = fed(feeds, 'x', [3, 5], genFor[from], from);
      const inner = B.cast(x, to);
      const consumer = to === 'bool' ? B.where(inner, 2, -1) : B.cast(B.multiply(inner, inner), 'float32');
      f.add(check(`cast ${from} -> ${to} inline`, [consumer], feeds));
    }
  }
  f.assert();
});

test('sum and max over several axis sets, with and without keepDims, fused with producers and consumers', () => {
  const f = new Failures();
  const shapes: number[][] = [[3, 4, 5], [13, 17], [1, 7], [7], [2, 1, 3, 5]];
  for (const shape of shapes) {
    const rank = shape.length;
    const axisSets: number[][] = [];
    for (let mask = 1; mask < 1 << rank; mask++) axisSets.push([...Array(rank).keys()].filter((i) => mask & (1 << i)));
    for (const axes of axisSets) {
      for (const keepDims of [false, true]) {
        for (const [name, op] of [['sum', B.sum], ['max', B.max]] as const) {
          const feeds: Fed[] = [];
          const x = fed(feeds, 'x', shape);
          f.add(check(`${name} ${fmt(shape)} axes [${axes}] keepDims=${keepDims}`, [op(x, axes, keepDims)], feeds));
          if (keepDims) {
            // producer, reduction, then broadcast back (softmax-like)
            const y = B.exp(B.subtract(x, op(B.multiply(x, 2), axes, true)));
            f.add(check(`${name} ${fmt(shape)} axes [${axes}] with producer and broadcast consumer`, [y], feeds));
          } else {
            f.add(check(`${name} ${fmt(shape)} axes [${axes}] with producer and consumer`, [B.sqrt(B.add(B.abs(op(B.tanh(x), axes)), 1))], feeds));
          }
        }
      }
    }
  }
  {
    // a reduction of a broadcast expression, and negative values only (max init must be -inf)
    const feeds: Fed[] = [];
    const a = fed(feeds, 'a', [3, 1, 5], uniform(-5, -1)), b = fed(feeds, 'b', [4, 5], uniform(-5, -1));
    f.add(check('max of broadcast negatives over [0,2]', [B.max(B.add(a, b), [0, 2])], feeds));
    f.add(check('sum of broadcast product over [1]', [B.sum(B.multiply(a, b), [1], true)], feeds));
  }
  f.assert();
});

test('matmul: edge sizes, transposes, batched, with epilogues', () => {
  const f = new Failures();
  const sizes: [number, number, number][] = [[1, 1, 1], [5, 7, 3], [13, 17, 9], [1, 9, 1], [4, 1, 6], [2, 3, 33], [33, 65, 31], [8, 16, 4]];
  for (const [m, k, n] of sizes) {
    for (const ta of [false, true]) {
      for (const tb of [false, true]) {
        const feeds: Fed[] = [];
        const a = fed(feeds, 'a', ta ? [k, m] : [m, k]), b = fed(feeds, 'b', tb ? [n, k] : [k, n]);
        f.add(check(`matmul ${m}x${k}x${n} tA=${ta} tB=${tb}`, [B.matmul(a, b, ta, tb)], feeds));
      }
    }
    const feeds: Fed[] = [];
    const a = fed(feeds, 'a', [m, k]), b = fed(feeds, 'b', [k, n]), bias = fed(feeds, 'bias', [n]);
    f.add(check(`matmul ${m}x${k}x${n} + bias + relu`, [B.maximum(B.add(B.matmul(a, b), bias), 0)], feeds));
    f.add(check(`matmul ${m}x${k}x${n} of fused elementwise inputs`, [B.matmul(B.tanh(a), B.multiply(b, 2))], feeds));
  }
  for (const [bt, m, k, n] of [[2, 5, 7, 3], [3, 13, 17, 9], [1, 1, 1, 1], [4, 2, 9, 6]] as const) {
    for (const ta of [false, true]) {
      for (const tb of [false, true]) {
        const feeds: Fed[] = [];
        const a = fed(feeds, 'a', ta ? [bt, k, m] : [bt, m, k]), b = fed(feeds, 'b', tb ? [bt, n, k] : [bt, k, n]);
        f.add(check(`batched matmul ${bt}x${m}x${k}x${n} tA=${ta} tB=${tb}`, [B.matmul(a, b, ta, tb)], feeds));
      }
    }
    const feeds: Fed[] = [];
    const a = fed(feeds, 'a', [bt, m, k]), b = fed(feeds, 'b', [bt, k, n]), c = fed(feeds, 'c', [m, 1]);
    f.add(check(`batched matmul ${bt}x${m}x${k}x${n} with broadcast epilogue`, [B.tanh(B.add(B.matmul(a, b), c))], feeds));
  }
  f.assert();
});

interface ConvCase { x: [number, number, number, number]; k: [number, number]; o: number; strides: Pair; padding: Padding2D; dilation: Pair }
const CONVS: ConvCase[] = [
  { x: [1, 5, 5, 1], k: [3, 3], o: 1, strides: [1, 1], padding: [0, 0, 0, 0], dilation: [1, 1] },
  { x: [2, 7, 6, 3], k: [3, 3], o: 4, strides: [1, 1], padding: [1, 1, 1, 1], dilation: [1, 1] },
  { x: [2, 9, 8, 3], k: [3, 2], o: 5, strides: [2, 2], padding: [0, 0, 0, 0], dilation: [1, 1] },
  { x: [1, 8, 9, 2], k: [3, 3], o: 3, strides: [2, 1], padding: [1, 1, 1, 1], dilation: [1, 1] },
  { x: [2, 9, 9, 2], k: [3, 3], o: 3, strides: [1, 1], padding: [0, 0, 0, 0], dilation: [2, 2] },
  { x: [1, 10, 7, 3], k: [2, 3], o: 2, strides: [1, 1], padding: [0, 1, 2, 0], dilation: [2, 1] },
  { x: [2, 7, 7, 3], k: [3, 3], o: 4, strides: [2, 2], padding: [1, 0, 0, 1], dilation: [1, 1] },
  { x: [1, 11, 9, 2], k: [3, 3], o: 3, strides: [2, 2], padding: [2, 1, 1, 2], dilation: [2, 2] },
  { x: [3, 4, 4, 5], k: [1, 1], o: 7, strides: [1, 1], padding: [0, 0, 0, 0], dilation: [1, 1] },
  { x: [1, 6, 6, 1], k: [5, 5], o: 1, strides: [1, 1], padding: [2, 2, 2, 2], dilation: [1, 1] },
  { x: [2, 13, 5, 16], k: [3, 3], o: 8, strides: [1, 2], padding: [1, 1, 0, 0], dilation: [1, 1] },
];
const convName = (c: ConvCase) => `x${fmt(c.x)} k${fmt(c.k)}x${c.o} strides ${fmt(c.strides)} padding ${fmt(c.padding)} dilation ${fmt(c.dilation)}`;

test('conv2d and its backprop input and filter: stride 2, dilation 2, asymmetric padding', () => {
  const f = new Failures();
  for (const c of CONVS) {
    const w = [c.k[0], c.k[1], c.x[3], c.o];
    const feeds: Fed[] = [];
    const x = fed(feeds, 'x', c.x), wt = fed(feeds, 'w', w), bias = fed(feeds, 'bias', [c.o]);
    const y = B.conv2d(x, wt, c.strides, c.padding, c.dilation);
    f.add(check(`conv2d ${convName(c)}`, [y], feeds));
    f.add(check(`conv2d ${convName(c)} + bias + relu`, [B.maximum(B.add(y, bias), 0)], feeds));
    const yShape = y.shape.map((d) => d!);
    const feeds2: Fed[] = [];
    const dy = fed(feeds2, 'dy', yShape), w2 = fed(feeds2, 'w', w), x2 = fed(feeds2, 'x', c.x);
    const dx = B.conv2dBackpropInput(dy, w2, [c.x[1], c.x[2]], c.strides, c.padding, c.dilation);
    f.add(check(`conv2dBackpropInput ${convName(c)}`, [dx], feeds2));
    f.add(check(`conv2dBackpropInput ${convName(c)} with epilogue`, [B.multiply(dx, x2)], feeds2));
    const dw = B.conv2dBackpropFilter(x2, dy, c.k, c.strides, c.padding, c.dilation);
    f.add(check(`conv2dBackpropFilter ${convName(c)}`, [dw], feeds2));
    f.add(check(`conv2dBackpropFilter ${convName(c)} SGD-like epilogue`, [B.subtract(w2, B.multiply(dw, 0.1))], feeds2));
  }
  f.assert();
});

test('pooling and pooling gradients: valid, same-like and asymmetric padding, odd sizes', () => {
  const f = new Failures();
  const pools: { x: [number, number, number, number]; window: Pair; strides: Pair; padding: Padding2D }[] = [
    { x: [1, 4, 4, 1], window: [2, 2], strides: [2, 2], padding: [0, 0, 0, 0] },
    { x: [2, 7, 5, 3], window: [2, 2], strides: [2, 2], padding: [0, 1, 0, 1] },
    { x: [2, 7, 7, 2], window: [3, 3], strides: [2, 2], padding: [1, 1, 1, 1] },
    { x: [1, 6, 9, 3], window: [3, 3], strides: [1, 1], padding: [1, 1, 1, 1] },
    { x: [3, 5, 6, 1], window: [3, 2], strides: [2, 1], padding: [1, 1, 0, 1] },
    { x: [1, 9, 9, 4], window: [2, 3], strides: [3, 2], padding: [0, 1, 1, 1] },
    { x: [1, 1, 1, 5], window: [1, 1], strides: [1, 1], padding: [0, 0, 0, 0] },
  ];
  for (const p of pools) {
    const name = `x${fmt(p.x)} window ${fmt(p.window)} strides ${fmt(p.strides)} padding ${fmt(p.padding)}`;
    const feeds: Fed[] = [];
    const x = fed(feeds, 'x', p.x, distinct);
    const mp = B.maxPool2d(x, p.window, p.strides, p.padding);
    const ap = B.avgPool2d(x, p.window, p.strides, p.padding);
    f.add(check(`maxPool2d ${name}`, [mp], feeds));
    f.add(check(`avgPool2d ${name}`, [ap], feeds));
    f.add(check(`maxPool2d ${name} of an elementwise producer with a consumer`, [B.tanh(B.maxPool2d(B.multiply(x, 3), p.window, p.strides, p.padding))], feeds));
    const yShape = mp.shape.map((d) => d!);
    const dy = fed(feeds, 'dy', yShape);
    f.add(check(`maxPool2dGrad ${name}`, [B.maxPool2dGrad(x, dy, p.window, p.strides, p.padding)], feeds));
    f.add(check(`avgPool2dGrad ${name}`, [B.avgPool2dGrad(dy, [p.x[1], p.x[2]], p.window, p.strides, p.padding)], feeds));
  }
  f.assert();
});

test('movement ops as outputs, fused inline into elementwise, reduce and matmul consumers', () => {
  const f = new Failures();
  type Movement = [string, readonly number[], (x: Node) => Node];
  const moves: Movement[] = [
    ['reshape [2,3,4]->[6,4]', [2, 3, 4], (x) => B.reshape(x, [6, 4])],
    ['reshape [2,3,4]->[4,6]', [2, 3, 4], (x) => B.reshape(x, [4, 6])],
    ['reshape [2,3,4]->[24]', [2, 3, 4], (x) => B.reshape(x, [24])],
    ['reshape [7]->[1,7,1]', [7], (x) => B.reshape(x, [1, 7, 1])],
    ['reshape [1]->[]', [1], (x) => B.reshape(x, [])],
    ['transpose [2,3,4] [2,0,1]', [2, 3, 4], (x) => B.transpose(x, [2, 0, 1])],
    ['transpose [2,3,4] [1,0,2]', [2, 3, 4], (x) => B.transpose(x, [1, 0, 2])],
    ['transpose [13,17]', [13, 17], (x) => B.transpose(x)],
    ['transpose [2,3,1,5] [3,2,0,1]', [2, 3, 1, 5], (x) => B.transpose(x, [3, 2, 0, 1])],
    ['broadcastTo [3,1,5]->[2,3,4,5]', [3, 1, 5], (x) => B.broadcastTo(x, [2, 3, 4, 5])],
    ['broadcastTo []->[3,4]', [], (x) => B.broadcastTo(x, [3, 4])],
    ['broadcastTo [7]->[5,7]', [7], (x) => B.broadcastTo(x, [5, 7])],
    ['slice [5,7] [1,2]-[4,7]', [5, 7], (x) => B.slice(x, [1, 2], [4, 7])],
    ['slice [2,3,4] [1,0,1]-[2,3,3]', [2, 3, 4], (x) => B.slice(x, [1, 0, 1], [2, 3, 3])],
    ['slice [13] [12]-[13]', [13], (x) => B.slice(x, [12], [13])],
    ['pad [3,4] [[1,2],[0,3]]', [3, 4], (x) => B.pad(x, [[1, 2], [0, 3]])],
    ['pad [2,3,4] [[0,0],[2,1],[1,0]] value -1.5', [2, 3, 4], (x) => B.pad(x, [[0, 0], [2, 1], [1, 0]], -1.5)],
    ['pad [1] [[3,4]] value 2', [1], (x) => B.pad(x, [[3, 4]], 2)],
    ['concatenate axis 0', [3, 4], (x) => B.concatenate([x, B.multiply(x, 2), B.slice(x, [0, 0], [1, 4])], 0)],
    ['concatenate axis 1', [3, 4], (x) => B.concatenate([x, B.exp(B.slice(x, [0, 1], [3, 2]))], 1)],
    ['concatenate axis -1 of rank 3', [2, 3, 4], (x) => B.concatenate([B.transpose(x, [0, 1, 2]), B.negative(x)], -1)],
    ['reshape of transpose', [2, 3, 4], (x) => B.reshape(B.transpose(x, [2, 1, 0]), [4, 6])],
    ['slice of pad of transpose', [3, 5], (x) => B.slice(B.pad(B.transpose(x), [[1, 1], [2, 0]], 0.5), [1, 1], [6, 4])],
  ];
  for (const [name, shape, move] of moves) {
    const feeds: Fed[] = [];
    const x = fed(feeds, 'x', shape);
    const out = move(x);
    f.add(check(`${name} as output`, [out], feeds));
    const outShape = out.shape.map((d) => d!);
    const y = fed(feeds, 'y', outShape);
    f.add(check(`${name} inline into elementwise`, [B.add(B.multiply(out, y), B.tanh(out))], feeds));
    f.add(check(`${name} of an elementwise producer`, [move(B.exp(B.multiply(x, 0.5)))], feeds));
    if (outShape.length >= 1) f.add(check(`${name} inline into a reduction`, [B.sum(B.multiply(out, y), outShape.length - 1)], feeds));
    if (outShape.length === 2) {
      const w = fed(feeds, 'w', [outShape[1], 3]);
      f.add(check(`${name} feeding a matmul`, [B.matmul(B.add(out, 1), w)], feeds));
    }
    f.add(check(`${name} both as output and inline`, [out, B.negative(out)], feeds));
  }
  {
    // int32 and bool movement
    const feeds: Fed[] = [];
    const i = fed(feeds, 'i', [3, 4], ints(-9, 9), 'int32'), b = fed(feeds, 'b', [3, 4], bools, 'bool');
    f.add(check('transpose int32', [B.transpose(i)], feeds));
    f.add(check('pad int32 value 7', [B.pad(i, [[1, 0], [0, 2]], 7)], feeds));
    f.add(check('concatenate bool', [B.concatenate([b, B.less(B.cast(b, 'int32'), B.scalar(1, 'int32'))], 0)], feeds));
    f.add(check('slice bool', [B.slice(b, [1, 1], [3, 3])], feeds));
  }
  f.assert();
});

test('gather and scatterAdd with int32 indices', () => {
  const f = new Failures();
  for (const [tableShape, indexShape] of [[[10, 4], [6]], [[10], [2, 3]], [[7, 3, 2], [5]], [[1, 5], [3]], [[13, 17], [1]]] as const) {
    const feeds: Fed[] = [];
    const table = fed(feeds, 'table', tableShape);
    const idx = fed(feeds, 'idx', indexShape, ints(0, tableShape[0]), 'int32');
    const g = B.gather(table, idx, 'embedding');
    f.add(check(`gather ${fmt(tableShape)} by ${fmt(indexShape)}`, [g], feeds));
    f.add(check(`gather ${fmt(tableShape)} by ${fmt(indexShape)} with producer and consumer`, [B.tanh(B.gather(B.multiply(table, 2), idx, 'e'))], feeds));
    const gShape = g.shape.map((d) => d!);
    const upd = fed(feeds, 'updates', gShape);
    f.add(check(`scatterAdd ${fmt(gShape)} into ${tableShape[0]} rows`, [B.scatterAdd(idx, upd, tableShape[0])], feeds));
    f.add(check(`scatterAdd ${fmt(gShape)} into ${tableShape[0]} rows with producer and consumer`, [B.exp(B.scatterAdd(idx, B.multiply(upd, 0.5), tableShape[0]))], feeds));
  }
  {
    // duplicates accumulate; int32 tables
    const feeds: Fed[] = [];
    const idx = fed(feeds, 'idx', [8], () => [0, 2, 2, 2, 4, 0, 1, 4], 'int32');
    const upd = fed(feeds, 'updates', [8, 3]);
    f.add(check('scatterAdd with duplicate indices', [B.scatterAdd(idx, upd, 5)], feeds));
    const itable = fed(feeds, 'itable', [5, 2], ints(-100, 100), 'int32');
    f.add(check('gather of an int32 table', [B.gather(itable, idx, 'ints')], feeds));
    const iupd = fed(feeds, 'iupdates', [8, 2], ints(-100, 100), 'int32');
    f.add(check('scatterAdd of int32 updates', [B.scatterAdd(idx, iupd, 5)], feeds));
  }
  f.assert();
});

function runCompiled(outputs: readonly Node[], feeds: readonly Fed[], seed?: Node<'input'>, seedValue = 0) {
  const program = compiledProgram({ name: 'primitives', inputs: feeds.map((x) => x.node), graph: { outputs, updates: [] }, seed }, session);
  feeds.forEach((x, i) => program.input(i).set(x.data));
  return { program, run: () => program.run(seedValue) };
}

test('scan and scanOutput: a recurrence compiled as one loop, forward and reverse (more in scan.test.ts)', () => {
  const f = new Failures();
  for (const reverse of [false, true]) {
    const feeds: Fed[] = [];
    const h0 = fed(feeds, 'h0', [3, 2]);
    const xs = fed(feeds, 'xs', [5, 3, 2]);
    const w = fed(feeds, 'w', [2, 2]);
    const out = scan(([h], [x], [k]) => ({ carries: [B.tanh(B.add(B.matmul(h, k), x))], ys: [B.exp(B.multiply(h, 0.5))] }), [h0], [xs], [w], { reverse });
    f.add(check(`scan reverse ${reverse}`, [out.carries[0], out.ys[0], out.saved[0]], feeds));
  }
  f.assert();
});

test('gather with an out-of-range index throws an IndexRangeError naming the layer', () => {
  for (const bad of [10, -1, 1 << 30]) {
    const feeds: Fed[] = [];
    const table = fed(feeds, 'table', [10, 4]);
    const idx = fed(feeds, 'idx', [4], () => [1, 2, bad, 3], 'int32');
    const { program, run } = runCompiled([B.tanh(B.gather(table, idx, 'my_embedding'))], feeds);
    cases++;
    try {
      run();
      assert.unreachable(`gather with index ${bad} into 10 rows did not throw`);
    } catch (e) {
      assert.ok(e instanceof IndexRangeError, `expected an IndexRangeError for index ${bad}, got ${String(e)}`);
      assert.is(e.label, 'my_embedding', `the error names the layer: ${e.message}`);
      assert.ok(e.message.includes('my_embedding') && e.message.includes(String(bad)), `message names layer and index: ${e.message}`);
      assert.is(e.rows, 10);
    } finally {
      program.dispose();
    }
  }
});

test('scatterAdd with an out-of-range index throws an IndexRangeError like the interpreter (label scatterAdd)', () => {
  const feeds: Fed[] = [];
  const idx = fed(feeds, 'idx', [3], () => [0, 5, 1], 'int32');
  const upd = fed(feeds, 'updates', [3, 2]);
  const out = B.scatterAdd(idx, upd, 5);
  let expected: IndexRangeError | null = null;
  try {
    const sources = new Map<Node, RefTensor>(feeds.map((x) => [x.node, { shape: x.node.shape.map((d) => d!), data: Float64Array.from(x.data) }]));
    interpret({ outputs: [out], updates: [] }, refContext(sources));
  } catch (e) {
    if (e instanceof IndexRangeError) expected = e;
  }
  assert.ok(expected !== null, 'the interpreter throws an IndexRangeError');
  const { program, run } = runCompiled([out], feeds);
  cases++;
  try {
    run();
    assert.unreachable('compiled scatterAdd with index 5 into 5 rows did not throw');
  } catch (e) {
    assert.ok(e instanceof IndexRangeError, `expected an IndexRangeError, got ${String(e)}`);
    assert.is(e.message, expected!.message, `compiled and interpreted scatterAdd range errors differ:\n  compiled:    ${e.message}\n  interpreter: ${expected!.message}`);
  } finally {
    program.dispose();
  }
});

test('randomUniform: compiled equals the interpreter, values in [0, 1), different seeds and streams differ', () => {
  const f = new Failures();
  for (const shape of [[1], [7], [13, 17], [2, 3, 5], [64, 33]]) {
    for (const seedValue of [0, 1, -123456789, 0x7fffffff]) {
      const seed = B.input('seed', [], 'int32');
      const u = B.randomUniform(seed, shape);
      // float32 storage of a uniform draw is exact: allow only float32 rounding
      f.add(check(`randomUniform ${fmt(shape)} seed ${seedValue}`, [u], [], [], { node: seed, value: seedValue }, 1e-7));
      const feeds: Fed[] = [];
      const x = fed(feeds, 'x', shape);
      const dropout = B.where(B.less(B.randomUniform(seed, shape), 0.3), 0, B.divide(x, 0.7));
      f.add(check(`dropout mask from randomUniform ${fmt(shape)} seed ${seedValue} (inline)`, [dropout], feeds, [], { node: seed, value: seedValue }, 1e-7));
    }
  }
  f.assert();
  const seed = B.input('seed', [], 'int32');
  const shape = [40, 25];
  const u1 = B.randomUniform(seed, shape), u2 = B.randomUniform(seed, shape);
  const { program } = runCompiled([u1, u2], [], seed);
  try {
    const draws = (s: number): [Float32Array, Float32Array] => {
      program.run(s);
      return [Float32Array.from(program.output(0)), Float32Array.from(program.output(1))];
    };
    const [a1, a2] = draws(11);
    const [b1] = draws(12);
    const [c1] = draws(11);
    for (const [name, v] of [['a1', a1], ['a2', a2], ['b1', b1]] as const) {
      let lo = Infinity, hi = -Infinity, mean = 0;
      for (const x of v) { lo = Math.min(lo, x); hi = Math.max(hi, x); mean += x / v.length; }
      assert.ok(lo >= 0 && hi < 1, `${name}: values in [0, 1), got [${lo}, ${hi}]`);
      assert.ok(Math.abs(mean - 0.5) < 0.05, `${name}: mean ${mean} is not near 0.5`);
    }
    const differs = (p: Float32Array, q: Float32Array) => p.filter((x, i) => x !== q[i]).length;
    assert.ok(differs(a1, b1) > 0.99 * a1.length, `seeds 11 and 12 give the same numbers (${differs(a1, b1)} of ${a1.length} differ)`);
    assert.ok(differs(a1, a2) > 0.99 * a1.length, `two randomUniform ops (streams) give the same numbers`);
    assert.is(differs(a1, c1), 0, 'the same seed repeats the same numbers');
    assert.ok(relError(a1, Float64Array.from(a1)) === 0);
  } finally {
    program.dispose();
  }
});

test('fill and iota: as outputs, inline, all dtypes and axes', () => {
  const f = new Failures();
  for (const dtype of ['float32', 'int32', 'bool'] as const) {
    f.add(check(`fill ${dtype} [3,5] as output`, [B.fill(dtype === 'bool' ? 1 : dtype === 'int32' ? -3 : -2.5, [3, 5], dtype)], []));
  }
  f.add(check('fill [] scalar as output', [B.fill(3.25, [])], []));
  for (const shape of [[7], [3, 5], [2, 3, 4]]) {
    for (let axis = 0; axis < shape.length; axis++) {
      for (const dtype of ['int32', 'float32'] as const) {
        f.add(check(`iota ${dtype} ${fmt(shape)} axis ${axis} as output`, [B.iota(shape, axis, dtype)], []));
      }
      const feeds: Fed[] = [];
      const x = fed(feeds, 'x', shape);
      f.add(check(`iota ${fmt(shape)} axis ${axis} inline`, [B.multiply(x, B.cast(B.iota(shape, axis), 'float32'))], feeds));
    }
  }
  {
    // one-hot from labels: equal(iota, labels) where the fill stays a fill (not folded)
    const feeds: Fed[] = [];
    const labels = fed(feeds, 'labels', [6, 1], ints(0, 10), 'int32');
    const oneHot = B.cast(B.equal(B.iota([6, 10], 1), labels), 'float32');
    f.add(check('one-hot via iota == labels', [oneHot], feeds));
    const x = fed(feeds, 'x', [6, 10]);
    f.add(check('fill inline: maximum(x, fill) and x + fill[6,10]', [B.maximum(x, B.fill(0.25, [6, 10])), B.add(x, B.fill(1, [6, 10]))], feeds));
  }
  f.assert();
});

test('variables: read, updated in place and by copy (input and variable sources)', () => {
  const f = new Failures();
  const w = makeVariable(session, 'w', [5, 3], r), b = makeVariable(session, 'b', [3], r);
  const feeds: Fed[] = [];
  const x = fed(feeds, 'x', [4, 5]);
  const y = B.add(B.matmul(x, w.node), b.node);
  f.add(check('variables read by matmul and add', [y], feeds));
  f.add(check('variable updated in place (SGD-like)', [y], feeds, [{ variable: b.node, value: B.subtract(b.node, B.multiply(B.sum(y, 0), 0.1)) }]));
  f.add(check('variable updated from a transpose (not in place)', [], feeds, [{ variable: w.node, value: B.reshape(B.transpose(B.reshape(w.node, [3, 5])), [5, 3]) }]));
  f.assert();
});

test('stopGradient: simplify removes it before codegen; the program around it equals the interpreter', () => {
  const feeds: Fed[] = [];
  const x = fed(feeds, 'x', [3, 5], uniform(-3, 3));
  const y = B.multiply(B.stopGradient(B.exp(x)), x);
  const ops = topoOrder(graphRoots(simplify({ outputs: [y], updates: [] }))).map((n) => n.op);
  assert.not.ok(ops.includes('stopGradient'), 'simplify kept stopGradient');
  const failure = check('stopGradient inline', [y], feeds);
  assert.is(failure, null);
  // Counted by hand: the coverage counts simplified graphs, which never hold it.
  covered.set('stopGradient', 1);
});

test('every primitive of the op table has a compiled case', () => {
  const missing = (Object.keys(OPS) as OpName[]).filter((op) => !covered.has(op));
  const ops = Object.keys(OPS).length;
  console.log(`\n  primitives: ${ops - missing.length}/${ops} covered by ${cases} compiled cases`);
  console.log(`  per op: ${(Object.keys(OPS) as OpName[]).map((op) => `${op}=${covered.get(op) ?? 0}`).join(' ')}`);
  assert.equal(missing, [], `primitives without a compiled test: ${missing.join(', ')}`);
});

test.run();
