import type { ReduceAttrs } from '../attrs.js';
import type { Node } from '../node.js';
import { ShapeError, stridesOf, type Dim, type Shape } from '../types.js';
import { forEachIndex, outShape, refTensor } from './ref-util.js';
import type { OpRule, RefTensor, RuleTable } from './rule.js';

export function reducedShape(shape: Shape, { axes, keepDims }: ReduceAttrs): Dim[] {
  for (const a of axes) {
    if (a < 0 || a >= shape.length) throw new ShapeError(`reduce: axis ${a} is out of range for rank ${shape.length}`);
  }
  return keepDims ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : shape.filter((_, i) => !axes.includes(i));
}

/** The output element each input element folds into, as a flat index. */
function refReduce(x: RefTensor, node: Node<'sum' | 'max'>, init: number, fold: (acc: number, v: number) => number): RefTensor {
  const out = refTensor(outShape(node.shape));
  out.data.fill(init);
  const keptStrides = stridesOf(x.shape.map((d, i) => (node.attrs.axes.includes(i) ? 1 : d)));
  forEachIndex(x.shape, (flat, index) => {
    let o = 0;
    for (let i = 0; i < index.length; i++) if (!node.attrs.axes.includes(i)) o += index[i] * keptStrides[i];
    out.data[o] = fold(out.data[o], x.data[flat]);
  });
  return out;
}

/** The number of elements each output element folds, or undefined when the batch size is symbolic. */
function elementCount(shape: Shape, axes: readonly number[]): number | undefined {
  let n = 1;
  for (const a of axes) {
    const d = shape[a];
    if (d === null) return undefined;
    n *= d;
  }
  return n;
}

/** Largest sum of a fill folded by replaying the additions: replaying keeps the result bit-exact. */
const MAX_FOLDED_SUM = 1 << 20;

function reduceRule<K extends 'sum' | 'max'>(
  op: K, init: number, fold: (a: number, v: number) => number, vjp: OpRule<K>['vjp'],
  foldFills: (v: number, count: number) => number | undefined,
): OpRule<K, 'reduce'> {
  return {
    arity: 1, kind: 'reduce',
    foldFills: ([v], node) => {
      const n = elementCount(node.inputs[0].shape, node.attrs.axes);
      return v === undefined || n === undefined ? undefined : foldFills(v, n);
    },
    shape: ([x], a) => reducedShape(x.shape, a),
    dtype: ([x]) => {
      if (x.dtype === 'bool') throw new ShapeError(`${op}: expected a numeric tensor, got bool; cast it first`);
      return x.dtype;
    },
    vjp,
    ref: ([x], node) => refReduce(x, node, init, fold),
  };
}

export const reduceRules: RuleTable<'sum' | 'max', 'reduce'> = {
  sum: reduceRule('sum', 0, (a, v) => a + v, (g, node, b) => {
    const x = node.inputs[0];
    return [b.broadcastTo(b.reshape(g, reducedShape(x.shape, { axes: node.attrs.axes, keepDims: true })), x.shape)];
  }, (v, n) => {
    if (n > MAX_FOLDED_SUM) return undefined;
    let acc = 0; // the same sequence of float64 additions as the reference
    for (let i = 0; i < n; i++) acc += v;
    return acc;
  }),
  // Ties share the cotangent equally, as TensorFlow does, so the gradient stays a valid subgradient.
  max: reduceRule('max', -Infinity, (a, v) => (v > a || Number.isNaN(v) ? v : a), (g, node, b) => {
    const x = node.inputs[0];
    const kept = reducedShape(x.shape, { axes: node.attrs.axes, keepDims: true });
    const mask = b.cast(b.equal(x, b.reshape(node, kept)), 'float32');
    const count = b.sum(mask, node.attrs.axes, true);
    return [b.multiply(b.divide(mask, count), b.reshape(g, kept))];
  }, (v, n) => (n === 0 ? -Infinity : v)),
};
