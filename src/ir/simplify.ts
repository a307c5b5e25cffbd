/**
 * Constant folding and algebraic identities, applied bottom-up. Every rewrite is exact under the
 * reference interpreter (float64), keeps the shape and dtype of the node it replaces, and never
 * assumes finite values: x*0 is not 0 when x is NaN or infinite, so it is not folded.
 *
 * One caveat shared with every compiler that folds x+0: when x is -0 the result is x (-0) instead
 * of +0. The two compare equal, so no observable value of a Keras program changes.
 */
import * as Build from './build.js';
import type { Graph } from './graph.js';
import { make, type Node } from './node.js';
import type { RefContext, RefTensor } from './ops/rule.js';
import { OPS } from './optable.js';
import { sameShape } from './types.js';

type Rewrite = (node: Node) => Node;

function fillValue(node: Node): number | undefined {
  return node.op === 'fill' ? (node as Node<'fill'>).attrs.value : undefined;
}
const isFill = (node: Node, value: number) => fillValue(node) === value;

/** `x` stretched to `node`'s shape, for identities whose other operand only broadcast the result. */
function like(node: Node, x: Node): Node {
  return sameShape(x.shape, node.shape) ? x : Build.broadcastTo(x, node.shape);
}

const noSources: RefContext = {
  source: () => { throw new Error('simplify: constant folding never reads inputs'); },
};

/**
 * Folds an elementwise op of fills by running the op's own float64 definition on rank-0 copies of
 * its operands, so the folded constant is exactly what the interpreter would have computed.
 */
function foldElementwise(node: Node): Node | undefined {
  if (OPS[node.op].kind !== 'elementwise' || node.inputs.length === 0) return undefined;
  const values = node.inputs.map(fillValue);
  if (values.some((v) => v === undefined)) return undefined;
  const scalars = node.inputs.map((x, i) => Build.fill(values[i]!, [], x.dtype));
  const small = make(node.op, scalars, node.attrs);
  const tensors: RefTensor[] = values.map((v) => ({ shape: [], data: Float64Array.of(v!) }));
  const ref = OPS[node.op].ref as (xs: readonly RefTensor[], n: Node, c: RefContext) => RefTensor;
  return Build.fill(ref(tensors, small, noSources).data[0], node.shape, node.dtype);
}

/**
 * Reductions and movements of fills are fills when every output element sees the same value;
 * each op's record says when (OpRule.foldFills).
 */
function foldStructured(node: Node): Node | undefined {
  const fold = OPS[node.op].foldFills as ((values: readonly (number | undefined)[], n: Node) => number | undefined) | undefined;
  if (fold === undefined) return undefined;
  const value = fold(node.inputs.map(fillValue), node);
  return value === undefined ? undefined : Build.fill(value, node.shape, node.dtype);
}

function compose(inner: readonly number[], outer: readonly number[]): number[] {
  return outer.map((p) => inner[p]);
}
const isIdentityPerm = (perm: readonly number[]) => perm.every((p, i) => p === i);
/** The perm that swaps the two matrix axes, which matmul can absorb as a transpose flag. */
function swapsMatrixAxes(node: Node): boolean {
  if (node.op !== 'transpose') return false;
  const perm = (node as Node<'transpose'>).attrs.perm;
  return (perm.length === 2 && perm[0] === 1 && perm[1] === 0)
    || (perm.length === 3 && perm[0] === 0 && perm[1] === 2 && perm[2] === 1);
}

const AFFINE_BIAS_OPS: ReadonlySet<string> = new Set(['add', 'subtract', 'multiply', 'divide']);
/** The last dimension, or undefined for a scalar. */
const lastDim = (n: Node) => n.shape[n.shape.length - 1];

/**
 * `op(reshape(x), c)` as `reshape(op(x, c))` when `c` is a scalar or a vector along the last
 * axis and the reshape keeps that axis: the same values at the same row-major positions. A Dense
 * or recurrent projection of a 3-D input is a 2-D matmul reshaped back, and its bias then lands
 * next to the matmul, where fusion takes it into the contraction's epilogue instead of a pass of
 * its own over the product.
 */
function sinkThroughReshape(node: Node): Node | undefined {
  if (!AFFINE_BIAS_OPS.has(node.op) || node.inputs.length !== 2) return undefined;
  const [a, b] = node.inputs;
  const side = a.op === 'reshape' ? 0 : b.op === 'reshape' ? 1 : -1;
  if (side < 0) return undefined;
  const reshaped = node.inputs[side];
  const other = node.inputs[1 - side];
  const x = reshaped.inputs[0];
  const along = other.shape.length === 0 || (other.shape.length === 1 && other.shape[0] === lastDim(reshaped));
  if (!along || !sameShape(reshaped.shape, node.shape) || x.shape.length === 0 || lastDim(x) !== lastDim(reshaped) || lastDim(x) === null) return undefined;
  const inner = make(node.op, side === 0 ? [x, other] : [other, x], node.attrs);
  return Build.reshape(inner, node.shape);
}

/**
 * where(x > 0, maxPool2dGrad(x, dy), 0), the relu′ of a relu whose output x was max-pooled, as
 * maxPool2dGrad(x, dy) with positiveOnly: the kernel that routes dy to each window's winner masks
 * it there, where the winner's value is at hand, instead of a pass of its own over the unpooled
 * gradient. Exact: a tap gets dy only where it won, so the mask only ever reads winners' values
 * (NaN > 0 is false in both).
 */
function foldReluIntoPoolGradient(node: Node): Node | undefined {
  if (node.op !== 'where') return undefined;
  const [test, grad, other] = node.inputs;
  if (!isFill(other, 0) || grad.op !== 'maxPool2dGrad' || test.op !== 'greater') return undefined;
  const pool = grad as Node<'maxPool2dGrad'>;
  const x = pool.inputs[0];
  if (pool.attrs.positiveOnly === true || test.inputs[0] !== x || !isFill(test.inputs[1], 0) || !sameShape(node.shape, pool.shape)) return undefined;
  const { window, strides, padding } = pool.attrs;
  return Build.maxPool2dGrad(x, pool.inputs[1], window, strides, padding, true);
}

/** Rewrites whose operands are already simplified; returns the node itself when none applies. */
const identities: Rewrite = (node) => {
  const [a, b, c] = node.inputs;
  switch (node.op) {
    case 'add':
      if (isFill(b, 0)) return like(node, a);
      if (isFill(a, 0)) return like(node, b);
      return node;
    case 'subtract':
      return isFill(b, 0) ? like(node, a) : node;
    case 'multiply':
      if (isFill(b, 1)) return like(node, a);
      if (isFill(a, 1)) return like(node, b);
      return node;
    case 'divide':
      return isFill(b, 1) ? like(node, a) : node;
    case 'negative':
      return a.op === 'negative' ? a.inputs[0] : node;
    case 'stopGradient':
      // Only autodiff reads it, and gradients are built before simplify runs.
      return a;
    case 'where':
      if (b === c) return like(node, b);
      if (a.op === 'fill') return like(node, fillValue(a) ? b : c);
      return node;
    case 'cast':
      return a.dtype === node.dtype ? a : node;
    case 'reshape':
      if (sameShape(a.shape, node.shape)) return a;
      // Compose through the inner reshape; its resolved shape is a valid target for the original input.
      if (a.op === 'reshape') return Build.reshape(a.inputs[0], node.shape);
      return node;
    case 'broadcastTo':
      if (sameShape(a.shape, node.shape)) return a;
      if (a.op === 'broadcastTo') return Build.broadcastTo(a.inputs[0], node.shape);
      return node;
    case 'transpose': {
      const perm = (node as Node<'transpose'>).attrs.perm;
      if (isIdentityPerm(perm)) return a;
      if (a.op === 'transpose') return Build.transpose(a.inputs[0], compose((a as Node<'transpose'>).attrs.perm, perm));
      return node;
    }
    case 'matmul': {
      const { transposeA, transposeB } = (node as Node<'matmul'>).attrs;
      if (swapsMatrixAxes(a)) return Build.matmul(a.inputs[0], b, !transposeA, transposeB);
      if (swapsMatrixAxes(b)) return Build.matmul(a, b.inputs[0], transposeA, !transposeB);
      return node;
    }
    default:
      return node;
  }
};

const rewrite: Rewrite = (node) => foldElementwise(node) ?? foldStructured(node) ?? sinkThroughReshape(node) ?? foldReluIntoPoolGradient(node) ?? identities(node);

/**
 * Applies rewrites until none fires; each one removes a node or moves a reshape toward the
 * sources past an operand that is not a reshape, so this terminates.
 */
function simplifyNode(node: Node): Node {
  let current = node;
  for (;;) {
    const next = rewrite(current);
    if (next === current) break;
    // A rewrite produced a new node from simplified operands: it may enable another rewrite.
    current = next;
  }
  if (!sameShape(current.shape, node.shape) || current.dtype !== node.dtype) {
    throw new Error(`simplify: internal error, a rewrite of ${node.op} changed ${node.dtype}[${node.shape}] to ${current.dtype}[${current.shape}]`);
  }
  return current;
}

/** Simplifies every node reachable from the graph's outputs and updates. */
export function simplify(graph: Graph): Graph {
  const done = new Map<Node, Node>();
  const visit = (root: Node): Node => {
    // Iterative post-order so deep graphs (long training programs) do not overflow the stack.
    const stack: Node[] = [root];
    while (stack.length > 0) {
      const node = stack[stack.length - 1];
      if (done.has(node)) { stack.pop(); continue; }
      const pending = node.inputs.filter((i) => !done.has(i));
      if (pending.length > 0) { stack.push(...pending); continue; }
      stack.pop();
      const inputs = node.inputs.map((i) => done.get(i)!);
      const rebuilt = inputs.every((x, i) => x === node.inputs[i]) ? node : make(node.op, inputs, node.attrs);
      done.set(node, simplifyNode(rebuilt));
    }
    return done.get(root)!;
  };
  return {
    outputs: graph.outputs.map(visit),
    updates: graph.updates.map((u) => ({ variable: u.variable, value: visit(u.value) })),
  };
}
