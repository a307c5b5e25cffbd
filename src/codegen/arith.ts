/**
 * Index arithmetic with literal folding, so generated code reads `y - 1` rather than
 * `y * 1 - 1 + kh * 1 + 0`. Only the shapes of expressions change, never their values.
 */
import type * as ES from 'estree';
import { expr } from './template.js';

export function plus(e: ES.Expression, n: number): ES.Expression {
  if (n === 0) return e;
  return n > 0 ? expr('$e + $n', { $e: e, $n: n }) : expr('$e - $n', { $e: e, $n: -n });
}

export function times(e: ES.Expression, n: number): ES.Expression {
  return n === 1 ? e : expr('$e * $n', { $e: e, $n: n });
}
