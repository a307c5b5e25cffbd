/**
 * Reverse-mode automatic differentiation over the IR. Gradients are built as ordinary nodes, so
 * they are simplified, fused and compiled like the forward graph they join.
 */
import * as Build from './build.js';
import { topoOrder } from './graph.js';
import type { Node } from './node.js';
import type { Builder } from './ops/rule.js';
import { OPS } from './optable.js';
import { formatShape, sameShape, ShapeError } from './types.js';

type VjpRule = (g: Node, node: Node, b: Builder) => readonly (Node | null)[];

/**
 * Only float32 values carry gradients: integer and boolean values are piecewise constant, so a
 * path through them contributes zero and is cut here instead of building zeros.
 */
function carriesGradient(node: Node): boolean {
  return node.dtype === 'float32';
}

/**
 * Nodes that lie on a path from some `wrt` node to the outputs, so a cotangent computed for them
 * can reach a `wrt`. Everything else is skipped: no useless gradient is ever built.
 */
function dependsOnWrt(order: readonly Node[], wrt: ReadonlySet<Node>): Set<Node> {
  const deps = new Set<Node>();
  for (const node of order) {
    if (!carriesGradient(node)) continue;
    if (wrt.has(node) || node.inputs.some((i) => deps.has(i))) deps.add(node);
  }
  return deps;
}

function checkCotangent(what: string, ct: Node, like: Node): void {
  if (!sameShape(ct.shape, like.shape) || ct.dtype !== like.dtype) {
    throw new ShapeError(`${what}: cotangent ${ct.dtype}${formatShape(ct.shape)} does not match the value ${like.dtype}${formatShape(like.shape)} (op ${like.op})`);
  }
}

/**
 * The vector-Jacobian product: the cotangents of `wrt` given cotangents of `outputs`.
 * A `wrt` node the outputs do not depend on gets zeros of its shape.
 */
export function vjp(outputs: readonly Node[], cotangents: readonly Node[], wrt: readonly Node[]): Node[] {
  if (outputs.length !== cotangents.length) {
    throw new Error(`vjp: got ${outputs.length} outputs but ${cotangents.length} cotangents`);
  }
  const order = topoOrder(outputs);
  const relevant = dependsOnWrt(order, new Set(wrt));
  // Contributions are kept as lists and summed once, in a fixed order, so the graph is deterministic.
  const parts = new Map<Node, Node[]>();
  const contribute = (node: Node, ct: Node, what: string): void => {
    checkCotangent(what, ct, node);
    const list = parts.get(node);
    if (list === undefined) parts.set(node, [ct]);
    else list.push(ct);
  };
  outputs.forEach((out, i) => {
    if (relevant.has(out)) contribute(out, cotangents[i], `vjp: output ${i}`);
  });

  const total = (node: Node): Node | undefined => {
    const list = parts.get(node);
    if (list === undefined) return undefined;
    const sum = sumOfLeadingPieces(node, list) ?? list.reduce((acc, ct) => Build.add(acc, ct));
    // Collapse so a node read again (as a wrt) sees the finished sum, not a growing list.
    parts.set(node, [sum]);
    return sum;
  };

  for (let k = order.length - 1; k >= 0; k--) {
    const node = order[k];
    if (!relevant.has(node) || !node.inputs.some((i) => relevant.has(i))) continue;
    const g = total(node);
    if (g === undefined) continue;
    const rule = OPS[node.op].vjp as VjpRule;
    const cts = rule(g, node, Build);
    node.inputs.forEach((input, i) => {
      const ct = cts[i];
      if (ct === null || ct === undefined || !relevant.has(input)) return;
      contribute(input, ct, `vjp of ${node.op}, input ${i}`);
    });
  }
  return wrt.map((w) => total(w) ?? Build.zerosLike(w));
}

/**
 * Contributions that are disjoint pieces of `node` along axis 0, each zero-padded to its shape
 * (the cotangents of slices of a time-major sequence, one per step of an unrolled recurrence),
 * sum as one concatenate of the pieces and zeros: adding T full-size pads would cost T times
 * the whole tensor. Undefined when the contributions are not all such pieces.
 */
function sumOfLeadingPieces(node: Node, list: readonly Node[]): Node | undefined {
  const size = node.shape[0];
  if (list.length < 2 || size === null || size === undefined) return undefined;
  const pieces: Array<{ lo: number; value: Node }> = [];
  for (const ct of list) {
    if (ct.op !== 'pad') return undefined;
    const { widths, value } = (ct as Node<'pad'>).attrs;
    if (value !== 0 || widths.slice(1).some(([lo, hi]) => lo !== 0 || hi !== 0)) return undefined;
    pieces.push({ lo: widths[0][0], value: ct.inputs[0] });
  }
  pieces.sort((a, b) => a.lo - b.lo);
  const parts: Node[] = [];
  let at = 0;
  for (const { lo, value } of pieces) {
    if (lo < at) return undefined;
    if (lo > at) parts.push(Build.fill(0, [lo - at, ...node.shape.slice(1)], node.dtype));
    parts.push(value);
    at = lo + (value.shape[0] as number);
  }
  if (at < size) parts.push(Build.fill(0, [size - at, ...node.shape.slice(1)], node.dtype));
  return Build.concatenate(parts, 0);
}

/** Gradients of the float32 scalar `y` with respect to each of `wrt`. */
export function grad(y: Node, wrt: readonly Node[]): Node[] {
  if (y.shape.length !== 0 || y.dtype !== 'float32') {
    throw new ShapeError(`grad: expected a float32 scalar to differentiate, got ${y.dtype}${formatShape(y.shape)}; reduce it (e.g. with sum) first`);
  }
  return vjp([y], [Build.scalar(1)], wrt);
}
