/**
 * The few graph compositions the API needs that keras.ops does not name, written once on IR
 * primitives: the first-index argmax as float32 (what `ops.argmax` casts, and what accuracy
 * metrics compare), one-hot labels, Keras's rank matching of labels and predictions, and element
 * counts.
 * Everything else the API layer computes is written with `ops`, as users write custom layers.
 */
import * as B from '../ir/build.js';
import type { Node } from '../ir/node.js';
import type { Shape } from '../ir/types.js';

export function elementCount(shape: Shape): number {
  let n = 1;
  for (const d of shape) {
    if (d === null) throw new Error('elementCount: shape has a symbolic dimension');
    n *= d;
  }
  return n;
}

/**
 * The index of the first maximum along (normalised) `axis`, as float32, as TF's argmax picks the
 * first: the smallest index among the maxima, via the max of the negated indices.
 */
export function firstMaxIndex(x: Node, axis: number, keepdims = false): Node {
  const isMax = B.equal(x, B.max(x, axis, true));
  const index = B.iota(x.shape, axis, 'float32');
  const outside = x.shape[axis] ?? 0x7fffffff;
  return B.negative(B.max(B.where(isMax, B.negative(index), -outside), axis, keepdims));
}

/**
 * Keras's squeeze_or_expand_to_same_rank: labels of shape (N,) meet predictions of shape (N, 1)
 * (and the reverse) by adding or dropping the trailing unit axis.
 */
export function matchRank(yTrue: Node, yPred: Node): [Node, Node] {
  const rt = yTrue.shape.length, rp = yPred.shape.length;
  if (rt === rp - 1 && yPred.shape[rp - 1] === 1) return [B.reshape(yTrue, [...yTrue.shape, 1]), yPred];
  if (rp === rt - 1 && yTrue.shape[rt - 1] === 1) return [B.reshape(yTrue, yTrue.shape.slice(0, -1)), yPred];
  return [yTrue, yPred];
}

/** One-hot float32 encoding of integer labels against the classes of `like`'s last axis. */
export function oneHotLike(labels: Node, like: Node): Node {
  const classes = B.iota(like.shape, -1, 'int32');
  return B.cast(B.equal(classes, B.reshape(labels, [...labels.shape, 1])), 'float32');
}
