/**
 * The standard normal quantile (inverse CDF) as a composition of primitives, so a normal sample
 * is quantile(uniform) with the uniform generator the compiler already has. Acklam's rational
 * approximation: relative error below 1.2e-9, far under float32's resolution.
 */
import * as B from '../ir/build.js';
import type { Node } from '../ir/node.js';

const CENTRAL_NUMERATOR = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00];
const CENTRAL_DENOMINATOR = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01, 1];
const TAIL_NUMERATOR = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00];
const TAIL_DENOMINATOR = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00, 1];
/** Below this probability (and above 1 minus it) the tail formula applies. */
const TAIL = 0.02425;
/** float32 uniforms can be exactly 0, whose quantile is -infinity. */
const SMALLEST = 2 ** -24;

function polynomial(x: Node, coefficients: readonly number[]): Node {
  return coefficients.slice(2).reduce<Node>((acc, c) => B.add(B.multiply(acc, x), c), B.add(B.multiply(x, coefficients[0]), coefficients[1]));
}

/** Normal quantile of probabilities p in [0, 1) (float32). */
export function normalQuantile(uniform: Node): Node {
  const p = B.minimum(B.maximum(uniform, SMALLEST), 1 - SMALLEST);
  const q = B.subtract(p, 0.5);
  const r = B.multiply(q, q);
  const central = B.divide(B.multiply(polynomial(r, CENTRAL_NUMERATOR), q), polynomial(r, CENTRAL_DENOMINATOR));
  // The tails are mirror images: evaluate the lower-tail formula at min(p, 1 - p), flip for the upper.
  const s = B.sqrt(B.multiply(B.log(B.minimum(p, B.subtract(1, p))), -2));
  const lowerTail = B.divide(polynomial(s, TAIL_NUMERATOR), polynomial(s, TAIL_DENOMINATOR));
  return B.where(B.less(p, TAIL), lowerTail, B.where(B.greater(p, 1 - TAIL), B.negative(lowerTail), central));
}
