import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as B from '../src/ir/build.js';
import { graphRoots, topoOrder, type Graph } from '../src/ir/graph.js';
import { make, type Node } from '../src/ir/node.js';
import type { RefTensor } from '../src/ir/ops/rule.js';
import { interpret, refContext } from '../src/ir/interpret.js';
import { simplify } from '../src/ir/simplify.js';
import { ShapeError, sizeOf } from '../src/ir/types.js';
import { gen, rng, tensor, type Rng } from './support/gradcheck.js';

const count = (g: Graph) => topoOrder(graphRoots(g)).length;
const same = (a: number, b: number) => a === b || (Number.isNaN(a) && Number.isNaN(b));

/** Random values for every source of the graph, so both versions read the same inputs. */
function sourcesFor(g: Graph, r: Rng): Map<Node, RefTensor> {
  const sources = new Map<Node, RefTensor>();
  for (const n of topoOrder([...graphRoots(g), ...g.updates.map((u) => u.variable)])) {
    if (n.op !== 'input' && n.op !== 'variable') continue;
    const shape = n.shape.map((d) => d!);
    const vals = gen.uniform(-2, 2)(sizeOf(shape), r).map((v) => (n.dtype === 'float32' ? v : n.dtype === 'int32' ? Math.round(v * 3) : v > 0 ? 1 : 0));
    sources.set(n, tensor(shape, vals));
  }
  return sources;
}

/** Asserts simplify kept every output's shape, dtype and exact values; returns the simplified graph. */
function checkSame(g: Graph, seed = 1): Graph {
  const s = simplify(g);
  const sources = sourcesFor(g, rng(seed));
  const before = interpret(g, refContext(sources));
  const after = interpret(s, refContext(sources));
  const pairs: [Node, Node, RefTensor, RefTensor][] = [
    ...g.outputs.map((o, i) => [o, s.outputs[i], before.outputs[i], after.outputs[i]] as [Node, Node, RefTensor, RefTensor]),
    ...g.updates.map((u, i) => [u.value, s.updates[i].value, before.updates[i], after.updates[i]] as [Node, Node, RefTensor, RefTensor]),
  ];
  for (const [o, n, x, y] of pairs) {
    assert.equal(n.shape, o.shape, 'shape changed');
    assert.is(n.dtype, o.dtype, 'dtype changed');
    x.data.forEach((v, i) => { if (!same(v, y.data[i])) assert.unreachable(`value ${i} changed from ${v} to ${y.data[i]} (${o.op} -> ${n.op})`); });
  }
  return s;
}

/** The identity fires: the simplified graph is smaller and, if given, its output is `expected`. */
function fires(name: string, build: () => { out: Node; expected?: (s: Node) => boolean }): void {
  test(`fires: ${name}`, () => {
    const { out, expected } = build();
    const g: Graph = { outputs: [out], updates: [] };
    const s = checkSame(g);
    assert.ok(count(s) < count(g), `node count did not drop (${count(g)} -> ${count(s)})`);
    if (expected !== undefined) assert.ok(expected(s.outputs[0]), `unexpected result ${s.outputs[0].op}`);
  });
}

const x = () => B.input('x', [2, 3]);
fires('x + 0', () => { const a = x(); return { out: B.add(a, 0), expected: (s) => s === a }; });
fires('0 + x', () => { const a = x(); return { out: B.add(B.fill(0, [2, 3]), a), expected: (s) => s === a }; });
fires('x - 0', () => { const a = x(); return { out: B.subtract(a, 0), expected: (s) => s === a }; });
fires('x * 1', () => { const a = x(); return { out: B.multiply(a, 1), expected: (s) => s === a }; });
fires('1 * x', () => { const a = x(); return { out: B.multiply(1, a), expected: (s) => s === a }; });
fires('x / 1', () => { const a = x(); return { out: B.divide(a, 1), expected: (s) => s === a }; });
fires('x + 0 where the zero broadcasts x', () => { const a = B.input('x', [3]); return { out: B.add(a, B.fill(0, [2, 3])), expected: (s) => s.op === 'broadcastTo' && s.inputs[0] === a }; });
fires('int32 x * 1', () => { const a = B.input('i', [4], 'int32'); return { out: B.multiply(a, 1), expected: (s) => s === a }; });
fires('--x', () => { const a = x(); return { out: B.negative(B.negative(a)), expected: (s) => s === a }; });
fires('---x', () => { const a = x(); return { out: B.negative(B.negative(B.negative(a))), expected: (s) => s.op === 'negative' && s.inputs[0] === a }; });
fires('reshape of reshape', () => { const a = B.input('x', [2, 3, 4]); return { out: B.reshape(B.reshape(a, [6, 4]), [4, 6]), expected: (s) => s.op === 'reshape' && s.inputs[0] === a }; });
fires('reshape of reshape back to the start', () => { const a = B.input('x', [2, 3, 4]); return { out: B.reshape(B.reshape(a, [24]), [2, 3, 4]), expected: (s) => s === a }; });
fires('reshape to the same shape', () => { const a = x(); return { out: B.exp(make('reshape', [a], { shape: [2, -1] })), expected: (s) => s.op === 'exp' && s.inputs[0] === a }; });
fires('broadcastTo the same shape', () => { const a = x(); return { out: B.exp(make('broadcastTo', [a], { shape: [2, 3] })), expected: (s) => s.inputs[0] === a }; });
fires('broadcastTo of broadcastTo', () => { const a = B.input('x', [3]); return { out: B.broadcastTo(B.broadcastTo(a, [1, 3]), [4, 2, 3]), expected: (s) => s.op === 'broadcastTo' && s.inputs[0] === a }; });
fires('transpose of transpose composed', () => { const a = B.input('x', [2, 3, 4]); return { out: B.transpose(B.transpose(a, [1, 2, 0]), [1, 0, 2]), expected: (s) => s.op === 'transpose' && s.inputs[0] === a }; });
fires('transpose of transpose cancels', () => { const a = B.input('x', [2, 3, 4]); return { out: B.transpose(B.transpose(a, [1, 2, 0]), [2, 0, 1]), expected: (s) => s === a }; });
fires('transpose with the identity perm', () => { const a = x(); return { out: B.exp(make('transpose', [a], { perm: [0, 1] })), expected: (s) => s.inputs[0] === a }; });
fires('cast to the same dtype', () => { const a = x(); return { out: B.exp(make('cast', [a], { dtype: 'float32' })), expected: (s) => s.inputs[0] === a }; });
fires('matmul(transpose(a), b) -> transposeA', () => {
  const a = B.input('a', [5, 2]); const b = B.input('b', [5, 3]);
  return { out: B.matmul(B.transpose(a), b), expected: (s) => s.op === 'matmul' && s.inputs[0] === a && (s as Node<'matmul'>).attrs.transposeA };
});
fires('matmul(a, transpose(b), false, true) -> plain', () => {
  const a = B.input('a', [2, 5]); const b = B.input('b', [5, 3]);
  return { out: B.matmul(a, B.transpose(b), false, true), expected: (s) => s.inputs[1] === b && !(s as Node<'matmul'>).attrs.transposeB };
});
fires('batched matmul with both operands transposed', () => {
  const a = B.input('a', [4, 5, 2]); const b = B.input('b', [4, 3, 5]);
  return { out: B.matmul(B.transpose(a, [0, 2, 1]), B.transpose(b, [0, 2, 1])), expected: (s) => s.inputs[0] === a && s.inputs[1] === b };
});
fires('broadcastTo of a fill is a fill', () => ({ out: B.broadcastTo(B.fill(3, [1, 3]), [2, 3]), expected: (s) => s.op === 'fill' && s.shape.join() === '2,3' }));
fires('where(c, x, x) -> x', () => { const a = x(); const c = B.greater(B.input('c', [2, 3]), 0); return { out: B.where(c, a, a), expected: (s) => s === a }; });
fires('where with a constant condition', () => { const a = x(); const b = x(); return { out: B.where(B.fill(0, [2, 3], 'bool'), a, b), expected: (s) => s === b }; });
fires('constant folding of elementwise chains', () => ({ out: B.add(B.exp(B.fill(1, [2, 2])), B.sqrt(B.scalar(2))), expected: (s) => s.op === 'fill' && (s as Node<'fill'>).attrs.value === Math.exp(1) + Math.sqrt(2) }));
fires('constant folding of comparisons and casts', () => ({ out: B.cast(B.less(B.scalar(1), B.fill(2, [3])), 'int32'), expected: (s) => s.op === 'fill' && s.dtype === 'int32' && (s as Node<'fill'>).attrs.value === 1 }));
fires('sum of a fill replays the additions', () => ({ out: B.sum(B.fill(0.1, [3, 7]), 1), expected: (s) => s.op === 'fill' && (s as Node<'fill'>).attrs.value === 0.1 + 0.1 + 0.1 + 0.1 + 0.1 + 0.1 + 0.1 }));
fires('max, slice, pad and concatenate of fills', () => ({
  out: B.concatenate([B.pad(B.slice(B.max(B.fill(2, [4, 5]), 0, true), [0, 1], [1, 4]), [[1, 0], [0, 0]], 2), B.fill(2, [2, 3])], 0),
  expected: (s) => s.op === 'fill' && s.shape.join() === '4,3',
}));
fires('int32 fold wraps as the reference does', () => ({ out: B.multiply(B.fill(2147483647, [2], 'int32'), B.fill(2, [2], 'int32')), expected: (s) => s.op === 'fill' && (s as Node<'fill'>).attrs.value === -2 }));
fires('NaN constants fold to NaN', () => ({ out: B.add(B.scalar(NaN), B.scalar(1)), expected: (s) => Number.isNaN((s as Node<'fill'>).attrs.value) }));

test('x * 0 is not folded (NaN and infinity), and neither is 0 * x', () => {
  const a = x();
  const g: Graph = { outputs: [B.multiply(a, 0), B.multiply(0, a)], updates: [] };
  const s = checkSame(g);
  assert.is(count(s), count(g));
  assert.is(s.outputs[0], g.outputs[0]);
});

test('pad with a different value is not folded into a fill', () => {
  const g: Graph = { outputs: [B.pad(B.fill(1, [2]), [[1, 1]], 0)], updates: [] };
  const s = checkSame(g);
  assert.is(s.outputs[0].op, 'pad');
});

test('updates are simplified and keep their variable', () => {
  const v = B.variable(1, 'w', [3]);
  const g: Graph = { outputs: [], updates: [{ variable: v, value: B.subtract(v, B.multiply(B.input('grad', [3]), 1)) }] };
  const s = checkSame(g);
  assert.is(s.updates[0].variable, v);
  assert.ok(count(s) < count(g));
});

test('shapes with a symbolic batch dimension survive', () => {
  const a = B.input('x', [null, 4]);
  const out = B.reshape(B.reshape(B.add(a, 0), [null, 2, 2]), [null, 4]);
  const s = simplify({ outputs: [out], updates: [] });
  assert.is(s.outputs[0], a);
});

test('simplify is idempotent on an already simple graph', () => {
  const a = x();
  const g: Graph = { outputs: [B.tanh(B.add(a, B.input('b', [3])))], updates: [] };
  assert.equal(simplify(g).outputs, g.outputs);
});

/** Random graphs rich in the patterns simplify rewrites: it must never change a value. */
function randomGraph(r: Rng): Graph {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const shapes: number[][] = [[2, 3], [3], [], [1, 3], [2, 1]];
  const pool: Node[] = [B.input('a', [2, 3]), B.input('b', [3]), B.input('c', []), B.variable(9, 'v', [2, 3])];
  const constants = [0, 1, -1, 2, 0.5, NaN, Infinity, -0];
  const steps: (() => Node)[] = [
    () => B.fill(pick(constants), pick(shapes)),
    () => pick([B.negative, B.exp, B.tanh, B.abs, B.sign, B.log, B.sqrt, B.erf])(pick(pool)),
    () => B.negative(B.negative(pick(pool))),
    () => pick([B.add, B.subtract, B.multiply, B.divide, B.maximum, B.minimum, B.power])(pick(pool), pick(pool)),
    () => pick([B.add, B.subtract, B.multiply, B.divide])(pick(pool), B.fill(pick([0, 1]), pick(shapes))),
    () => pick([B.add, B.multiply])(B.fill(pick([0, 1]), pick(shapes)), pick(pool)),
    () => { const c = B.greater(pick(pool), pick(pool)); const v = pick(pool); return B.where(c, v, r() < 0.5 ? v : pick(pool)); },
    () => B.where(B.fill(r() < 0.5 ? 1 : 0, pick(shapes), 'bool'), pick(pool), pick(pool)),
    () => B.cast(B.cast(pick(pool), 'int32'), 'float32'),
    () => make('cast', [pick(pool)], { dtype: 'float32' }),
    () => { const v = pick(pool); return B.reshape(B.reshape(v, [-1]), v.shape.length === 0 ? [1, 1] : [1, ...v.shape]); },
    () => { const v = pick(pool); return v.shape.length === 2 ? B.transpose(B.transpose(v), pick([[0, 1], [1, 0]])) : B.transpose(v); },
    () => B.broadcastTo(pick(pool), pick([[2, 3], [4, 2, 3], [3, 3]])),
    () => { const v = pick(pool); return v.shape.length === 2 ? B.matmul(B.transpose(v), pick(pool), false, r() < 0.5) : B.sum(v); },
    () => { const v = pick(pool); return v.shape.length === 2 ? B.matmul(v, B.transpose(pick(pool)), r() < 0.5, true) : B.max(v); },
    () => B.sum(pick(pool), r() < 0.5 ? 0 : undefined, r() < 0.5),
    () => B.concatenate([pick(pool), pick(pool)], 0),
    () => B.pad(B.slice(pick(pool), [0], [1]), [[0, 1]], pick(constants)),
  ];
  for (let i = 0; i < 30; i++) {
    try {
      pool.push(pick(steps)());
    } catch (e) {
      if (!(e instanceof ShapeError)) throw e; // operands that do not fit together: try another step
    }
  }
  const last = pool[pool.length - 1];
  const variable = pool[3] as Node<'variable'>;
  const fits = last.shape.join() === '2,3' && last.dtype === 'float32';
  return { outputs: pool.slice(-6), updates: fits ? [{ variable, value: last }] : [] };
}

test('seeded random graphs: simplify never changes a value, shape or dtype', () => {
  const r = rng(2024);
  let before = 0;
  let after = 0;
  for (let i = 0; i < 300; i++) {
    const g = randomGraph(r);
    const s = checkSame(g, i);
    before += count(g);
    after += count(s);
  }
  assert.ok(after < before);
  console.log(`random graphs: ${before} nodes before simplify, ${after} after`);
});

// A bias along the last axis moves in front of a reshape that keeps that axis (so fusion puts it in
// the matmul's epilogue); anything else about the reshape or the operand leaves the order alone.
test('a last-axis bias or scale after a reshape that keeps the last axis moves before it', () => {
  const m = B.matmul(B.input('x', [6, 4]), B.input('w', [4, 5]));
  for (const op of ['add', 'subtract', 'multiply', 'divide'] as const) {
    for (const biasFirst of [false, true]) {
      const bias = B.input('b', [5]);
      const r = B.reshape(m, [2, 3, 5]);
      const out = make(op, biasFirst ? [bias, r] : [r, bias], {});
      const s = checkSame({ outputs: [out], updates: [] });
      const top = s.outputs[0];
      assert.is(top.op, 'reshape', `${op}${biasFirst ? ' (bias first)' : ''}`);
      assert.is(top.inputs[0].op, op);
      assert.ok(top.inputs[0].inputs.includes(m));
    }
  }
  const scalar = checkSame({ outputs: [B.multiply(B.reshape(m, [3, 2, 5]), B.input('s', []))], updates: [] });
  assert.is(scalar.outputs[0].op, 'reshape');
});

test('a reshape that changes the last axis, or an operand along another axis, keeps the reshape first', () => {
  const m = B.matmul(B.input('x', [6, 4]), B.input('w', [4, 6]));
  const regrouped = checkSame({ outputs: [B.add(B.reshape(m, [6, 2, 3]), B.input('b', [3]))], updates: [] });
  assert.is(regrouped.outputs[0].op, 'add');
  const perRow = checkSame({ outputs: [B.add(B.reshape(m, [2, 3, 6]), B.input('b', [3, 1]))], updates: [] });
  assert.is(perRow.outputs[0].op, 'add');
  const twoReshapes = B.add(B.reshape(m, [2, 3, 6]), B.reshape(B.input('c', [36]), [2, 3, 6]));
  assert.is(checkSame({ outputs: [twoReshapes], updates: [] }).outputs[0].op, 'add');
});

test.run();
