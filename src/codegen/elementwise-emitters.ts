import type * as ES from 'estree';
import type { Node } from '../ir/node.js';
import type { ElementwiseOp } from '../ir/op-kinds.js';
import { expr } from './template.js';

type Emit = (args: readonly ES.Expression[], node: Node) => ES.Expression;

const u = (src: string): Emit => ([a]) => expr(src, { $a: a });
const b = (src: string): Emit => ([a, c]) => expr(src, { $a: a, $b: c });

/**
 * How each elementwise primitive reads in JavaScript. Arithmetic runs in float64 and is rounded
 * once, when a kernel stores to a Float32Array; comparisons yield booleans, stored as 0/1 bytes.
 * Keyed by the op table's elementwise ops (ir/op-kinds.ts), so a new elementwise op without an
 * emitter does not type-check.
 */
export const ELEMENTWISE: { readonly [K in ElementwiseOp]: Emit } = {
  negative: u('-$a'),
  exp: u('Math.exp($a)'),
  log: u('Math.log($a)'),
  sqrt: u('Math.sqrt($a)'),
  tanh: u('Math.tanh($a)'),
  abs: u('Math.abs($a)'),
  sign: u('Math.sign($a)'),
  erf: u('H.erf($a)'),
  // In float64, exp(-x) overflows to Infinity only where the result rounds to 0 anyway: no branch needed.
  sigmoid: u('1 / (1 + Math.exp(-$a))'),
  stopGradient: ([a]) => a,
  cast: ([a], node) => {
    const from = node.inputs[0].dtype;
    const to = (node as Node<'cast'>).attrs.dtype;
    if (to === 'bool') return expr('$a !== 0', { $a: a });
    if (from === 'bool') return expr('$a ? 1 : 0', { $a: a });
    if (to === 'int32') return expr('Math.trunc($a) | 0', { $a: a });
    return a;
  },
  add: b('$a + $b'),
  subtract: b('$a - $b'),
  multiply: b('$a * $b'),
  divide: b('$a / $b'),
  power: b('Math.pow($a, $b)'),
  maximum: b('Math.max($a, $b)'),
  minimum: b('Math.min($a, $b)'),
  less: b('$a < $b'),
  lessEqual: b('$a <= $b'),
  greater: b('$a > $b'),
  greaterEqual: b('$a >= $b'),
  equal: b('$a === $b'),
  notEqual: b('$a !== $b'),
  where: ([c, x, y]) => expr('$c ? $x : $y', { $c: c, $x: x, $y: y }),
};

export function isElementwiseOp(op: string): op is ElementwiseOp {
  return op in ELEMENTWISE;
}
