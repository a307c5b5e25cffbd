/**
 * The ops sequence models are written with (token and position embeddings, attention, causal
 * masks): keras.ops's arange, einsum, take, split, cumsum, triu and tril, composed from primitives.
 */
import * as B from '../ir/build.js';
import { formatShape, normalizeAxis, ShapeError, type DType } from '../ir/types.js';
import { einsumNodes } from './ops-einsum.js';
import { cast, convertToTensor, matmul, type SymbolicTensor, type TensorLike } from './ops.js';

const floatOf = (x: TensorLike): SymbolicTensor => cast(x, 'float32');

/**
 * Evenly spaced values in [start, stop) (one argument: [0, start)), as keras.ops.arange: int32 when
 * every argument is an integer, else float32, unless `dtype` says.
 */
export function arange(start: number, stop?: number, step = 1, dtype?: DType): SymbolicTensor {
  const [from, to] = stop === undefined ? [0, start] : [start, stop];
  for (const [name, v] of [['start', from], ['stop', to], ['step', step]] as const) {
    if (!Number.isFinite(v)) throw new RangeError(`arange: ${name} must be a finite number, got ${v}`);
  }
  if (step === 0) throw new RangeError('arange: step must not be 0');
  const type = dtype ?? ([from, to, step].every(Number.isInteger) ? 'int32' : 'float32');
  const length = Math.max(0, Math.ceil((to - from) / step));
  const counter = B.iota([length], 0, type === 'bool' ? 'int32' : type);
  const values = B.add(B.multiply(counter, step), from);
  return B.cast(values, type);
}

/** keras.ops.einsum: `einsum('bqhd,bkhd->bhqk', query, key)`. Integer operands compute in float32. */
export function einsum(subscripts: string, ...operands: TensorLike[]): SymbolicTensor {
  if (typeof subscripts !== 'string') throw new TypeError(`einsum: the first argument must be the subscripts string, got ${typeof subscripts}`);
  return einsumNodes(subscripts, operands.map(floatOf));
}

/**
 * Elements of `x` at integer `indices` along `axis`, as keras.ops.take: without an axis `x` is
 * flattened first; negative indices count from the end. The result's shape is
 * x.shape[:axis] + indices.shape + x.shape[axis + 1:].
 */
export function take(x: TensorLike, indices: TensorLike, axis?: number): SymbolicTensor {
  let n = convertToTensor(x);
  let a = 0;
  if (axis === undefined || axis === null) n = B.reshape(n, [-1]);
  else a = normalizeAxis(axis, n.shape.length, 'take');
  const size = n.shape[a];
  if (size === null) throw new ShapeError(`take: axis ${a} of ${formatShape(n.shape)} has unknown size; take along an axis of known size`);
  let idx = cast(indices, 'int32');
  idx = B.where(B.less(idx, 0), B.add(idx, size), idx);
  const rest = n.shape.map((_, i) => i).filter((i) => i !== a);
  const rows = B.gather(B.transpose(n, [a, ...rest]), idx, 'take');
  // rows: indices.shape + the other axes of x in order; put the indexed axes back at `axis`.
  const ir = idx.shape.length;
  const perm = [
    ...Array.from({ length: a }, (_, i) => ir + i),
    ...Array.from({ length: ir }, (_, i) => i),
    ...Array.from({ length: rest.length - a }, (_, i) => ir + a + i),
  ];
  return B.transpose(rows, perm);
}

/**
 * Splits `x` along `axis` into `indicesOrSections` equal parts, or at the given indices, as
 * keras.ops.split.
 */
export function split(x: TensorLike, indicesOrSections: number | readonly number[], axis = 0): SymbolicTensor[] {
  const n = convertToTensor(x);
  const a = normalizeAxis(axis, n.shape.length, 'split');
  const size = n.shape[a];
  if (size === null) throw new ShapeError(`split: axis ${a} of ${formatShape(n.shape)} has unknown size`);
  let cuts: number[];
  if (typeof indicesOrSections === 'number') {
    const parts = indicesOrSections;
    if (!(Number.isInteger(parts) && parts >= 1)) throw new RangeError(`split: the number of sections must be a positive integer, got ${parts}`);
    if (size % parts !== 0) throw new ShapeError(`split: axis ${a} of size ${size} does not divide into ${parts} equal sections`);
    cuts = Array.from({ length: parts - 1 }, (_, i) => ((i + 1) * size) / parts);
  } else {
    cuts = [...indicesOrSections];
    if (!cuts.every(Number.isInteger)) throw new TypeError(`split: indices must be integers, got [${cuts.join(', ')}]`);
  }
  // As NumPy: indices are clamped to the axis, so a section may be empty.
  const bounds = [0, ...cuts.map((c) => Math.min(Math.max(c < 0 ? c + size : c, 0), size)), size];
  return bounds.slice(1).map((end, i) => {
    const begin = Math.min(bounds[i], end);
    // An unknown (batch) axis keeps its size whatever its end says.
    return B.slice(n, n.shape.map((_, k) => (k === a ? begin : 0)), n.shape.map((d, k) => (k === a ? end : d ?? 0)));
  });
}

/** A (rows, cols) float32 constant: 1 where col - row satisfies `keep`, else 0. */
function band(rows: number, cols: number, keep: (offset: SymbolicTensor) => SymbolicTensor): SymbolicTensor {
  const offset = B.subtract(B.iota([rows, cols], 1), B.iota([rows, cols], 0));
  return keep(offset);
}

/**
 * Cumulative sum along `axis` (flattened when there is none), as keras.ops.cumsum: a product with
 * an upper-triangular matrix of ones over the moved axis, so it runs as one matmul and its
 * gradient is the reversed cumulative sum.
 */
export function cumsum(x: TensorLike, axis?: number): SymbolicTensor {
  let n = convertToTensor(x);
  const dtype = n.dtype === 'bool' ? 'int32' : n.dtype;
  if (axis === undefined || axis === null) n = B.reshape(n, [-1]);
  const a = axis === undefined || axis === null ? 0 : normalizeAxis(axis, n.shape.length, 'cumsum');
  const length = n.shape[a];
  if (length === null) throw new ShapeError(`cumsum: axis ${a} of ${formatShape(n.shape)} has unknown size`);
  const others = n.shape.map((_, i) => i).filter((i) => i !== a);
  const moved = B.transpose(B.cast(n, 'float32'), [...others, a]);
  const upper = B.cast(band(length, length, (o) => B.greaterEqual(o, 0)), 'float32');
  const summed = matmul(moved, upper);
  const back = others.length === 0 ? [0] : n.shape.map((_, i) => (i === a ? others.length : others.indexOf(i)));
  return B.cast(B.transpose(summed, back), dtype);
}

function triangle(x: TensorLike, k: number, name: 'triu' | 'tril'): SymbolicTensor {
  const n = convertToTensor(x);
  if (!Number.isInteger(k)) throw new TypeError(`${name}: k must be an integer, got ${k}`);
  if (n.shape.length < 2) throw new ShapeError(`${name}: expected a tensor of rank ≥ 2, got shape ${formatShape(n.shape)}`);
  const [rows, cols] = n.shape.slice(-2);
  if (rows === null || cols === null) throw new ShapeError(`${name}: the last two axes of ${formatShape(n.shape)} must have known sizes`);
  // triu keeps col - row >= k, tril keeps col - row <= k.
  const keep = band(rows, cols, (o) => (name === 'triu' ? B.greaterEqual(o, k) : B.lessEqual(o, k)));
  return B.where(keep, n, 0);
}

/** The upper triangle of the last two axes (col - row ≥ k), zeros elsewhere, as keras.ops.triu. */
export const triu = (x: TensorLike, k = 0): SymbolicTensor => triangle(x, k, 'triu');
/** The lower triangle of the last two axes (col - row ≤ k), zeros elsewhere, as keras.ops.tril. */
export const tril = (x: TensorLike, k = 0): SymbolicTensor => triangle(x, k, 'tril');
