/**
 * The symbolic `ops` namespace, named as keras.ops. Layer `call`s (built-in and custom), losses,
 * metrics and optimizer updates are written with these, so each is a composition of IR
 * primitives the compiler can fuse, with the same numerics wherever an op is used.
 * Composite ops (softmax, mean, argmax, ...) are built here from primitives. Operands may be
 * symbolic tensors, layer variables or plain numbers, as in Keras.
 */
import * as B from '../ir/build.js';
import type { Node } from '../ir/node.js';
import { normalizeAxis, ShapeError, type DType, type Dim, type Shape } from '../ir/types.js';
import { firstMaxIndex } from './graph-math.js';
import { normalQuantile } from './normal-quantile.js';
import { Variable } from './layers/variable.js';
import { currentTrace } from './trace-context.js';

/** What a layer's `call` receives and returns: a node of the traced graph. */
export type SymbolicTensor = Node;
export type TensorLike = SymbolicTensor | Variable | number;
export type Axis = number | readonly number[];
export interface ReduceOptions {
  readonly axis?: Axis | null;
  readonly keepdims?: boolean;
}

export function isSymbolicTensor(x: unknown): x is SymbolicTensor {
  return typeof x === 'object' && x !== null && 'op' in x && 'key' in x && 'shape' in x;
}

/** The node for a variable or symbolic tensor; numbers stay numbers (build.ts lifts them to the other operand's dtype). */
function operand(x: TensorLike): B.Operand {
  if (x instanceof Variable) return x.node;
  if (typeof x === 'number' || isSymbolicTensor(x)) return x;
  throw new TypeError(`ops: expected a symbolic tensor, a layer Variable or a number, got ${describe(x)}`);
}

/** A node for any operand: numbers become float32 scalars. */
export function convertToTensor(x: TensorLike, dtype?: DType): SymbolicTensor {
  const o = operand(x);
  const n = typeof o === 'number' ? B.scalar(o, dtype ?? 'float32') : o;
  return dtype === undefined ? n : B.cast(n, dtype);
}

function describe(x: unknown): string {
  if (x === null || typeof x !== 'object') return String(x);
  return (x as object).constructor?.name ?? 'an object';
}

/** Keras promotes int operands of float ops (exp, sqrt, divide, ...) to float32. */
function float(x: TensorLike): SymbolicTensor {
  const n = convertToTensor(x);
  return n.dtype === 'float32' ? n : B.cast(n, 'float32');
}

/** Binary ops: numbers take the other side's dtype; mixed int/float tensors promote to float32. */
function binary(a: TensorLike, b: TensorLike): [B.Operand, B.Operand] {
  const x = operand(a);
  const y = operand(b);
  if (typeof x !== 'number' && typeof y !== 'number' && x.dtype !== y.dtype) {
    return [B.cast(x, 'float32'), B.cast(y, 'float32')];
  }
  if (typeof x !== 'number' && x.dtype === 'bool') return [B.cast(x, 'float32'), y];
  if (typeof y !== 'number' && y.dtype === 'bool') return [x, B.cast(y, 'float32')];
  return [x, y];
}

function axesOf(x: SymbolicTensor, axis: Axis | null | undefined): number[] {
  if (axis === undefined || axis === null) return x.shape.map((_, i) => i);
  const list = typeof axis === 'number' ? [axis] : [...axis];
  return list.map((a) => normalizeAxis(a, x.shape.length, 'ops'));
}

function reduceArgs(options: Axis | ReduceOptions | undefined): ReduceOptions {
  if (options === undefined) return {};
  if (typeof options === 'number' || Array.isArray(options)) return { axis: options as Axis };
  return options as ReduceOptions;
}

// ---- elementwise arithmetic ----
export const add = (a: TensorLike, b: TensorLike): SymbolicTensor => B.add(...binary(a, b));
export const subtract = (a: TensorLike, b: TensorLike): SymbolicTensor => B.subtract(...binary(a, b));
export const multiply = (a: TensorLike, b: TensorLike): SymbolicTensor => B.multiply(...binary(a, b));
export const divide = (a: TensorLike, b: TensorLike): SymbolicTensor => {
  const [x, y] = binary(a, b);
  // Keras's divide is true division: int operands give floats.
  return B.divide(typeof x === 'number' ? x : float(x), typeof y === 'number' ? y : float(y));
};
export const trueDivide = divide;
export const power = (a: TensorLike, b: TensorLike): SymbolicTensor => B.power(...binary(a, b));
export const maximum = (a: TensorLike, b: TensorLike): SymbolicTensor => B.maximum(...binary(a, b));
export const minimum = (a: TensorLike, b: TensorLike): SymbolicTensor => B.minimum(...binary(a, b));
export const negative = (x: TensorLike): SymbolicTensor => B.negative(convertToTensor(x));
export const abs = (x: TensorLike): SymbolicTensor => B.abs(convertToTensor(x));
export const sign = (x: TensorLike): SymbolicTensor => B.sign(convertToTensor(x));
export const square = (x: TensorLike): SymbolicTensor => { const n = convertToTensor(x); return B.multiply(n, n); };
export const exp = (x: TensorLike): SymbolicTensor => B.exp(float(x));
export const expm1 = (x: TensorLike): SymbolicTensor => B.subtract(B.exp(float(x)), 1);
export const log = (x: TensorLike): SymbolicTensor => B.log(float(x));
export const log1p = (x: TensorLike): SymbolicTensor => B.log(B.add(float(x), 1));
export const sqrt = (x: TensorLike): SymbolicTensor => B.sqrt(float(x));
export const rsqrt = (x: TensorLike): SymbolicTensor => B.divide(1, B.sqrt(float(x)));
export const reciprocal = (x: TensorLike): SymbolicTensor => B.divide(1, float(x));
export const tanh = (x: TensorLike): SymbolicTensor => B.tanh(float(x));
export const erf = (x: TensorLike): SymbolicTensor => B.erf(float(x));
export const clip = (x: TensorLike, min: number, max: number): SymbolicTensor => B.minimum(B.maximum(convertToTensor(x), min), max);
export function cast(x: TensorLike, dtype: DType): SymbolicTensor {
  return B.cast(convertToTensor(x), dtype);
}

// ---- comparisons and selection ----
export const equal = (a: TensorLike, b: TensorLike): SymbolicTensor => B.equal(...binary(a, b));
export const notEqual = (a: TensorLike, b: TensorLike): SymbolicTensor => B.notEqual(...binary(a, b));
export const less = (a: TensorLike, b: TensorLike): SymbolicTensor => B.less(...binary(a, b));
export const lessEqual = (a: TensorLike, b: TensorLike): SymbolicTensor => B.lessEqual(...binary(a, b));
export const greater = (a: TensorLike, b: TensorLike): SymbolicTensor => B.greater(...binary(a, b));
export const greaterEqual = (a: TensorLike, b: TensorLike): SymbolicTensor => B.greaterEqual(...binary(a, b));
export function where(condition: TensorLike, x: TensorLike, y: TensorLike): SymbolicTensor {
  const c = convertToTensor(condition);
  const [a, b] = binary(x, y);
  return B.where(c.dtype === 'bool' ? c : B.notEqual(c, 0), a, b);
}
export const logicalAnd = (a: TensorLike, b: TensorLike): SymbolicTensor =>
  B.where(cast(a, 'bool'), cast(b, 'bool'), B.scalar(0, 'bool'));
export const logicalOr = (a: TensorLike, b: TensorLike): SymbolicTensor =>
  B.where(cast(a, 'bool'), B.scalar(1, 'bool'), cast(b, 'bool'));
export const logicalNot = (x: TensorLike): SymbolicTensor => B.equal(cast(x, 'bool'), B.scalar(0, 'bool'));

// ---- activations ----
export const relu = (x: TensorLike): SymbolicTensor => B.maximum(convertToTensor(x), 0);
export const relu6 = (x: TensorLike): SymbolicTensor => B.minimum(B.maximum(convertToTensor(x), 0), 6);
/**
 * 1 / (1 + e^-x) from e = e^-|x| <= 1, so no branch overflows: with e^-x itself, x < -88 made
 * e^-x infinite and the gradient 0 * inf = NaN.
 */
export const sigmoid = (x: TensorLike): SymbolicTensor => B.sigmoid(float(x));
/** keras.ops.stop_gradient: the value itself, through which no gradient flows. */
export const stopGradient = (x: TensorLike): SymbolicTensor => B.stopGradient(convertToTensor(x));
export const silu = (x: TensorLike): SymbolicTensor => { const n = float(x); return B.multiply(n, sigmoid(n)); };
export const swish = silu;
/** log(1 + e^x), computed as max(x, 0) + log(1 + e^-|x|) so large |x| neither overflows nor loses x. */
export const softplus = (x: TensorLike): SymbolicTensor => {
  const n = float(x);
  return B.add(B.maximum(n, 0), B.log(B.add(B.exp(B.negative(B.abs(n))), 1)));
};
export const softsign = (x: TensorLike): SymbolicTensor => { const n = float(x); return B.divide(n, B.add(B.abs(n), 1)); };
export function elu(x: TensorLike, alpha = 1): SymbolicTensor {
  const n = float(x);
  return B.where(B.greater(n, 0), n, B.multiply(B.subtract(B.exp(B.minimum(n, 0)), 1), alpha));
}
export function selu(x: TensorLike): SymbolicTensor {
  const alpha = 1.6732632423543772;
  const scale = 1.0507009873554805;
  return B.multiply(elu(x, alpha), scale);
}
export function leakyRelu(x: TensorLike, negativeSlope = 0.2): SymbolicTensor {
  const n = float(x);
  return B.where(B.greaterEqual(n, 0), n, B.multiply(n, negativeSlope));
}
/** Keras's default is the exact (erf) form; `approximate` uses the tanh formula. */
export function gelu(x: TensorLike, approximate = false): SymbolicTensor {
  const n = float(x);
  if (approximate) {
    const inner = B.multiply(B.add(n, B.multiply(B.multiply(B.multiply(n, n), n), 0.044715)), Math.sqrt(2 / Math.PI));
    return B.multiply(B.multiply(n, 0.5), B.add(B.tanh(inner), 1));
  }
  return B.multiply(B.multiply(n, 0.5), B.add(B.erf(B.multiply(n, Math.SQRT1_2)), 1));
}
export const hardSigmoid = (x: TensorLike): SymbolicTensor => clip(B.add(B.multiply(float(x), 1 / 6), 0.5), 0, 1);
export function softmax(x: TensorLike, axis: Axis = -1): SymbolicTensor {
  const n = float(x);
  // Subtracting the max keeps exp from overflowing; the result is unchanged, so its gradient
  // cancels exactly and is not built (as JAX and Keras stop it).
  const e = B.exp(B.subtract(n, B.stopGradient(B.max(n, axis, true))));
  return B.divide(e, B.sum(e, axis, true));
}
export function logSoftmax(x: TensorLike, axis: Axis = -1): SymbolicTensor {
  const n = float(x);
  const shifted = B.subtract(n, B.stopGradient(B.max(n, axis, true)));
  return B.subtract(shifted, B.log(B.sum(B.exp(shifted), axis, true)));
}

// ---- reductions ----
export function sum(x: TensorLike, options?: Axis | ReduceOptions): SymbolicTensor {
  const { axis, keepdims = false } = reduceArgs(options);
  const n = convertToTensor(x);
  return B.sum(n.dtype === 'bool' ? B.cast(n, 'int32') : n, axesOf(n, axis), keepdims);
}
export function max(x: TensorLike, options?: Axis | ReduceOptions): SymbolicTensor {
  const { axis, keepdims = false } = reduceArgs(options);
  const n = convertToTensor(x);
  return B.max(n, axesOf(n, axis), keepdims);
}
export function min(x: TensorLike, options?: Axis | ReduceOptions): SymbolicTensor {
  const { axis, keepdims = false } = reduceArgs(options);
  const n = convertToTensor(x);
  return B.negative(B.max(B.negative(n), axesOf(n, axis), keepdims));
}
/** Number of elements folded by a reduction; the symbolic batch counts as 1 (such graphs only infer shapes). */
function countOf(x: SymbolicTensor, axes: readonly number[]): number {
  return axes.reduce((p, a) => p * ((x.shape[a] as Dim) ?? 1), 1);
}
export function mean(x: TensorLike, options?: Axis | ReduceOptions): SymbolicTensor {
  const { axis, keepdims = false } = reduceArgs(options);
  const n = float(x);
  const axes = axesOf(n, axis);
  return B.divide(B.sum(n, axes, keepdims), countOf(n, axes));
}
/** Population variance (ddof 0), as keras.ops.var. */
export function variance(x: TensorLike, options?: Axis | ReduceOptions): SymbolicTensor {
  const { axis, keepdims = false } = reduceArgs(options);
  const n = float(x);
  const axes = axesOf(n, axis);
  const centered = B.subtract(n, mean(n, { axis: axes, keepdims: true }));
  return mean(B.multiply(centered, centered), { axis: axes, keepdims });
}
export const std = (x: TensorLike, options?: Axis | ReduceOptions): SymbolicTensor => B.sqrt(variance(x, options));
/** Index of the first maximum along `axis` (int32), as TF's argmax picks the first. */
export function argmax(x: TensorLike, axis = -1, keepdims = false): SymbolicTensor {
  const n = convertToTensor(x);
  return B.cast(firstMaxIndex(n, normalizeAxis(axis, n.shape.length, 'argmax'), keepdims), 'int32');
}
export const argmin = (x: TensorLike, axis = -1, keepdims = false): SymbolicTensor => argmax(B.negative(convertToTensor(x)), axis, keepdims);

// ---- linear algebra ----
/** Matrix product; operands of rank > 2 multiply over their last two axes, a rank-1 operand is a vector. */
export function matmul(a: TensorLike, b: TensorLike): SymbolicTensor {
  let x = float(a);
  let y = float(b);
  const vecA = x.shape.length === 1;
  const vecB = y.shape.length === 1;
  if (vecA) x = B.reshape(x, [1, x.shape[0]]);
  if (vecB) y = B.reshape(y, [y.shape[0], 1]);
  let out: SymbolicTensor;
  if (x.shape.length === 2 && y.shape.length === 2) out = B.matmul(x, y);
  else if (y.shape.length === 2) out = matmulStack(x, y);
  else {
    const lead = y.shape.length > x.shape.length ? y.shape.slice(0, -2) : x.shape.slice(0, -2);
    const xs = B.broadcastTo(x, [...lead, ...x.shape.slice(-2)]);
    const ys = B.broadcastTo(y, [...lead, ...y.shape.slice(-2)]);
    const flatA = B.reshape(xs, [-1, ...xs.shape.slice(-2)]);
    const flatB = B.reshape(ys, [-1, ...ys.shape.slice(-2)]);
    out = B.reshape(B.matmul(flatA, flatB), [...lead, xs.shape.at(-2) ?? null, ys.shape.at(-1) ?? null]);
  }
  if (vecA) out = B.reshape(out, [...out.shape.slice(0, -2), out.shape.at(-1)!]);
  if (vecB) out = B.reshape(out, out.shape.slice(0, -1));
  return out;
}
export const dot = matmul;

/**
 * x (..., k) times a matrix (k, n). With concrete shapes the leading axes fold into rows; with a
 * symbolic batch (shape inference only) the matrix is broadcast into a stack instead.
 */
function matmulStack(x: SymbolicTensor, w: SymbolicTensor): SymbolicTensor {
  const lead = x.shape.slice(0, -1);
  const k = x.shape.at(-1)!;
  const n = w.shape.at(-1)!;
  if (lead.every((d) => d !== null)) {
    return B.reshape(B.matmul(B.reshape(x, [-1, k]), w), [...lead, n]);
  }
  const rows = B.reshape(x, [lead[0], -1, k]);
  const y = B.matmul(rows, B.broadcastTo(w, [lead[0], w.shape[0], n]));
  return B.reshape(y, [...lead, n]);
}

// ---- shapes ----
export function reshape(x: TensorLike, newShape: Shape): SymbolicTensor {
  return B.reshape(convertToTensor(x), newShape);
}
export function transpose(x: TensorLike, axes?: readonly number[] | { readonly axes?: readonly number[] }): SymbolicTensor {
  const perm = Array.isArray(axes) ? (axes as readonly number[]) : (axes as { axes?: readonly number[] } | undefined)?.axes;
  return B.transpose(convertToTensor(x), perm);
}
export function concatenate(xs: readonly TensorLike[], options: number | { readonly axis?: number } = {}): SymbolicTensor {
  const axis = typeof options === 'number' ? options : options.axis ?? 0;
  const nodes = xs.map((v) => convertToTensor(v));
  const dtype = nodes.every((n) => n.dtype === nodes[0].dtype) ? nodes[0].dtype : 'float32';
  return B.concatenate(nodes.map((n) => B.cast(n, dtype)), axis);
}
export function stack(xs: readonly TensorLike[], options: number | { readonly axis?: number } = {}): SymbolicTensor {
  const axis = typeof options === 'number' ? options : options.axis ?? 0;
  const nodes = xs.map((v) => convertToTensor(v));
  const a = normalizeAxis(axis, nodes[0].shape.length + 1, 'stack');
  return concatenate(nodes.map((n) => expandDims(n, a)), a);
}
export function expandDims(x: TensorLike, axis: number): SymbolicTensor {
  const n = convertToTensor(x);
  const a = normalizeAxis(axis, n.shape.length + 1, 'expandDims');
  return B.reshape(n, [...n.shape.slice(0, a), 1, ...n.shape.slice(a)]);
}
export function squeeze(x: TensorLike, axis?: Axis): SymbolicTensor {
  const n = convertToTensor(x);
  const axes = axis === undefined ? n.shape.flatMap((d, i) => (d === 1 ? [i] : [])) : axesOf(n, axis);
  for (const a of axes) {
    if (n.shape[a] !== 1) throw new ShapeError(`squeeze: cannot squeeze axis ${a} of shape (${n.shape.join(', ')}): its size is not 1`);
  }
  return B.reshape(n, n.shape.filter((_, i) => !axes.includes(i)));
}
export function broadcastTo(x: TensorLike, shape: Shape): SymbolicTensor {
  return B.broadcastTo(convertToTensor(x), shape);
}
/** Slices `[start, start + size)` per axis; a size of -1 runs to the end. */
export function slice(x: TensorLike, startIndices: readonly number[], shape: readonly number[]): SymbolicTensor {
  const n = convertToTensor(x);
  const end = shape.map((s, i) => (s === -1 ? (n.shape[i] as number) : startIndices[i] + s));
  return B.slice(n, startIndices, end);
}
export function pad(x: TensorLike, padWidth: readonly (readonly [number, number])[], constantValue = 0): SymbolicTensor {
  return B.pad(convertToTensor(x), padWidth, constantValue);
}
export function shape(x: TensorLike): Shape {
  return convertToTensor(x).shape;
}

// ---- creation ----
export const zeros = (shape: Shape, dtype: DType = 'float32'): SymbolicTensor => B.fill(0, shape, dtype);
export const ones = (shape: Shape, dtype: DType = 'float32'): SymbolicTensor => B.fill(1, shape, dtype);
export const full = (shape: Shape, value: number, dtype: DType = 'float32'): SymbolicTensor => B.fill(value, shape, dtype);
export const zerosLike = (x: TensorLike): SymbolicTensor => { const n = convertToTensor(x); return B.fill(0, n.shape, n.dtype); };
export const onesLike = (x: TensorLike): SymbolicTensor => { const n = convertToTensor(x); return B.fill(1, n.shape, n.dtype); };

// ---- random (keras.random) ----
/**
 * Uniform numbers in [minval, maxval), drawn from the seed of the current trace: a fresh mask each
 * training step, repeatable for a session seeded with `new Session({ seed })`. `seed` is a layer's
 * own seed node instead (seed-generator.ts).
 */
export function randomUniform(shape: Shape, minval = 0, maxval = 1, seed: Node = currentTrace().seed): SymbolicTensor {
  const u = B.randomUniform(seed, shape);
  return minval === 0 && maxval === 1 ? u : B.add(B.multiply(u, maxval - minval), minval);
}
/** Normal numbers with this mean and standard deviation, from the trace's seed (or `seed`) as randomUniform. */
export function randomNormal(shape: Shape, mean = 0, stddev = 1, seed: Node = currentTrace().seed): SymbolicTensor {
  const z = normalQuantile(B.randomUniform(seed, shape));
  return mean === 0 && stddev === 1 ? z : B.add(B.multiply(z, stddev), mean);
}

/** keras.ops.normalize with order 2: x * rsqrt(max(sum(x^2), epsilon^2)), epsilon defaulting to 1e-7. */
export function normalize(x: TensorLike, { axis = -1, epsilon = 1e-7 }: { readonly axis?: Axis; readonly epsilon?: number } = {}): SymbolicTensor {
  const n = float(x);
  const squareSum = sum(square(n), { axis, keepdims: true });
  return B.multiply(n, rsqrt(B.maximum(squareSum, epsilon * epsilon)));
}

export { arange, cumsum, einsum, split, take, tril, triu } from './ops-seq.js';
