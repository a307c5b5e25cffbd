/**
 * Index arithmetic as generated expressions, the one place kernels build it: sums, products,
 * flat indexes from coordinates and coordinates from flat indexes. Literals fold, so generated
 * code reads `y - 1` rather than `y * 1 - 1 + kh * 1 + 0`; only the shapes of expressions
 * change, never their values.
 */
import type * as ES from 'estree';
import type { ConcreteShape } from '../ir/types.js';
import { stridesOf } from '../ir/types.js';
import { expr, lit } from './template.js';

/** e + n for a number n (e - |n| when negative). */
export function plus(e: ES.Expression, n: number): ES.Expression {
  if (n === 0) return e;
  return n > 0 ? expr('$e + $n', { $e: e, $n: n }) : expr('$e - $n', { $e: e, $n: -n });
}

/** a + b for two expressions, dropping a literal 0. */
export function add(a: ES.Expression, b: ES.Expression): ES.Expression {
  if (a.type === 'Literal' && a.value === 0) return b;
  if (b.type === 'Literal' && b.value === 0) return a;
  return expr('$a + $b', { $a: a, $b: b });
}

export function times(e: ES.Expression, k: number): ES.Expression {
  if (k === 0) return lit(0);
  return k === 1 ? e : expr('$e * $k', { $e: e, $k: k });
}

/** e + v * k (e - v * |k| when k is negative). */
export function plusScaled(e: ES.Expression, v: ES.Expression, k: number): ES.Expression {
  if (k === 0) return e;
  return k > 0 ? expr('$e + $v', { $e: e, $v: times(v, k) }) : expr('$e - $v', { $e: e, $v: times(v, -k) });
}

/** Row-major flat index from coordinates, with stride literals; size-1 axes drop out. */
export function linearOf(shape: ConcreteShape, coords: readonly ES.Expression[]): ES.Expression {
  const strides = stridesOf(shape);
  let out: ES.Expression = lit(0);
  shape.forEach((d, i) => {
    if (d !== 1) out = add(out, times(coords[i], strides[i]));
  });
  return out;
}

/** Coordinate `axis` of a row-major flat index over `dims`: quotient by the axis's stride, mod its size. */
function coordinate(index: ES.Expression, dims: readonly number[], axis: number, quotient: (e: ES.Expression, stride: number) => ES.Expression): ES.Expression {
  let stride = 1;
  for (let d = axis + 1; d < dims.length; d++) stride *= dims[d];
  const q = stride === 1 ? index : quotient(index, stride);
  return axis === 0 ? q : expr('$q % $n', { $q: q, $n: dims[axis] });
}

/** One coordinate of an element's flat index (any size): a size-1 axis is 0. */
export function coordOfLinear(shape: ConcreteShape, linear: ES.Expression, axis: number): ES.Expression {
  if (shape[axis] === 1) return lit(0);
  return coordinate(linear, shape, axis, (e, s) => expr('Math.floor($e / $s)', { $e: e, $s: s }));
}

/** One coordinate of a GEMM row index over `dims`; rows stay below 2^31, so `| 0` divides. */
export function unflatten(row: ES.Expression, dims: readonly number[], axis: number): ES.Expression {
  return coordinate(row, dims, axis, (e, s) => expr('($e / $s) | 0', { $e: e, $s: s }));
}
