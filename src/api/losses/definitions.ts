/**
 * Per-sample definitions of Keras 3's regression, hinge, divergence and focal losses over graph
 * nodes, each written as Keras's keras/src/losses/losses.py function of the same name (the last
 * axis reduced). Clipping constants are Keras's backend epsilon.
 */
import type { Node } from '../../ir/node.js';
import { formatShape, ShapeError } from '../../ir/types.js';
import { matchRank } from '../graph-math.js';
import * as ops from '../ops.js';

const EPSILON = 1e-7;

function floatPair(yTrue: Node, yPred: Node): [Node, Node] {
  return matchRank(ops.cast(yTrue, 'float32'), yPred);
}

export function checkSameShape(name: string, t: Node, p: Node): void {
  if (t.shape.length !== p.shape.length || t.shape.some((d, i) => d !== null && p.shape[i] !== null && d !== p.shape[i])) {
    throw new ShapeError(`${name}: labels of shape ${formatShape(t.shape)} do not match predictions of shape ${formatShape(p.shape)}`);
  }
}

export function huberNode(yTrue: Node, yPred: Node, delta = 1): Node {
  const [t, p] = floatPair(yTrue, yPred);
  const error = ops.subtract(p, t);
  const absError = ops.abs(error);
  const quadratic = ops.multiply(0.5, ops.square(error));
  const linear = ops.subtract(ops.multiply(delta, absError), 0.5 * delta * delta);
  return ops.mean(ops.where(ops.lessEqual(absError, delta), quadratic, linear), -1);
}

/** log(cosh(x)) as x + softplus(-2x) - log 2, which does not overflow for large |x|. */
export function logCoshNode(yTrue: Node, yPred: Node): Node {
  const [t, p] = floatPair(yTrue, yPred);
  const x = ops.subtract(p, t);
  return ops.mean(ops.subtract(ops.add(x, ops.softplus(ops.multiply(x, -2))), Math.log(2)), -1);
}

export function klDivergenceNode(yTrue: Node, yPred: Node): Node {
  const t = ops.clip(ops.cast(yTrue, 'float32'), EPSILON, 1);
  const p = ops.clip(yPred, EPSILON, 1);
  checkSameShape('kl_divergence', t, p);
  return ops.sum(ops.multiply(t, ops.log(ops.divide(t, p))), -1);
}

export function poissonNode(yTrue: Node, yPred: Node): Node {
  const t = ops.cast(yTrue, 'float32');
  checkSameShape('poisson', t, yPred);
  return ops.mean(ops.subtract(yPred, ops.multiply(t, ops.log(ops.add(yPred, EPSILON)))), -1);
}

export function cosineSimilarityNode(yTrue: Node, yPred: Node, axis = -1): Node {
  const [t, p] = floatPair(yTrue, yPred);
  checkSameShape('cosine_similarity', t, p);
  return ops.negative(ops.sum(ops.multiply(ops.normalize(t, { axis }), ops.normalize(p, { axis })), axis));
}

/**
 * Keras converts labels to -1/1 when every label of the batch is 0 or 1 (a decision over the
 * whole batch, as its ops.cond is), and keeps them otherwise.
 */
function hingeLabels(t: Node): Node {
  const isBinaryEach = ops.cast(ops.logicalOr(ops.equal(t, 0), ops.equal(t, 1)), 'float32');
  const allBinary = ops.greater(ops.min(isBinaryEach), 0.5);
  return ops.where(allBinary, ops.subtract(ops.multiply(t, 2), 1), t);
}

function hingeMargins(yTrue: Node, yPred: Node, name: string): Node {
  const [t, p] = floatPair(yTrue, yPred);
  checkSameShape(name, t, p);
  return ops.maximum(ops.subtract(1, ops.multiply(hingeLabels(t), p)), 0);
}

export function hingeNode(yTrue: Node, yPred: Node): Node {
  return ops.mean(hingeMargins(yTrue, yPred, 'hinge'), -1);
}

export function squaredHingeNode(yTrue: Node, yPred: Node): Node {
  return ops.mean(ops.square(hingeMargins(yTrue, yPred, 'squared_hinge')), -1);
}

export function categoricalHingeNode(yTrue: Node, yPred: Node): Node {
  const t = ops.cast(yTrue, 'float32');
  checkSameShape('categorical_hinge', t, yPred);
  const pos = ops.sum(ops.multiply(t, yPred), -1);
  const neg = ops.max(ops.multiply(ops.subtract(1, t), yPred), -1);
  return ops.maximum(ops.add(ops.subtract(neg, pos), 1), 0);
}

export function mapeNode(yTrue: Node, yPred: Node): Node {
  const [t, p] = floatPair(yTrue, yPred);
  const diff = ops.abs(ops.divide(ops.subtract(t, p), ops.maximum(ops.abs(t), EPSILON)));
  return ops.multiply(100, ops.mean(diff, -1));
}

export function msleNode(yTrue: Node, yPred: Node): Node {
  const [t, p] = floatPair(yTrue, yPred);
  const first = ops.log(ops.add(ops.maximum(p, EPSILON), 1));
  const second = ops.log(ops.add(ops.maximum(t, EPSILON), 1));
  return ops.mean(ops.square(ops.subtract(first, second)), -1);
}

export interface BinaryFocalOptions {
  readonly applyClassBalancing?: boolean;
  readonly alpha?: number;
  readonly gamma?: number;
  readonly fromLogits?: boolean;
  readonly labelSmoothing?: number;
}

export function binaryFocalNode(yTrue: Node, yPred: Node, options: BinaryFocalOptions = {}): Node {
  let [t, p] = floatPair(yTrue, yPred);
  checkSameShape('binary_focal_crossentropy', t, p);
  const smoothing = options.labelSmoothing ?? 0;
  const alpha = options.alpha ?? 0.25;
  if (smoothing > 0) t = ops.add(ops.multiply(t, 1 - smoothing), 0.5 * smoothing);
  if (options.fromLogits) p = ops.sigmoid(p);
  const clipped = ops.clip(p, EPSILON, 1 - EPSILON);
  const oneMinusT = ops.subtract(1, t);
  const bce = ops.negative(ops.add(ops.multiply(t, ops.log(clipped)), ops.multiply(oneMinusT, ops.log(ops.subtract(1, clipped)))));
  // p_t uses the unclipped probabilities, as Keras does.
  const pT = ops.add(ops.multiply(t, p), ops.multiply(oneMinusT, ops.subtract(1, p)));
  let focal = ops.multiply(ops.power(ops.subtract(1, pT), options.gamma ?? 2), bce);
  if (options.applyClassBalancing) focal = ops.multiply(ops.add(ops.multiply(t, alpha), ops.multiply(oneMinusT, 1 - alpha)), focal);
  return ops.mean(focal, -1);
}

export interface CategoricalFocalOptions {
  readonly alpha?: number;
  readonly gamma?: number;
  readonly fromLogits?: boolean;
  readonly labelSmoothing?: number;
}

export function categoricalFocalNode(yTrue: Node, yPred: Node, options: CategoricalFocalOptions = {}): Node {
  let t = ops.cast(yTrue, 'float32');
  checkSameShape('categorical_focal_crossentropy', t, yPred);
  const smoothing = options.labelSmoothing ?? 0;
  if (smoothing > 0) t = ops.add(ops.multiply(t, 1 - smoothing), smoothing / (yPred.shape[yPred.shape.length - 1] as number));
  const p = options.fromLogits ? ops.softmax(yPred, -1) : yPred;
  const output = ops.clip(ops.divide(p, ops.sum(p, { axis: -1, keepdims: true })), EPSILON, 1 - EPSILON);
  const cce = ops.negative(ops.multiply(t, ops.log(output)));
  const weighting = ops.multiply(ops.power(ops.subtract(1, output), options.gamma ?? 2), options.alpha ?? 0.25);
  return ops.sum(ops.multiply(weighting, cce), -1);
}
