import type { Node } from '../node.js';
import { broadcastShapes, formatShape, sameShape, ShapeError, sizeOf, stridesOf, type Dim, type Shape } from '../types.js';
import { broadcastStrides, forEachIndex, offsetOf, outShape, refTensor } from './ref-util.js';
import type { RefTensor, RuleTable } from './rule.js';

/** Resolves a reshape target: at most one -1 (inferred); null stands for the symbolic batch size. */
export function reshapeTarget(from: Shape, to: Shape): Dim[] {
  const fail = (why: string): never => {
    throw new ShapeError(`reshape: cannot reshape a tensor of shape ${formatShape(from)} to ${formatShape(to.map((d) => (d === -1 ? 'None' as unknown as number : d)))}: ${why}`);
  };
  if (to.filter((d) => d === -1).length > 1) fail('only one dimension may be -1');
  if (to.some((d) => d !== null && d !== -1 && !(Number.isInteger(d) && d >= 0))) fail('dimensions must be non-negative integers');
  const known = (s: Shape) => s.reduce<number>((p, d) => (d === null || d === -1 ? p : p * d), 1);
  const nulls = (s: Shape) => s.filter((d) => d === null).length;
  const [inKnown, outKnown] = [known(from), known(to)];
  const [inNulls, outNulls] = [nulls(from), nulls(to)];
  const hole = to.indexOf(-1);
  if (inNulls === outNulls) {
    if (hole < 0) {
      if (inKnown !== outKnown) fail(`${inKnown} elements${inNulls ? ' per batch item' : ''} cannot become ${outKnown}`);
      return [...to];
    }
    if (outKnown === 0 || inKnown % outKnown !== 0) fail(`${inKnown} elements are not divisible by ${outKnown}`);
    return to.map((d) => (d === -1 ? inKnown / outKnown : d));
  }
  if (hole >= 0 && inNulls === outNulls + 1 && inKnown === outKnown) return to.map((d) => (d === -1 ? null : d));
  return fail('the batch dimension must stay a dimension of its own');
}

function refGatherBy(x: RefTensor, shape: readonly number[], source: (index: readonly number[]) => number): RefTensor {
  const out = refTensor(shape);
  forEachIndex(shape, (flat, index) => {
    const o = source(index);
    out.data[flat] = o;
  });
  return out;
}

/** Every output element is one of the input's: a movement of a fill is that fill. */
const sameFill = ([v]: readonly (number | undefined)[]): number | undefined => v;

export const movementRules: RuleTable<'reshape' | 'transpose' | 'broadcastTo' | 'slice' | 'pad' | 'concatenate', 'movement'> = {
  reshape: {
    arity: 1, kind: 'movement', foldFills: sameFill,
    shape: ([x], a) => reshapeTarget(x.shape, a.shape),
    dtype: ([x]) => x.dtype,
    vjp: (g, node, b) => [b.reshape(g, node.inputs[0].shape)],
    ref: ([x], node) => refTensor(outShape(node.shape), Float64Array.from(x.data)),
  },
  transpose: {
    arity: 1, kind: 'movement', foldFills: sameFill,
    shape: ([x], { perm }) => {
      const ok = perm.length === x.shape.length && [...perm].sort((p, q) => p - q).every((v, i) => v === i);
      if (!ok) throw new ShapeError(`transpose: [${perm.join(', ')}] is not a permutation of the ${x.shape.length} axes of ${formatShape(x.shape)}`);
      return perm.map((p) => x.shape[p]);
    },
    dtype: ([x]) => x.dtype,
    vjp: (g, node, b) => {
      const inverse: number[] = [];
      node.attrs.perm.forEach((p, i) => { inverse[p] = i; });
      return [b.transpose(g, inverse)];
    },
    ref: ([x], node) => {
      const strides = stridesOf(x.shape);
      const permuted = node.attrs.perm.map((p) => strides[p]);
      return refGatherBy(x, outShape(node.shape), (index) => x.data[offsetOf(index, permuted)]);
    },
  },
  broadcastTo: {
    arity: 1, kind: 'movement', foldFills: sameFill,
    shape: ([x], { shape }) => {
      const out = broadcastShapes('broadcastTo', [x.shape, shape]);
      if (out.length !== shape.length || !sameShape(out, shape) && out.some((d, i) => shape[i] !== null && d !== shape[i])) {
        throw new ShapeError(`broadcastTo: cannot broadcast ${formatShape(x.shape)} to ${formatShape(shape)}`);
      }
      return shape;
    },
    dtype: ([x]) => x.dtype,
    vjp: (g, node, b) => [b.unbroadcast(g, node.inputs[0].shape)],
    ref: ([x], node) => {
      const shape = outShape(node.shape);
      const strides = broadcastStrides(x.shape, shape);
      return refGatherBy(x, shape, (index) => x.data[offsetOf(index, strides)]);
    },
  },
  slice: {
    arity: 1, kind: 'movement', foldFills: sameFill,
    shape: ([x], { begin, end }) => {
      if (begin.length !== x.shape.length || end.length !== x.shape.length) {
        throw new ShapeError(`slice: expected begin and end of length ${x.shape.length} for ${formatShape(x.shape)}, got [${begin.join(', ')}] and [${end.join(', ')}]`);
      }
      return x.shape.map((d, i) => {
        if (d === null) return null;
        if (!(Number.isInteger(begin[i]) && Number.isInteger(end[i]) && 0 <= begin[i] && begin[i] <= end[i] && end[i] <= d)) {
          throw new ShapeError(`slice: [${begin[i]}, ${end[i]}) is not a range within dimension ${i} of size ${d} of ${formatShape(x.shape)}`);
        }
        return end[i] - begin[i];
      });
    },
    dtype: ([x]) => x.dtype,
    vjp: (g, node, b) => {
      const x = node.inputs[0];
      return [b.pad(g, node.attrs.begin.map((lo, i) => [lo, x.shape[i]! - node.attrs.end[i]] as const))];
    },
    ref: ([x], node) => {
      const strides = stridesOf(x.shape);
      const base = offsetOf(node.attrs.begin, strides);
      return refGatherBy(x, outShape(node.shape), (index) => x.data[base + offsetOf(index, strides)]);
    },
  },
  pad: {
    arity: 1, kind: 'movement', expensive: true,
    foldFills: ([v], node) => (v !== undefined && node.attrs.value === v ? v : undefined),
    shape: ([x], { widths }) => {
      if (widths.length !== x.shape.length || widths.some(([lo, hi]) => !(Number.isInteger(lo) && Number.isInteger(hi) && lo >= 0 && hi >= 0))) {
        throw new ShapeError(`pad: expected ${x.shape.length} pairs of non-negative integers for ${formatShape(x.shape)}, got ${JSON.stringify(widths)}`);
      }
      return x.shape.map((d, i) => (d === null ? null : d + widths[i][0] + widths[i][1]));
    },
    dtype: ([x]) => x.dtype,
    vjp: (g, node, b) => {
      const x = node.inputs[0];
      const begin = node.attrs.widths.map(([lo]) => lo);
      return [b.slice(g, begin, begin.map((lo, i) => lo + x.shape[i]!))];
    },
    ref: ([x], node) => {
      const strides = stridesOf(x.shape);
      const { widths, value } = node.attrs;
      return refGatherBy(x, outShape(node.shape), (index) => {
        let o = 0;
        for (let i = 0; i < index.length; i++) {
          const j = index[i] - widths[i][0];
          if (j < 0 || j >= x.shape[i]) return value;
          o += j * strides[i];
        }
        return x.data[o];
      });
    },
  },
  concatenate: {
    arity: 'variadic', kind: 'movement', expensive: true,
    foldFills: (values) => {
      const v = values[0];
      return v !== undefined && values.every((x) => x === v || Number.isNaN(v) && Number.isNaN(x)) ? v : undefined;
    },
    shape: (xs, { axis }) => {
      const first = xs[0];
      for (const x of xs) {
        const ok = x.shape.length === first.shape.length && x.shape.every((d, i) => i === axis || d === null || first.shape[i] === null || d === first.shape[i]);
        if (!ok) {
          throw new ShapeError(`concatenate: a Concatenate layer requires inputs with matching shapes except for the concatenation axis ${axis}; got inputs shapes: ${xs.map((v) => formatShape(v.shape)).join(', ')}`);
        }
      }
      const along = xs.some((x) => x.shape[axis] === null) ? null : xs.reduce((s, x) => s + (x.shape[axis] as number), 0);
      return first.shape.map((d, i) => (i === axis ? along : d));
    },
    dtype: (xs) => {
      for (const x of xs) if (x.dtype !== xs[0].dtype) throw new ShapeError(`concatenate: inputs have different dtypes ${xs[0].dtype} and ${x.dtype}`);
      return xs[0].dtype;
    },
    vjp: (g, node: Node<'concatenate'>, b) => {
      let start = 0;
      const axis = node.attrs.axis;
      return node.inputs.map((x) => {
        const begin = g.shape.map((_, i) => (i === axis ? start : 0));
        const end = g.shape.map((d, i) => (i === axis ? start + (x.shape[axis] as number) : (d as number)));
        start += x.shape[axis] as number;
        return b.slice(g, begin, end);
      });
    },
    ref: (xs, node) => {
      const shape = outShape(node.shape);
      const axis = node.attrs.axis;
      const out = refTensor(shape);
      let start = 0;
      for (const x of xs) {
        const strides = stridesOf(shape);
        forEachIndex(x.shape, (flat, index) => {
          out.data[offsetOf(index, strides) + start * strides[axis]] = x.data[flat];
        });
        start += x.shape[axis];
      }
      return out;
    },
  },
};

export { sizeOf };
