import type { BinaryOp as Binary, ComparisonOp as Comparison, OpName, UnaryOp as Unary } from '../attrs.js';
import type { Node } from '../node.js';
import { erf } from '../math.js';
import { broadcastShapes, ShapeError, type DType } from '../types.js';
import { outShape, refMap, toInt32 } from './ref-util.js';
import type { Builder, OpRule, RefTensor, RuleTable } from './rule.js';

/** Rounds a float64 result to what the output dtype stores, so the reference matches stored values' semantics. */
function store(dtype: DType, x: number): number {
  if (dtype === 'int32') return toInt32(x);
  if (dtype === 'bool') return x ? 1 : 0;
  return x;
}

function requireFloat(op: string, x: Node): void {
  if (x.dtype !== 'float32') throw new ShapeError(`${op}: expected a float32 tensor, got ${x.dtype}`);
}

function unary<K extends Unary>(
  op: K,
  f: (x: number) => number,
  vjp: (g: Node, x: Node, y: Node, b: Builder) => Node,
  floatOnly: boolean,
): OpRule<K, 'elementwise'> {
  return {
    arity: 1, kind: 'elementwise',
    shape: ([x]) => x.shape,
    dtype: ([x], _a) => {
      if (floatOnly) requireFloat(op, x);
      if (x.dtype === 'bool') throw new ShapeError(`${op}: expected a numeric tensor, got bool`);
      return x.dtype;
    },
    vjp: (g, node, b) => [vjp(g, node.inputs[0], node, b)],
    ref: ([x], node) => refMap([x], outShape(node.shape), (v) => store(node.dtype, f(v))),
  };
}

/**
 * The VJP of maximum (`past` = 'greater') or minimum ('less'). Against a constant (relu is
 * maximum(x, 0), relu6 clamps both ways) the mask is taken from the result: y > c exactly when
 * x > c, so the gradient reads the activation, and the pre-activation has a single reader and
 * stays inside its matmul's epilogue in training too. At a tie x = c the constant wins, so
 * relu'(0) = 0 as in Keras (TensorFlow's ReluGrad, JAX's relu). Otherwise the first operand wins
 * ties, as TensorFlow's maximum gradient does.
 */
function clampVjp(g: Node, a: Node, b: Node, y: Node, bld: Builder, past: 'greater' | 'less'): [Node, Node] {
  const beyond = (u: Node, v: Node) => (past === 'greater' ? bld.greater(u, v) : bld.less(u, v));
  if (b.op === 'fill') {
    const first = beyond(y, b);
    return [bld.where(first, g, 0), bld.where(first, 0, g)];
  }
  if (a.op === 'fill') {
    // y past the constant a exactly when b is, the same mask as comparing a with b.
    const second = beyond(y, a);
    return [bld.where(second, 0, g), bld.where(second, g, 0)];
  }
  const first = past === 'greater' ? bld.greaterEqual(a, b) : bld.lessEqual(a, b);
  return [bld.where(first, g, 0), bld.where(first, 0, g)];
}

function binaryShape(op: string) {
  return (inputs: readonly Node[]) => broadcastShapes(op, inputs.map((i) => i.shape));
}
function sameDtype(op: string, a: Node, b: Node): DType {
  if (a.dtype !== b.dtype) throw new ShapeError(`${op}: operands have different dtypes ${a.dtype} and ${b.dtype}; cast one of them first`);
  return a.dtype;
}

function binary<K extends Binary>(
  op: K,
  f: (a: number, b: number) => number,
  vjp: (g: Node, a: Node, b: Node, y: Node, bld: Builder) => [Node, Node],
  floatOnly = false,
): OpRule<K, 'elementwise'> {
  return {
    arity: 2, kind: 'elementwise',
    shape: binaryShape(op),
    dtype: ([a, b]) => {
      const t = sameDtype(op, a, b);
      if (t === 'bool') throw new ShapeError(`${op}: expected numeric tensors, got bool`);
      if (floatOnly) requireFloat(op, a);
      return t;
    },
    vjp: (g, node, bld) => {
      const [a, b] = node.inputs;
      const [ga, gb] = vjp(g, a, b, node, bld);
      return [bld.unbroadcast(ga, a.shape), bld.unbroadcast(gb, b.shape)];
    },
    ref: ([a, b], node) => refMap([a, b], outShape(node.shape), (x, y) => store(node.dtype, f(x, y))),
  };
}

function comparison<K extends Comparison>(op: K, f: (a: number, b: number) => boolean): OpRule<K, 'elementwise'> {
  return {
    arity: 2, kind: 'elementwise', compares: true,
    shape: binaryShape(op),
    dtype: ([a, b]) => (sameDtype(op, a, b), 'bool'),
    vjp: () => [null, null],
    ref: ([a, b], node) => refMap([a, b], outShape(node.shape), (x, y) => (f(x, y) ? 1 : 0)),
  };
}

/**
 * Marks a record as worth storing rather than recomputing in each consumer (see OpRule.expensive),
 * with its cost per element in a SIMD pass where it has one (OpRule.passCost; bench/passes.ts measures it).
 */
const expensive = <K extends OpName>(rule: OpRule<K, 'elementwise'>, passCost?: number): OpRule<K, 'elementwise'> => ({ ...rule, expensive: true, ...(passCost === undefined ? {} : { passCost }) });

/** int32 division is not a primitive: Keras's divide returns floats, so callers cast first. */
export const elementwiseRules: RuleTable<Unary | Binary | Comparison | 'where' | 'cast', 'elementwise'> = {
  negative: unary('negative', (x) => -x, (g, _x, _y, b) => b.negative(g), false),
  exp: expensive(unary('exp', Math.exp, (g, _x, y, b) => b.multiply(g, y), true), 120),
  log: expensive(unary('log', Math.log, (g, x, _y, b) => b.divide(g, x), true), 160),
  sqrt: expensive(unary('sqrt', Math.sqrt, (g, _x, y, b) => b.divide(b.multiply(g, 0.5), y), true), 16),
  tanh: expensive(unary('tanh', Math.tanh, (g, _x, y, b) => b.multiply(g, b.subtract(1, b.multiply(y, y))), true), 200),
  // Its own primitive (not exp and where), so a recurrent cell's gates and their gradient y·(1 − y) are a few operations per element.
  sigmoid: expensive(unary('sigmoid', (x) => 1 / (1 + Math.exp(-x)), (g, _x, y, b) => b.multiply(g, b.multiply(y, b.subtract(1, y))), true), 160),
  abs: unary('abs', Math.abs, (g, x, _y, b) => b.multiply(g, b.sign(x)), false),
  sign: unary('sign', Math.sign, (g, _x, _y, b) => b.zerosLike(g), false),
  erf: expensive(unary('erf', erf, (g, x, _y, b) => b.multiply(g, b.multiply(2 / Math.sqrt(Math.PI), b.exp(b.negative(b.multiply(x, x))))), true)),

  // The identity whose cotangent is cut: autodiff skips the input. Simplify then drops the node,
  // so no kernel ever sees it; the emitters still give it the identity for graphs not simplified.
  stopGradient: {
    arity: 1, kind: 'elementwise',
    shape: ([x]) => x.shape,
    dtype: ([x]) => x.dtype,
    vjp: () => [null],
    ref: ([x], node) => refMap([x], outShape(node.shape), (v) => v),
  },

  add: binary('add', (a, b) => a + b, (g, _a, _b, _y, bld) => [g, g]),
  subtract: binary('subtract', (a, b) => a - b, (g, _a, _b, _y, bld) => [g, bld.negative(g)]),
  multiply: binary('multiply', (a, b) => a * b, (g, a, b, _y, bld) => [bld.multiply(g, b), bld.multiply(g, a)]),
  divide: expensive(binary('divide', (a, b) => a / b, (g, _a, b, y, bld) => [bld.divide(g, b), bld.negative(bld.divide(bld.multiply(g, y), b))], true), 6),
  power: expensive(binary('power', (a, b) => Math.pow(a, b), (g, a, b, y, bld) => [
    bld.multiply(g, bld.multiply(b, bld.power(a, bld.subtract(b, 1)))),
    bld.multiply(g, bld.multiply(y, bld.log(a))),
  ], true)),
  maximum: binary('maximum', Math.max, (g, a, b, y, bld) => clampVjp(g, a, b, y, bld, 'greater')),
  minimum: binary('minimum', Math.min, (g, a, b, y, bld) => clampVjp(g, a, b, y, bld, 'less')),

  less: comparison('less', (a, b) => a < b),
  lessEqual: comparison('lessEqual', (a, b) => a <= b),
  greater: comparison('greater', (a, b) => a > b),
  greaterEqual: comparison('greaterEqual', (a, b) => a >= b),
  equal: comparison('equal', (a, b) => a === b),
  notEqual: comparison('notEqual', (a, b) => a !== b),

  where: {
    arity: 3, kind: 'elementwise',
    shape: binaryShape('where'),
    dtype: ([c, a, b]) => {
      if (c.dtype !== 'bool') throw new ShapeError(`where: the condition must be bool, got ${c.dtype}`);
      return sameDtype('where', a, b);
    },
    vjp: (g, node, bld) => {
      const [c, a, b] = node.inputs;
      return [null, bld.unbroadcast(bld.where(c, g, 0), a.shape), bld.unbroadcast(bld.where(c, 0, g), b.shape)];
    },
    ref: ([c, a, b], node) => refMap([c, a, b], outShape(node.shape), (cv, x, y) => (cv ? x : y)),
  },
  cast: {
    arity: 1, kind: 'elementwise',
    shape: ([x]) => x.shape,
    dtype: (_, a) => a.dtype,
    vjp: (g, node, b) => {
      const x = node.inputs[0];
      return [x.dtype === 'float32' && node.dtype === 'float32' ? g : x.dtype === 'float32' ? b.zerosLike(x) : null];
    },
    ref: ([x], node) => refMap([x], outShape(node.shape), (v) => (node.dtype === 'float32' ? v : store(node.dtype, v))),
  },
};

export type { RefTensor };
