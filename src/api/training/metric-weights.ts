/**
 * Keras 3's weighted mean-metric update (metrics/reduction_metrics.py reduce_to_samplewise_values
 * and Mean.update_state), as graph: what a MeanMetricWrapper adds to its total and count for one
 * batch of values and weights. Weights may be per sample, (N,) or (N, 1), or per step, (N, T),
 * as a Keras mask makes them.
 */
import type { Node } from '../../ir/node.js';
import * as ops from '../ops.js';

const trailingAxes = (from: number, rank: number): number[] => Array.from({ length: rank - from }, (_, k) => k + from);

/** Keras's squeeze_or_expand_to_same_rank (expand_rank_1): reconciles a trailing axis of 1. */
function sameRank(values: Node, weights: Node): [Node, Node] {
  let v = values;
  let w = weights;
  const rv = v.shape.length;
  const rw = w.shape.length;
  if (rv === rw + 1 && v.shape[rv - 1] === 1) {
    if (rw === 1) w = ops.expandDims(w, -1);
    else v = ops.squeeze(v, -1);
  }
  if (rw === rv + 1 && w.shape[rw - 1] === 1) {
    if (rv === 1) v = ops.expandDims(v, -1);
    else w = ops.squeeze(w, -1);
  }
  return [v, w];
}

/**
 * The batch's contribution to a mean metric's (total, count). Values are averaged down to the
 * weights' rank, weighted, then averaged per sample; the count is the per-sample mean weight
 * summed, so per-step weights count a sample by its mean weight (and the total matches).
 */
export function weightedMeanSums(values: Node, weights: Node): { total: Node; count: Node } {
  let [v, w] = sameRank(values, weights);
  const rw = w.shape.length;
  if (v.shape.length > rw) v = ops.mean(v, trailingAxes(rw, v.shape.length));
  const spread = ops.broadcastTo(w, v.shape);
  v = ops.multiply(v, spread);
  const perSampleWeight = rw > 1 ? ops.mean(spread, trailingAxes(1, rw)) : spread;
  if (v.shape.length > 1) v = ops.mean(v, trailingAxes(1, v.shape.length));
  return { total: ops.sum(v), count: ops.sum(perSampleWeight) };
}
