/**
 * Small compositions of IR primitives shared by losses, metrics and optimizers: each written
 * once so the numerics (clipping, max subtraction, first-index argmax) are the same everywhere.
 */
import * as b from '../ir/build.js';
import type { Node } from '../ir/node.js';
import type { Shape } from '../ir/types.js';

export function square(x: Node): Node {
  return b.multiply(x, x);
}

/** Mean over the last axis (Keras's `axis=-1` reductions of per-sample losses and metrics). */
export function meanLastAxis(x: Node): Node {
  const n = x.shape[x.shape.length - 1];
  if (n === null) throw new Error('meanLastAxis: the last dimension must be known');
  return b.divide(b.sum(x, -1), n);
}

/** Mean over every element: Keras's 'sum_over_batch_size' reduction. */
export function meanAll(x: Node): Node {
  const n = elementCount(x.shape);
  return b.divide(b.sum(x), n);
}

export function elementCount(shape: Shape): number {
  let n = 1;
  for (const d of shape) {
    if (d === null) throw new Error('elementCount: shape has a symbolic dimension');
    n *= d;
  }
  return n;
}

export function clip(x: Node, lo: number, hi: number): Node {
  return b.minimum(b.maximum(x, lo), hi);
}

/** log(softmax(x)) along the last axis, with the max subtracted first so exp never overflows. */
export function logSoftmax(x: Node): Node {
  const shifted = b.subtract(x, b.max(x, -1, true));
  return b.subtract(shifted, b.log(b.sum(b.exp(shifted), -1, true)));
}

/** The index of the first maximum along the last axis, as float32 (as TF's argmax picks the first). */
export function argmaxLast(x: Node): Node {
  const c = x.shape[x.shape.length - 1];
  if (c === null) throw new Error('argmax: the last dimension must be known');
  const isMax = b.equal(x, b.max(x, -1, true));
  const idx = b.iota(x.shape, -1, 'float32');
  // The smallest index among the maxima, via max of the negated indices.
  return b.negative(b.max(b.where(isMax, b.negative(idx), -c), -1));
}

/** Adds a trailing axis of size 1. */
export function expandLast(x: Node): Node {
  return b.reshape(x, [...x.shape, 1]);
}

/** Drops a trailing axis of size 1. */
export function squeezeLast(x: Node): Node {
  return b.reshape(x, x.shape.slice(0, -1));
}

/**
 * Keras's squeeze_or_expand_to_same_rank: labels of shape (N,) meet predictions of shape (N, 1)
 * (and the reverse) by adding or dropping the trailing unit axis.
 */
export function matchRank(yTrue: Node, yPred: Node): [Node, Node] {
  const rt = yTrue.shape.length, rp = yPred.shape.length;
  if (rt === rp - 1 && yPred.shape[rp - 1] === 1) return [expandLast(yTrue), yPred];
  if (rp === rt - 1 && yTrue.shape[rt - 1] === 1) return [squeezeLast(yTrue), yPred];
  return [yTrue, yPred];
}

export function toFloat(x: Node): Node {
  return b.cast(x, 'float32');
}
