/**
 * Typed constructors for every primitive: the only way the rest of the code makes nodes.
 * They canonicalise attributes (sorted axes, scalars as constants) so interning finds equal
 * expressions, and skip identities that need no node at all (a sum over no axes).
 */
import type { Pair, Padding2D } from './attrs.js';
import { make, type Node } from './node.js';
import type { DType, Dim, Shape } from './types.js';
import { normalizeAxis, sameShape, ShapeError } from './types.js';

export type Operand = Node | number;

let nextSlot = 1;
let nextStream = 1;

/** A program input. Each call makes a distinct input, even with the same label. */
export function input(label: string, shape: Shape, dtype: DType = 'float32'): Node<'input'> {
  return make('input', [], { slot: nextSlot++, label, shape: [...shape], dtype });
}
export function variable(varId: number, label: string, shape: Shape, dtype: DType = 'float32'): Node<'variable'> {
  return make('variable', [], { varId, label, shape: [...shape], dtype });
}
export function fill(value: number, shape: Shape, dtype: DType = 'float32'): Node<'fill'> {
  return make('fill', [], { value, shape: [...shape], dtype });
}
export function scalar(value: number, dtype: DType = 'float32'): Node<'fill'> {
  return fill(value, [], dtype);
}
export function iota(shape: Shape, axis: number, dtype: DType = 'int32'): Node<'iota'> {
  return make('iota', [], { shape: [...shape], axis: normalizeAxis(axis, shape.length, 'iota'), dtype });
}
/** Uniform [0, 1) numbers; `seed` is the step's int32 seed input. Each call draws a new stream. */
export function randomUniform(seed: Node, shape: Shape): Node<'randomUniform'> {
  return make('randomUniform', [seed], { shape: [...shape], stream: nextStream++ });
}

function lift(x: Operand, like: Node): Node {
  return typeof x === 'number' ? scalar(x, like.dtype === 'bool' ? 'float32' : like.dtype) : x;
}
function pair(a: Operand, b: Operand): [Node, Node] {
  if (typeof a === 'number' && typeof b === 'number') return [scalar(a), scalar(b)];
  if (typeof a === 'number') return [lift(a, b as Node), b as Node];
  if (typeof b === 'number') return [a, lift(b, a)];
  return [a, b];
}

export const negative = (x: Node) => make('negative', [x], {});
export const exp = (x: Node) => make('exp', [x], {});
export const log = (x: Node) => make('log', [x], {});
export const sqrt = (x: Node) => make('sqrt', [x], {});
export const tanh = (x: Node) => make('tanh', [x], {});
export const abs = (x: Node) => make('abs', [x], {});
export const sign = (x: Node) => make('sign', [x], {});
export const erf = (x: Node) => make('erf', [x], {});
export const sigmoid = (x: Node) => make('sigmoid', [x], {});
export const stopGradient = (x: Node) => make('stopGradient', [x], {});
export function cast(x: Node, dtype: DType): Node {
  return x.dtype === dtype ? x : make('cast', [x], { dtype });
}

export const add = (a: Operand, b: Operand) => make('add', pair(a, b), {});
export const subtract = (a: Operand, b: Operand) => make('subtract', pair(a, b), {});
export const multiply = (a: Operand, b: Operand) => make('multiply', pair(a, b), {});
export const divide = (a: Operand, b: Operand) => make('divide', pair(a, b), {});
export const power = (a: Operand, b: Operand) => make('power', pair(a, b), {});
export const maximum = (a: Operand, b: Operand) => make('maximum', pair(a, b), {});
export const minimum = (a: Operand, b: Operand) => make('minimum', pair(a, b), {});
export const less = (a: Operand, b: Operand) => make('less', pair(a, b), {});
export const lessEqual = (a: Operand, b: Operand) => make('lessEqual', pair(a, b), {});
export const greater = (a: Operand, b: Operand) => make('greater', pair(a, b), {});
export const greaterEqual = (a: Operand, b: Operand) => make('greaterEqual', pair(a, b), {});
export const equal = (a: Operand, b: Operand) => make('equal', pair(a, b), {});
export const notEqual = (a: Operand, b: Operand) => make('notEqual', pair(a, b), {});
export function where(cond: Node, a: Operand, b: Operand): Node {
  const [x, y] = pair(a, b);
  return make('where', [cond, x, y], {});
}

function reduceAxes(x: Node, axes: number | readonly number[] | undefined, op: string): number[] {
  const list = axes === undefined ? x.shape.map((_, i) => i) : typeof axes === 'number' ? [axes] : axes;
  return [...new Set(list.map((a) => normalizeAxis(a, x.shape.length, op)))].sort((p, q) => p - q);
}
export function sum(x: Node, axes?: number | readonly number[], keepDims = false): Node {
  const list = reduceAxes(x, axes, 'sum');
  if (list.length === 0) return x;
  return make('sum', [x], { axes: list, keepDims });
}
export function max(x: Node, axes?: number | readonly number[], keepDims = false): Node {
  const list = reduceAxes(x, axes, 'max');
  if (list.length === 0) return x;
  return make('max', [x], { axes: list, keepDims });
}

export function matmul(a: Node, b: Node, transposeA = false, transposeB = false): Node<'matmul'> {
  return make('matmul', [a, b], { transposeA, transposeB });
}
export function conv2d(x: Node, w: Node, strides: Pair, padding: Padding2D, dilation: Pair = [1, 1]): Node<'conv2d'> {
  return make('conv2d', [x, w], { strides, padding, dilation });
}
export function conv2dBackpropInput(dy: Node, w: Node, inputSize: Pair, strides: Pair, padding: Padding2D, dilation: Pair = [1, 1]): Node<'conv2dBackpropInput'> {
  return make('conv2dBackpropInput', [dy, w], { strides, padding, dilation, inputSize });
}
export function conv2dBackpropFilter(x: Node, dy: Node, filterSize: Pair, strides: Pair, padding: Padding2D, dilation: Pair = [1, 1]): Node<'conv2dBackpropFilter'> {
  return make('conv2dBackpropFilter', [x, dy], { strides, padding, dilation, filterSize });
}
export function maxPool2d(x: Node, window: Pair, strides: Pair, padding: Padding2D): Node<'maxPool2d'> {
  return make('maxPool2d', [x], { window, strides, padding });
}
export function maxPool2dGrad(x: Node, dy: Node, window: Pair, strides: Pair, padding: Padding2D, positiveOnly = false): Node<'maxPool2dGrad'> {
  return make('maxPool2dGrad', [x, dy], positiveOnly ? { window, strides, padding, positiveOnly } : { window, strides, padding });
}
export function avgPool2d(x: Node, window: Pair, strides: Pair, padding: Padding2D): Node<'avgPool2d'> {
  return make('avgPool2d', [x], { window, strides, padding });
}
export function avgPool2dGrad(dy: Node, inputSize: Pair, window: Pair, strides: Pair, padding: Padding2D): Node<'avgPool2dGrad'> {
  return make('avgPool2dGrad', [dy], { window, strides, padding, inputSize });
}

export function reshape(x: Node, shape: Shape): Node {
  const node = make('reshape', [x], { shape: [...shape] });
  return sameShape(node.shape, x.shape) ? x : node;
}
export function transpose(x: Node, perm?: readonly number[]): Node {
  const p = perm ?? x.shape.map((_, i) => x.shape.length - 1 - i);
  if (p.every((v, i) => v === i) && p.length === x.shape.length) return x;
  return make('transpose', [x], { perm: [...p] });
}
export function broadcastTo(x: Node, shape: Shape): Node {
  if (sameShape(x.shape, shape)) return x;
  return make('broadcastTo', [x], { shape: [...shape] });
}
export function slice(x: Node, begin: readonly number[], end: readonly number[]): Node {
  if (begin.every((b) => b === 0) && end.every((e, i) => e === x.shape[i])) return x;
  return make('slice', [x], { begin: [...begin], end: [...end] });
}
export function pad(x: Node, widths: readonly Pair[], value = 0): Node {
  if (widths.every(([lo, hi]) => lo === 0 && hi === 0)) return x;
  return make('pad', [x], { widths: widths.map(([lo, hi]) => [lo, hi] as const), value });
}
export function concatenate(xs: readonly Node[], axis: number): Node {
  if (xs.length === 0) throw new ShapeError('concatenate: expected at least one tensor, got none');
  if (xs.length === 1) return xs[0];
  return make('concatenate', xs, { axis: normalizeAxis(axis, xs[0].shape.length, 'concatenate') });
}
export function gather(table: Node, indices: Node, label = 'gather'): Node<'gather'> {
  return make('gather', [table, indices], { label });
}
export function scatterAdd(indices: Node, updates: Node, rows: number): Node<'scatterAdd'> {
  return make('scatterAdd', [indices, updates], { rows });
}

export function zerosLike(x: Node): Node {
  return fill(0, x.shape, x.dtype);
}

/** Sums a broadcast cotangent back to the shape of the operand that was broadcast. */
export function unbroadcast(g: Node, shape: Shape): Node {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.shape.length - shape.length;
  const axes: number[] = [];
  g.shape.forEach((d: Dim, i) => {
    if (i < lead || (shape[i - lead] === 1 && d !== 1)) axes.push(i);
  });
  return reshape(sum(g, axes), shape);
}
