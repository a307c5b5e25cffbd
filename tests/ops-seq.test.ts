/**
 * The sequence ops (arange, einsum, take, slice, expandDims, squeeze, stack, split, cumsum,
 * triu/tril, where, softmax over axes): the float64 interpreter against TensorFlow.js, the
 * compiled kernels against the interpreter, and gradients by finite differences.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ops, tensor, type Tensor } from '../src/index.js';
import * as B from '../src/ir/build.js';
import { grad } from '../src/ir/autodiff.js';
import { interpret } from '../src/ir/interpret.js';
import { topoOrder } from '../src/ir/graph.js';
import type { Node } from '../src/ir/node.js';
import { simplify } from '../src/ir/simplify.js';
import { Session } from '../src/runtime/session.js';
import { loadTf, maxAbsDiff, randomTensor } from './support/api-eval.js';
import { compareCompiled } from './support/compiled.js';
import { gradCheck } from './support/gradcheck.js';

const tf = await loadTf();
type TfTensor = ReturnType<typeof tf.tensor>;
const T = (t: Tensor): TfTensor => tf.tensor(Array.from(t.data), [...t.shape], t.dtype === 'int32' ? 'int32' : 'float32');

let worst = 0;

/**
 * Runs `fn` on the interpreter and compiled, compares with TF.js's `expected`, and checks the
 * gradient of every float input by finite differences.
 */
function check(what: string, fn: (...xs: Node[]) => Node, xs: readonly Tensor[], expected: TfTensor, { tol = 1e-5, grads = true } = {}): void {
  const nodes = xs.map((t, i) => B.input(`x${i}`, t.shape, t.dtype));
  const out = fn(...nodes);
  assert.equal([...out.shape], expected.shape, `${what}: shape`);
  const ref = interpret({ outputs: [out], updates: [] }, {
    source(node) {
      const i = nodes.indexOf(node as Node<'input'>);
      return { shape: xs[i].shape, data: Float64Array.from(xs[i].data) };
    },
  }).outputs[0].data;
  const want = expected.dataSync();
  const d = maxAbsDiff(ref, want);
  worst = Math.max(worst, d);
  assert.ok(d < tol, `${what}: interpreter vs TF.js max |diff| ${d}`);
  const c = compareCompiled({ outputs: [out], updates: [] }, nodes.map((node, i) => ({ node, data: xs[i].data })), new Session({ seed: 1 }));
  assert.ok(c.maxRelError < 1e-5, `${what}: compiled vs interpreter rel error ${c.maxRelError} at ${c.worst}`);
  if (!grads || out.dtype !== 'float32' || !xs.some((t) => t.dtype === 'float32')) return;
  const specs = xs.map((t) => (t.dtype === 'float32' ? { shape: t.shape } : { shape: t.shape, dtype: t.dtype, gen: () => Array.from(t.data), diff: false }));
  const report = gradCheck(specs, fn);
  assert.ok(report.checked > 0, `${what}: gradient checked some elements`);
}

const a = randomTensor([2, 3, 4], 1);
const m = randomTensor([3, 5], 2);

test('arange: integer and float ranges, one-argument form, negative step', () => {
  const cases: [string, ops.SymbolicTensor, TfTensor][] = [
    ['arange(5)', ops.arange(5), tf.range(0, 5, 1, 'int32')],
    ['arange(2, 11, 3)', ops.arange(2, 11, 3), tf.range(2, 11, 3, 'int32')],
    ['arange(0, 1, 0.25)', ops.arange(0, 1, 0.25), tf.range(0, 1, 0.25)],
    ['arange(5, 0, -2)', ops.arange(5, 0, -2), tf.range(5, 0, -2, 'int32')],
    ['arange(3, undefined, 1, float32)', ops.arange(3, undefined, 1, 'float32'), tf.range(0, 3, 1, 'float32')],
  ];
  for (const [what, node, want] of cases) {
    assert.equal(node.dtype, want.dtype, `${what}: dtype`);
    check(what, () => node, [], want);
  }
  assert.equal(ops.arange(3, 3).shape, [0]);
  assert.throws(() => ops.arange(0, 4, 0), /step must not be 0/);
});

test('einsum: attention-shaped contractions, matmul, outer product, sums, implicit output', () => {
  const q = randomTensor([2, 4, 3, 5], 3); // batch, query, heads, key dim
  const k = randomTensor([2, 6, 3, 5], 4); // batch, key, heads, key dim
  const scores = randomTensor([2, 3, 4, 6], 5);
  const w = randomTensor([4, 3, 5], 6); // EinsumDense kernel (D, H, K)
  const o = randomTensor([3, 5, 4], 7); // output kernel (H, V, O)
  const v1 = randomTensor([4], 8), v2 = randomTensor([3], 9);
  const x = randomTensor([2, 7, 4], 10);
  const cases: [string, Tensor[]][] = [
    ['aecd,abcd->acbe', [k, q]],
    ['acbe,aecd->abcd', [scores, k]],
    ['abc,cde->abde', [x, w]],
    ['abcd,cde->abe', [q, o]],
    ['ij,jk->ik', [m, randomTensor([5, 2], 11)]],
    ['i,j->ij', [v1, v2]],
    ['bij->bj', [a]],
    ['bij->jib', [a]],
    ['bij,bij->b', [a, randomTensor([2, 3, 4], 12)]],
  ];
  for (const [subscripts, xs] of cases) {
    check(`einsum('${subscripts}')`, (...n) => ops.einsum(subscripts, ...n), xs, tf.einsum(subscripts, ...xs.map(T)), { tol: 1e-5 });
  }
  // Implicit output (alphabetical once-only letters), and three operands.
  check("einsum('ij,jk')", (p, r) => ops.einsum('ij,jk', p, r), [m, randomTensor([5, 2], 13)], tf.matMul(T(m), T(randomTensor([5, 2], 13))));
  const c3 = randomTensor([2, 3], 14);
  check("einsum('ij,jk,kl->il')", (p, r, s) => ops.einsum('ij,jk,kl->il', p, r, s), [m, randomTensor([5, 2], 15), c3],
    tf.matMul(tf.matMul(T(m), T(randomTensor([5, 2], 15))), T(c3)));
});

test("einsum: attention's scores 'aecd,abcd->acbe' are one matmul of the queries by the keys, no product transpose", () => {
  const k = B.input('k', [2, 6, 3, 5]);
  const q = B.input('q', [2, 4, 3, 5]);
  const scores = simplify({ outputs: [ops.einsum('aecd,abcd->acbe', k, q)], updates: [] }).outputs[0];
  // Only a reshape of the product: no transpose between the matmul and the output.
  const below = scores.op === 'reshape' ? scores.inputs[0] : scores;
  assert.is(below.op, 'matmul', `the scores are ${below.op} of ${below.inputs.map((n) => n.op).join(', ')}`);
  assert.equal(below.shape, [6, 4, 6]);
  // Its left operand comes from the queries.
  assert.ok(topoOrder([below.inputs[0]]).includes(q));
  // And the combine einsum still needs its heads transpose (Keras's layout): no swap there.
  const p = B.input('p', [2, 3, 4, 6]), v = B.input('v', [2, 6, 3, 5]);
  const heads = simplify({ outputs: [ops.einsum('acbe,aecd->abcd', p, v)], updates: [] }).outputs[0];
  assert.is(heads.op, 'transpose');
});

test('einsum over a batch of one, with an epilogue broadcast along the columns (a query mask)', () => {
  const q = randomTensor([1, 3, 2], 20), v = randomTensor([1, 2, 4], 21);
  const mask = tensor(Float32Array.from([1, 0, 1]), [1, 3, 1]);
  check('masked batch-of-one product', (x, y, m) => ops.where(ops.notEqual(m, 0), ops.einsum('bij,bjk->bik', x, y), 0), [q, v, mask],
    tf.where(tf.notEqual(T(mask), 0).broadcastTo([1, 3, 4]), tf.matMul(T(q), T(v)), tf.zeros([1, 3, 4])));
});

test('einsum: bad subscripts are clear errors', () => {
  const x = B.input('x', [3, 4]);
  const y = B.input('y', [5, 6]);
  assert.throws(() => ops.einsum('ij,jk->ik', x, y), /axis 'j' has size 4 .* and 5/);
  assert.throws(() => ops.einsum('ij->ik', x), /output letter 'k' names no input axis/);
  assert.throws(() => ops.einsum('ijk->i', x), /operand 0 has rank 2 .* names 3 axes/);
  assert.throws(() => ops.einsum('ii->i', B.input('s', [3, 3])), /repeats a letter/);
  assert.throws(() => ops.einsum('...ij->ij', x), /ellipses/);
  assert.throws(() => ops.einsum('ij,jk->ik', x), /name 2 operands but 1 was given/);
});

test('einsum with an unknown batch axis infers the shape', () => {
  const q = B.input('q', [null, 4, 3, 5]);
  const k = B.input('k', [null, 6, 3, 5]);
  assert.equal(ops.einsum('aecd,abcd->acbe', k, q).shape, [null, 3, 4, 6]);
  assert.equal(ops.einsum('abc,cde->abde', B.input('x', [null, 7, 4]), B.input('w', [4, 3, 5])).shape, [null, 7, 3, 5]);
  assert.equal(ops.einsum('bi,bi->b', B.input('u', [null, 4]), B.input('v', [null, 4])).shape, [null]);
});

test('take along an axis, flattened, with negative indices', () => {
  const idx = tensor(new Int32Array([2, 0, 1, 2, 1, 0]), [2, 3], 'int32');
  check('take axis 1', (x, i) => ops.take(x, i, 1), [a, idx], tf.gather(T(a), T(idx), 1));
  check('take axis -1', (x, i) => ops.take(x, i, -1), [a, idx], tf.gather(T(a), T(idx), 2));
  check('take axis 0', (x, i) => ops.take(x, i, 0), [m, tensor(new Int32Array([1, 1, 0]), [3], 'int32')], tf.gather(T(m), T(tensor(new Int32Array([1, 1, 0]), [3], 'int32')), 0));
  const flat = tensor(new Int32Array([23, 0, 7]), [3], 'int32');
  check('take flattened', (x, i) => ops.take(x, i), [a, flat], tf.gather(T(a).reshape([-1]), T(flat)));
  const negative = tensor(new Int32Array([-1, -3]), [2], 'int32');
  check('take negative', (x, i) => ops.take(x, i, 1), [a, negative], tf.gather(T(a), T(tensor(new Int32Array([2, 0]), [2], 'int32')), 1));
});

test('slice, expandDims, squeeze, stack', () => {
  check('slice', (x) => ops.slice(x, [0, 1, 1], [2, 2, -1]), [a], tf.slice(T(a), [0, 1, 1], [2, 2, -1]));
  check('expandDims 1', (x) => ops.expandDims(x, 1), [a], tf.expandDims(T(a), 1));
  check('expandDims -1', (x) => ops.expandDims(x, -1), [a], tf.expandDims(T(a), -1));
  const single = randomTensor([3, 1, 4, 1], 16);
  check('squeeze all', (x) => ops.squeeze(x), [single], tf.squeeze(T(single)));
  check('squeeze axis', (x) => ops.squeeze(x, 1), [single], tf.squeeze(T(single), [1]));
  const b = randomTensor([2, 3, 4], 17);
  check('stack 0', (x, y) => ops.stack([x, y]), [a, b], tf.stack([T(a), T(b)]));
  check('stack -1', (x, y) => ops.stack([x, y], -1), [a, b], tf.stack([T(a), T(b)], -1));
});

test('split into sections and at indices', () => {
  for (const [what, parts, axis] of [['2 sections axis 0', 2, 0], ['4 sections axis -1', 4, -1]] as const) {
    const want = tf.split(T(a), parts, axis);
    want.forEach((w, i) => check(`split ${what} part ${i}`, (x) => ops.split(x, parts, axis)[i], [a], w));
  }
  const want = tf.split(T(a), [1, 2, 1], 2);
  want.forEach((w, i) => check(`split at [1, 3] part ${i}`, (x) => ops.split(x, [1, 3], 2)[i], [a], w));
  assert.throws(() => ops.split(B.input('x', [2, 3]), 2, 1), /size 3 does not divide into 2 equal sections/);
  assert.equal(ops.split(B.input('x', [null, 6]), 3, 1).map((p) => p.shape), [[null, 2], [null, 2], [null, 2]]);
});

test('cumsum along axes, flattened, on integers', () => {
  check('cumsum axis 0', (x) => ops.cumsum(x, 0), [a], tf.cumsum(T(a), 0));
  check('cumsum axis 1', (x) => ops.cumsum(x, 1), [a], tf.cumsum(T(a), 1));
  check('cumsum axis -1', (x) => ops.cumsum(x, -1), [a], tf.cumsum(T(a), 2));
  check('cumsum flattened', (x) => ops.cumsum(x), [a], tf.cumsum(T(a).reshape([-1]), 0));
  const ints = tensor(new Int32Array([3, -1, 4, 1, -5, 9]), [2, 3], 'int32');
  check('cumsum int32', (x) => ops.cumsum(x, 1), [ints], tf.cumsum(T(ints), 1));
  assert.equal(ops.cumsum(B.input('i', [2, 3], 'int32'), 1).dtype, 'int32');
});

test('triu and tril with offsets, on a batch of matrices', () => {
  const sq = randomTensor([2, 4, 5], 18);
  for (const k of [0, 1, -1, 2]) {
    // bandPart(x, lower, upper) keeps row - col <= lower and col - row <= upper (-1: no limit).
    const tfTriu = k <= 0 ? tf.linalg.bandPart(T(sq), -k, -1) : tf.sub(T(sq), tf.linalg.bandPart(T(sq), -1, k - 1));
    const tfTril = k >= 0 ? tf.linalg.bandPart(T(sq), -1, k) : tf.sub(T(sq), tf.linalg.bandPart(T(sq), -k - 1, -1));
    check(`triu k=${k}`, (x) => ops.triu(x, k), [sq], tfTriu);
    check(`tril k=${k}`, (x) => ops.tril(x, k), [sq], tfTril);
  }
  assert.throws(() => ops.triu(B.input('v', [4])), /rank ≥ 2/);
});

test('where with broadcasting, and softmax over one and several axes', () => {
  const mask = tensor(new Int32Array([1, 0, 1, 1, 0, 1, 0, 0, 1, 1, 1, 0]), [3, 4], 'int32');
  const b = randomTensor([3, 4], 19);
  check('where broadcast', (c, x, y) => ops.where(c, x, y), [mask, a, b], tf.where(T(mask).cast('bool').broadcastTo([2, 3, 4]), T(a), T(b).broadcastTo([2, 3, 4])));
  check('softmax axis -1', (x) => ops.softmax(x), [a], tf.softmax(T(a)));
  check('softmax axis 1', (x) => ops.softmax(x, 1), [a], tf.transpose(tf.softmax(tf.transpose(T(a), [0, 2, 1])), [0, 2, 1]));
  // Over axes (1, 2): the softmax of each batch item's 12 values.
  check('softmax axes [1, 2]', (x) => ops.softmax(x, [1, 2]), [a], tf.softmax(T(a).reshape([2, 12])).reshape([2, 3, 4]));
});

test('sigmoid and its gradient stay finite where e^-x overflows float32 (a saturated classifier)', () => {
  const x = tensor(Float32Array.from([-120, -90, -3, 0, 3, 90, 120]), [7]);
  check('sigmoid', (n) => ops.sigmoid(n), [x], tf.sigmoid(T(x)), { grads: false });
  const node = B.input('x', [7]);
  const g = grad(B.sum(ops.sigmoid(node)), [node])[0];
  const c = compareCompiled({ outputs: [g], updates: [] }, [{ node, data: x.data }], new Session({ seed: 1 }));
  assert.ok(c.maxRelError < 1e-5, `compiled gradient vs interpreter ${c.maxRelError}`);
  const values = interpret({ outputs: [g], updates: [] }, { source: () => ({ shape: [7], data: Float64Array.from(x.data) }) }).outputs[0].data;
  assert.ok(Array.from(values).every(Number.isFinite), `finite gradient ${Array.from(values)}`);
  const tfGrad = tf.grad((t: TfTensor) => tf.sigmoid(t))(T(x)).dataSync();
  assert.ok(maxAbsDiff(values, tfGrad) < 1e-6, `vs TF.js ${Array.from(values)} ${Array.from(tfGrad)}`);
  gradCheck([{ shape: [7], gen: () => [-6, -2, -0.5, 0.3, 1, 2.5, 6] }], (n) => ops.sigmoid(n));
});

test('worst difference from TF.js', () => {
  console.log(`  ops-seq: worst |interpreter - TF.js| ${worst.toExponential(2)}`);
  assert.ok(worst < 1e-5);
});

test.run();
