/**
 * Every differentiable primitive's VJP rule against central finite differences on the float64
 * reference interpreter, over several shapes (broadcasting, size-1 and odd dimensions).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { OpName, Padding2D, Pair } from '../src/ir/attrs.js';
import { vjp } from '../src/ir/autodiff.js';
import * as B from '../src/ir/build.js';
import { make, type Node } from '../src/ir/node.js';
import { scan } from '../src/ir/scan.js';
import type { Builder } from '../src/ir/ops/rule.js';
import { OPS } from '../src/ir/optable.js';
import { gen, gradCheck, type GradOptions, type InputSpec } from './support/gradcheck.js';

type Category = 'unary' | 'binary' | 'select/cast' | 'reduce' | 'contraction' | 'pool' | 'movement' | 'indexing' | 'loop';
const covered = new Map<OpName, Category>();
const casesPerCategory = new Map<Category, number>();
let caseCount = 0;

/** Registers one finite-difference case; `op` is the primitive whose VJP rule the case exercises. */
function gradCase(category: Category, op: OpName, name: string, specs: readonly InputSpec[], f: (...xs: Node[]) => Node, opts: GradOptions = {}): void {
  covered.set(op, category);
  casesPerCategory.set(category, (casesPerCategory.get(category) ?? 0) + 1);
  const seed = ++caseCount * 7919;
  test(`${op}: ${name}`, () => {
    const report = gradCheck(specs, f, { seed, ...opts });
    assert.ok(report.checked > 0, 'nothing was differentiated');
  });
}

const S = (...shape: number[]): InputSpec => ({ shape });
const G = (gen_: InputSpec['gen'], ...shape: number[]): InputSpec => ({ shape, gen: gen_ });

// ---- elementwise unary ----
const unaryShapes: number[][] = [[], [1], [3, 5], [2, 1, 3]];
const unaries: [OpName, (x: Node) => Node, InputSpec['gen'], GradOptions?][] = [
  ['negative', B.negative, gen.uniform()],
  ['exp', B.exp, gen.uniform()],
  ['log', B.log, gen.positive],
  ['sqrt', B.sqrt, gen.positive],
  ['tanh', B.tanh, gen.uniform()],
  ['abs', B.abs, gen.awayFromZero()],
  ['sign', B.sign, gen.awayFromZero()],
  // The reference erf is a 1.2e-7 approximation, so its slope differs from the exact one slightly.
  ['erf', B.erf, gen.uniform(), { atol: 2e-6, rtol: 1e-5 }],
  ['sigmoid', B.sigmoid, gen.uniform()],
];
for (const [op, f, g, opts] of unaries) {
  for (const shape of unaryShapes) gradCase('unary', op, `[${shape}]`, [G(g, ...shape)], f, opts);
}

// ---- elementwise binary with broadcasting ----
const binaryShapes: [number[], number[]][] = [[[2, 3], [2, 3]], [[2, 3, 4], [4]], [[3, 1], [1, 4]], [[], [2, 3]], [[5, 1, 3], [1, 7, 3]], [[1], [1]]];
const binaries: [OpName, (a: Node, b: Node) => Node, InputSpec['gen'], InputSpec['gen']][] = [
  ['add', B.add, gen.uniform(), gen.uniform()],
  ['subtract', B.subtract, gen.uniform(), gen.uniform()],
  ['multiply', B.multiply, gen.uniform(), gen.uniform()],
  ['divide', B.divide, gen.uniform(), gen.awayFromZero(0.5, 2)],
  ['power', B.power, gen.positive, gen.uniform()],
  ['maximum', B.maximum, gen.gridA, gen.gridB],
  ['minimum', B.minimum, gen.gridA, gen.gridB],
];
for (const [op, f, ga, gb] of binaries) {
  for (const [sa, sb] of binaryShapes) {
    gradCase('binary', op, `[${sa}] with [${sb}]`, [G(ga, ...sa), G(gb, ...sb)], f);
    if (sa.join() !== sb.join()) gradCase('binary', op, `[${sb}] with [${sa}]`, [G(ga, ...sb), G(gb, ...sa)], f);
  }
}
// Tied operands: the rule must hand the whole cotangent to exactly one side.
gradCase('binary', 'maximum', 'same operand twice', [S(2, 3)], (x) => B.maximum(x, x));
gradCase('binary', 'minimum', 'same operand twice', [S(2, 3)], (x) => B.minimum(x, x));

// ---- where and cast ----
const whereShapes: [number[], number[], number[]][] = [[[2, 3], [2, 3], [2, 3]], [[3, 1], [1, 4], [3, 4]], [[], [2, 3], [3]], [[2, 1, 3], [3], [1, 5, 1]]];
for (const [sc, sa, sb] of whereShapes) {
  gradCase('select/cast', 'where', `cond [${sc}], [${sa}], [${sb}]`,
    [G(gen.awayFromZero(), ...sc), S(...sa), S(...sb)], (z, a, b) => B.where(B.greater(z, 0), a, b));
}
gradCase('select/cast', 'cast', 'float32 -> int32 -> float32 (zero gradient)', [G(gen.nonInteger, 3, 4)], (x) => B.cast(B.cast(x, 'int32'), 'float32'));
gradCase('select/cast', 'cast', 'float32 -> bool -> float32 (zero gradient)', [G(gen.awayFromZero(), 2, 3)], (x) => B.multiply(B.cast(B.cast(x, 'bool'), 'float32'), x));
gradCase('select/cast', 'cast', 'float32 -> float32 made directly', [S(2, 3)], (x) => B.multiply(make('cast', [x], { dtype: 'float32' }), x));

// ---- reductions ----
const reductions: [number[], number[] | undefined, boolean][] = [
  [[2, 3, 4], [0, 2], false], [[2, 3, 4], [1], true], [[3, 5], undefined, false], [[3, 1, 5], [1], false], [[4], [0], true], [[2, 3, 4], [2], false],
];
for (const [shape, axes, keep] of reductions) {
  const name = `[${shape}] axes ${axes === undefined ? 'all' : `[${axes}]`}${keep ? ' keepDims' : ''}`;
  gradCase('reduce', 'sum', name, [S(...shape)], (x) => B.sum(x, axes, keep));
  gradCase('reduce', 'max', name, [G(gen.distinct, ...shape)], (x) => B.max(x, axes, keep));
}
// Ties share the cotangent; checked against the rule itself since finite differences are one-sided there.
test('max: tied maxima share the cotangent equally', async () => {
  const { evaluate, tensor } = await import('./support/gradcheck.js');
  const { grad } = await import('../src/ir/autodiff.js');
  const x = B.input('x', [4]);
  const [g] = grad(B.sum(B.max(x, 0)), [x]);
  const [out] = evaluate([g], new Map([[x, tensor([4], [1, 3, 3, 2])]]));
  assert.equal([...out.data], [0, 0.5, 0.5, 0]);
});

// ---- contractions ----
for (const ta of [false, true]) for (const tb of [false, true]) {
  for (const [batch, M, K, N] of [[0, 3, 5, 2], [0, 1, 4, 3], [2, 3, 5, 2], [3, 2, 1, 5]]) {
    const lead = batch > 0 ? [batch] : [];
    const a = ta ? [...lead, K, M] : [...lead, M, K];
    const b = tb ? [...lead, N, K] : [...lead, K, N];
    gradCase('contraction', 'matmul', `${batch > 0 ? `batch ${batch} ` : ''}${M}x${K}x${N} transposeA=${ta} transposeB=${tb}`,
      [S(...a), S(...b)], (x, y) => B.matmul(x, y, ta, tb));
  }
}

interface ConvConfig { readonly x: [number, number, number, number]; readonly k: [number, number]; readonly f: number; readonly strides: Pair; readonly padding: Padding2D; readonly dilation: Pair }
const convs: ConvConfig[] = [
  { x: [2, 5, 5, 3], k: [3, 3], f: 2, strides: [1, 1], padding: [1, 1, 1, 1], dilation: [1, 1] },
  { x: [1, 7, 6, 2], k: [3, 2], f: 3, strides: [2, 2], padding: [0, 1, 1, 0], dilation: [1, 1] },
  { x: [2, 7, 7, 1], k: [2, 3], f: 2, strides: [1, 2], padding: [2, 1, 0, 2], dilation: [2, 2] },
  { x: [1, 9, 8, 2], k: [2, 2], f: 1, strides: [2, 2], padding: [1, 0, 1, 1], dilation: [2, 2] },
  { x: [1, 1, 1, 3], k: [1, 1], f: 2, strides: [1, 1], padding: [0, 0, 0, 0], dilation: [1, 1] },
];
for (const c of convs) {
  const name = `x [${c.x}] k [${c.k}]x${c.f} s [${c.strides}] p [${c.padding}] d [${c.dilation}]`;
  const w = [c.k[0], c.k[1], c.x[3], c.f];
  // The output shape, from the forward op's own shape rule.
  const y = B.conv2d(B.input('shape probe', c.x), B.input('shape probe', w), c.strides, c.padding, c.dilation).shape.map((d) => d!);
  const size: Pair = [c.x[1], c.x[2]];
  gradCase('contraction', 'conv2d', name, [S(...c.x), S(...w)], (x, k) => B.conv2d(x, k, c.strides, c.padding, c.dilation));
  gradCase('contraction', 'conv2dBackpropInput', name, [S(...y), S(...w)], (dy, k) => B.conv2dBackpropInput(dy, k, size, c.strides, c.padding, c.dilation));
  gradCase('contraction', 'conv2dBackpropFilter', name, [S(...c.x), S(...y)], (x, dy) => B.conv2dBackpropFilter(x, dy, c.k, c.strides, c.padding, c.dilation));
}

// ---- pooling ----
interface PoolConfig { readonly x: [number, number, number, number]; readonly window: Pair; readonly strides: Pair; readonly padding: Padding2D }
const pools: PoolConfig[] = [
  { x: [2, 4, 6, 3], window: [2, 2], strides: [2, 2], padding: [0, 0, 0, 0] },
  { x: [1, 5, 5, 2], window: [3, 3], strides: [2, 1], padding: [1, 1, 1, 1] },
  { x: [2, 5, 7, 1], window: [2, 3], strides: [1, 2], padding: [0, 1, 1, 0] },
  { x: [1, 1, 1, 2], window: [1, 1], strides: [1, 1], padding: [0, 0, 0, 0] },
];
for (const p of pools) {
  const name = `x [${p.x}] window [${p.window}] s [${p.strides}] p [${p.padding}]`;
  const y = B.avgPool2d(B.input('shape probe', p.x), p.window, p.strides, p.padding).shape.map((d) => d!);
  gradCase('pool', 'maxPool2d', name, [G(gen.distinct, ...p.x)], (x) => B.maxPool2d(x, p.window, p.strides, p.padding));
  gradCase('pool', 'avgPool2d', name, [S(...p.x)], (x) => B.avgPool2d(x, p.window, p.strides, p.padding));
  gradCase('pool', 'avgPool2dGrad', name, [S(...y)], (dy) => B.avgPool2dGrad(dy, [p.x[1], p.x[2]], p.window, p.strides, p.padding));
}

// ---- movement ----
gradCase('movement', 'reshape', '[2,3,4] -> [6,-1]', [S(2, 3, 4)], (x) => B.reshape(x, [6, -1]));
gradCase('movement', 'reshape', '[3,1,5] -> [5,3]', [S(3, 1, 5)], (x) => B.reshape(x, [5, 3]));
gradCase('movement', 'reshape', '[] -> [1,1]', [S()], (x) => B.reshape(x, [1, 1]));
gradCase('movement', 'transpose', '[2,3,4] perm [2,0,1]', [S(2, 3, 4)], (x) => B.transpose(x, [2, 0, 1]));
gradCase('movement', 'transpose', '[1,5,3] perm [1,2,0]', [S(1, 5, 3)], (x) => B.transpose(x, [1, 2, 0]));
gradCase('movement', 'transpose', '[3,5] reversed', [S(3, 5)], (x) => B.transpose(x));
gradCase('movement', 'broadcastTo', '[3,1] -> [2,3,4]', [S(3, 1)], (x) => B.broadcastTo(x, [2, 3, 4]));
gradCase('movement', 'broadcastTo', '[] -> [2,3]', [S()], (x) => B.broadcastTo(x, [2, 3]));
gradCase('movement', 'broadcastTo', '[1,4] -> [3,4]', [S(1, 4)], (x) => B.broadcastTo(x, [3, 4]));
gradCase('movement', 'slice', '[5,4,3] [1:4, 0:3, 1:3]', [S(5, 4, 3)], (x) => B.slice(x, [1, 0, 1], [4, 3, 3]));
gradCase('movement', 'slice', '[7] [2:3]', [S(7)], (x) => B.slice(x, [2], [3]));
gradCase('movement', 'pad', '[3,2] widths [[1,2],[0,1]] value 0.5', [S(3, 2)], (x) => B.pad(x, [[1, 2], [0, 1]], 0.5));
gradCase('movement', 'pad', '[1,3,1] widths [[0,0],[2,0],[1,1]]', [S(1, 3, 1)], (x) => B.pad(x, [[0, 0], [2, 0], [1, 1]]));
gradCase('movement', 'concatenate', 'axis 1 of [2,1,3], [2,2,3], [2,3,3]', [S(2, 1, 3), S(2, 2, 3), S(2, 3, 3)], (a, b, c) => B.concatenate([a, b, c], 1));
gradCase('movement', 'concatenate', 'axis 0 of [1], [4]', [S(1), S(4)], (a, b) => B.concatenate([a, b], 0));
gradCase('movement', 'concatenate', 'the same operand twice, axis -1', [S(2, 3)], (a) => B.concatenate([a, a], -1));

// ---- indexing ----
gradCase('indexing', 'gather', 'table [5,3], indices [6] with repeats', [S(5, 3), { shape: [6], dtype: 'int32', gen: gen.ints(0, 5) }], (t, i) => B.gather(t, i));
gradCase('indexing', 'gather', 'table [4], indices [2,3]', [S(4), { shape: [2, 3], dtype: 'int32', gen: gen.ints(0, 4) }], (t, i) => B.gather(t, i));
gradCase('indexing', 'gather', 'table [3,2,2], scalar index', [S(3, 2, 2), { shape: [], dtype: 'int32', gen: gen.ints(0, 3) }], (t, i) => B.gather(t, i));
// More scan cases (reverse, masks, compiled gradients) are in scan.test.ts.
const cumulativeTanh = (h0: Node, xs: Node, w: Node, reverse: boolean) => {
  const out = scan(([h], [x], [k]) => ({ carries: [B.tanh(B.add(B.multiply(h, k), x))], ys: [B.multiply(h, x)] }), [h0], [xs], [w], { reverse });
  return B.concatenate([B.reshape(out.carries[0], [-1]), B.reshape(out.ys[0], [-1])], 0);
};
gradCase('loop', 'scan', 'carry [2], 3 steps, a constant', [S(2), S(3, 2), S(2)], (h, xs, w) => cumulativeTanh(h, xs, w, false));
gradCase('loop', 'scanOutput', 'reverse, carry [2,1]', [S(2, 1), S(4, 2, 1), S(1)], (h, xs, w) => cumulativeTanh(h, xs, w, true));
gradCase('indexing', 'scatterAdd', 'indices [4] with repeats, updates [4,3], 5 rows', [{ shape: [4], dtype: 'int32', gen: gen.ints(0, 3) }, S(4, 3)], (i, u) => B.scatterAdd(i, u, 5));
gradCase('indexing', 'scatterAdd', 'indices [2,2], updates [2,2,3], 3 rows', [{ shape: [2, 2], dtype: 'int32', gen: gen.ints(0, 3) }, S(2, 2, 3)], (i, u) => B.scatterAdd(i, u, 3));

// ---- primitives without a gradient ----
/** Why each primitive has no VJP to check; a sample node lets the test call its rule. */
const noGradient: Partial<Record<OpName, { readonly why: string; readonly sample: () => Node }>> = {
  input: { why: 'source', sample: () => B.input('x', [2]) },
  variable: { why: 'source', sample: () => B.variable(1, 'v', [2]) },
  fill: { why: 'generator', sample: () => B.fill(1, [2]) },
  iota: { why: 'generator', sample: () => B.iota([2, 3], 1) },
  randomUniform: { why: 'generator', sample: () => B.randomUniform(B.input('seed', [], 'int32'), [2]) },
  less: { why: 'comparison', sample: () => B.less(B.input('a', [2]), B.input('b', [2])) },
  lessEqual: { why: 'comparison', sample: () => B.lessEqual(B.input('a', [2]), B.input('b', [2])) },
  greater: { why: 'comparison', sample: () => B.greater(B.input('a', [2]), B.input('b', [2])) },
  greaterEqual: { why: 'comparison', sample: () => B.greaterEqual(B.input('a', [2]), B.input('b', [2])) },
  equal: { why: 'comparison', sample: () => B.equal(B.input('a', [2]), B.input('b', [2])) },
  notEqual: { why: 'comparison', sample: () => B.notEqual(B.input('a', [2]), B.input('b', [2])) },
  stopGradient: { why: 'stops the gradient by definition', sample: () => B.stopGradient(B.input('x', [2])) },
  maxPool2dGrad: { why: 'second-order pooling (throws)', sample: () => B.maxPool2dGrad(B.input('x', [1, 2, 2, 1]), B.input('dy', [1, 1, 1, 1]), [2, 2], [2, 2], [0, 0, 0, 0]) },
};

test('primitives without a gradient give null cotangents, or throw a clear error', () => {
  for (const [op, entry] of Object.entries(noGradient)) {
    const node = entry!.sample();
    assert.is(node.op, op);
    const rule = OPS[node.op].vjp as (g: Node, n: Node, b: Builder) => readonly (Node | null)[];
    const g = B.zerosLike(node);
    if (op === 'maxPool2dGrad') {
      assert.throws(() => rule(g, node, B), /second-order gradients of pooling are not supported/);
      // Through autodiff too: differentiating a gradient of max pooling names the op.
      const [x, dy] = node.inputs;
      assert.throws(() => vjp([node], [B.fill(1, node.shape)], [dy, x]), /maxPool2dGrad/);
    } else {
      assert.ok(rule(g, node, B).every((ct) => ct === null), `${op} returned a cotangent`);
    }
  }
});

test('comparisons: autodiff gives zeros without calling any rule', () => {
  const a = B.input('a', [2, 3]);
  const b = B.input('b', [3]);
  const y = B.sum(B.cast(B.less(a, b), 'float32'));
  const [ga, gb] = vjp([y], [B.scalar(1)], [a, b]);
  assert.is(ga.op, 'fill');
  assert.is(gb.op, 'fill');
});

test('every primitive of the op table is gradient-checked or explicitly has no gradient', () => {
  const names = Object.keys(OPS) as OpName[];
  const missing = names.filter((op) => !covered.has(op) && noGradient[op] === undefined);
  const both = names.filter((op) => covered.has(op) && noGradient[op] !== undefined);
  assert.equal(missing, [], `primitives with neither a gradient test nor a no-gradient entry: ${missing.join(', ')}`);
  assert.equal(both, [], `primitives listed both as checked and as without gradient: ${both.join(', ')}`);
  const byCategory = new Map<string, OpName[]>();
  for (const [op, cat] of covered) byCategory.set(cat, [...(byCategory.get(cat) ?? []), op]);
  const lines = [...byCategory].map(([cat, ops]) => `  ${cat}: ${ops.length} primitives, ${casesPerCategory.get(cat as Category)} cases (${ops.join(' ')})`);
  const none = Object.entries(noGradient).map(([op, e]) => `${op} (${e!.why})`);
  const total = [...casesPerCategory.values()].reduce((s, n) => s + n, 0);
  console.log(`vjp coverage: ${names.length} primitives; ${covered.size} gradient-checked in ${total} cases\n${lines.join('\n')}\n  no gradient: ${none.length} primitives: ${none.join(', ')}`);
});

test.run();
