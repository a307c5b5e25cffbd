/**
 * The gradient of a scan body, planned once per body (docs/ARCHITECTURE.md, "Recurrence"): which
 * of the forward step's values the step's VJP reads (its residuals), and the backward body that
 * reads them from per-step stacks instead of recomputing the step, as JAX's scan partial
 * evaluation and cuDNN's RNN training do. The forward scan stores the residuals as extra stacks
 * (scan-body.ts, scanParts); the reverse scan (ops/loop.ts) takes them as sequences.
 */
import { vjp } from './autodiff.js';
import * as Build from './build.js';
import { topoOrder } from './graph.js';
import { make, type Node } from './node.js';
import type { OpAttrs, OpName } from './attrs.js';
import { ScanBody } from './scan-body.js';

/** Where the backward body's parameter for one residual gets its per-step rows. */
export type ResidualSource =
  /** The carry entering the step (carry `index`): saved before the step runs. */
  | { readonly kind: 'carry'; readonly index: number; readonly node: Node }
  /** A value the step computes, saved after it runs (the forward body's extra output `node`). */
  | { readonly kind: 'value'; readonly node: Node }
  /** Step output `index`, already stacked as the scan's result. */
  | { readonly kind: 'y'; readonly index: number; readonly node: Node };

export interface ScanGradientPlan {
  /** Per-step residuals, in the order of the backward body's residual parameters. */
  readonly residuals: readonly ResidualSource[];
  /** Indices in `residuals` of those the backward body reads, in the order of its parameters. */
  readonly residualsRead: readonly number[];
  /** The forward values stored as stacks of their own (`carry` and `value` residuals), in part order. */
  readonly stacked: readonly ResidualSource[];
  /** Indices of the sequences the backward body reads (masks, inputs a VJP reads as they are). */
  readonly xsRead: readonly number[];
  /** Indices of the float32 sequences and constants: the ones that get cotangents. */
  readonly floatX: readonly number[];
  readonly floatK: readonly number[];
  /** Positions in floatK of the constants whose cotangent keeps a per-step part accumulated in the loop. */
  readonly accumulated: readonly number[];
  /**
   * Per position in floatK, the products Aᵀ·B of the constant's per-step cotangent that are
   * summed after the loop as one matmul over all steps (as cuDNN computes weight gradients):
   * each operand is a residual or one more stacked output of the backward scan.
   */
  readonly hoisted: readonly (readonly { readonly a: Operand; readonly b: Operand; readonly pad: readonly (readonly [number, number])[] | null }[])[];
  /**
   * Parameters: the carries' cotangents, the accumulated constants' cotangents (carries), then
   * the residuals, the sequences read, the step outputs' cotangents (sequences), then the forward
   * body's constants. Outputs: the carries' cotangents, the accumulators, the float sequences'
   * cotangents, then the hoisted products' operands computed per step.
   */
  readonly backward: ScanBody;
}

/** A hoisted product's operand, stacked over time: residual `index`, or the backward scan's step output `index` (after the sequences' cotangents). */
export type Operand = { readonly kind: 'residual' | 'y'; readonly index: number };

/** The terms of a sum of same-shaped values. */
function termsOf(v: Node): Node[] {
  if (v.op === 'add' && v.inputs.every((x) => x.shape.length === v.shape.length && x.shape.every((d, i) => d === v.shape[i]))) {
    return [...termsOf(v.inputs[0]), ...termsOf(v.inputs[1])];
  }
  return [v];
}

/** Aᵀ·B of two rank-2 values: a sum of them over steps is one product of the stacked rows. */
const isProduct = (v: Node): v is Node<'matmul'> =>
  v.op === 'matmul' && (v as Node<'matmul'>).attrs.transposeA && !(v as Node<'matmul'>).attrs.transposeB && v.inputs.every((x) => x.shape.length === 2);
/** Such a product, or one zero-padded into a slice of the constant (a kernel read in column blocks): the sum of pads is the pad of the sum. */
const isOuterProduct = (v: Node): boolean =>
  isProduct(v) || (v.op === 'pad' && (v as Node<'pad'>).attrs.value === 0 && isProduct(v.inputs[0]));
const productOf = (v: Node): Node => (v.op === 'pad' ? v.inputs[0] : v);

export interface ScanLayout { readonly body: ScanBody; readonly carries: number; readonly xs: number }

const plans = new WeakMap<ScanBody, Map<string, ScanGradientPlan | Error>>();

/** The plan for a body (cached), or the reason the body cannot be differentiated. */
export function scanGradientPlan(a: ScanLayout): ScanGradientPlan | Error {
  let byLayout = plans.get(a.body);
  if (byLayout === undefined) plans.set(a.body, (byLayout = new Map()));
  const key = `${a.carries},${a.xs}`;
  let plan = byLayout.get(key);
  if (plan === undefined) {
    try {
      plan = buildPlan(a);
    } catch (e) {
      plan = e instanceof Error ? e : new Error(String(e));
    }
    byLayout.set(key, plan);
  }
  return plan;
}

function rebuild(n: Node, inputs: readonly Node[]): Node {
  if (inputs.every((x, i) => x === n.inputs[i])) return n;
  return make(n.op as OpName, inputs, n.attrs as OpAttrs[OpName]);
}

function buildPlan({ body, carries: m, xs: n }: ScanLayout): ScanGradientPlan {
  const outs = body.outputs;
  const carryParams = body.params.slice(0, m);
  const xParams = body.params.slice(m, m + n);
  const constParams = body.params.slice(m + n);
  const floatX = xParams.flatMap((x, j) => (x.dtype === 'float32' ? [j] : []));
  const floatK = constParams.flatMap((k, l) => (k.dtype === 'float32' ? [l] : []));

  const gCarry = carryParams.map((p, i) => Build.input(`scan:dcarry${i}`, p.shape));
  const gConst = floatK.map((l) => Build.input(`scan:dconst${l}`, constParams[l].shape));
  const gY = outs.slice(m).map((o, j) => Build.input(`scan:dy${j}`, o.shape));
  const wrt = [...carryParams, ...floatX.map((j) => xParams[j]), ...floatK.map((l) => constParams[l])];
  const cts = vjp(outs, [...gCarry, ...gY], wrt);
  const constTerms = floatK.map((_, idx) => termsOf(cts[m + floatX.length + idx]).filter((t) => !(t.op === 'fill' && (t as Node<'fill'>).attrs.value === 0)));
  const hoistedTerms = constTerms.map((terms) => terms.filter(isOuterProduct));
  const kept = constTerms.map((terms) => terms.filter((t) => !isOuterProduct(t)));
  const accumulated = kept.flatMap((terms, idx) => (terms.length > 0 ? [idx] : []));
  const operands = hoistedTerms.flatMap((terms) => terms.flatMap((t) => productOf(t).inputs));
  const backOuts = [
    ...carryParams.map((_, i) => cts[i]),
    ...accumulated.map((idx) => kept[idx].reduce((acc, t) => Build.add(acc, t), gConst[idx] as Node)),
    ...floatX.map((_, idx) => cts[m + idx]),
    ...operands,
  ];

  const forward = new Set<Node>([...topoOrder(outs), ...body.params]);
  const carryIndex = new Map<Node, number>(carryParams.map((p, i) => [p, i]));
  const yIndex = new Map<Node, number>();
  outs.slice(m).forEach((o, j) => { if (!yIndex.has(o)) yIndex.set(o, j); });
  // Values that depend on neither a carry nor a sequence are the same every step: recomputed, never stacked.
  const varying = new Set<Node>();
  for (const v of topoOrder(outs)) if (carryIndex.has(v) || xParams.includes(v as Node<'input'>) || v.inputs.some((i) => varying.has(i))) varying.add(v);

  const residuals: ResidualSource[] = [];
  const residualParam = new Map<Node, Node>();
  const resolved = new Map<Node, Node>();
  const save = (v: Node, source: ResidualSource): Node => {
    let p = residualParam.get(v);
    if (p === undefined) {
      p = Build.input(`scan:res${residuals.length}`, v.shape);
      residualParam.set(v, p);
      residuals.push(source);
    }
    return p;
  };
  // The backward body's stand-in for forward value v.
  const resolve = (v: Node): Node => {
    const done = resolved.get(v);
    if (done !== undefined) return done;
    let r: Node;
    const carry = carryIndex.get(v);
    const y = yIndex.get(v);
    if (carry !== undefined) r = save(v, { kind: 'carry', index: carry, node: v });
    // Sequences are passed to the backward scan as they are; constants are its constants too.
    else if (!varying.has(v) || xParams.includes(v as Node<'input'>)) r = v;
    // Every float value the VJP reads is saved, cheap ones too (docs/ARCHITECTURE.md, "Decisions");
    // a mask or other non-float value cannot be stacked in the float32 buffer and is recomputed.
    else if (v.dtype !== 'float32') r = rebuild(v, v.inputs.map(resolve));
    else if (y !== undefined) r = save(v, { kind: 'y', index: y, node: v });
    else r = save(v, { kind: 'value', node: v });
    resolved.set(v, r);
    return r;
  };
  // The backward graph with every forward value it reads replaced; forward nodes are resolved
  // only where the backward graph reads them, so nothing of the step it does not need comes along.
  const mapped = new Map<Node, Node>();
  const map = (v: Node): Node => {
    if (forward.has(v)) return resolve(v);
    const done = mapped.get(v);
    if (done !== undefined) return done;
    const r = rebuild(v, v.inputs.map(map));
    mapped.set(v, r);
    return r;
  };
  for (const v of topoOrder(backOuts)) if (!forward.has(v)) map(v);
  const mappedAll = backOuts.map(map);
  const fixed = m + accumulated.length + floatX.length;
  const outputs = mappedAll.slice(0, fixed);
  // An operand the backward body reads as a residual is that residual's stack; others are step outputs.
  const residualOf = new Map<Node, Node>([...residualParam].map(([v, p]) => [p, v]));
  const operandOf = (v: Node): { kind: 'value'; node: Node } | { kind: 'y'; index: number } => {
    const saved = residualOf.get(v);
    if (saved !== undefined) return { kind: 'value', node: saved };
    // A float sequence's cotangent it already stacks serves too (an LSTM's gate gradient is both
    // the projected input's cotangent and the operand of the recurrent kernel's gradient).
    const ys = m + accumulated.length;
    let index = outputs.indexOf(v, ys);
    if (index < 0) { index = outputs.length; outputs.push(v); }
    return { kind: 'y', index: index - ys };
  };
  const pending = mappedAll.slice(fixed).map(operandOf);

  const reachable = new Set(topoOrder(outputs));
  const xsRead = xParams.flatMap((x, j) => (reachable.has(x) ? [j] : []));
  // Carry residuals first, so a stack's order does not depend on how the VJP happened to walk.
  const ordered = [...residuals.filter((s) => s.kind === 'carry'), ...residuals.filter((s) => s.kind !== 'carry')];
  // A residual only a hoisted product reads (the carry h of h·W) is stacked but not a parameter.
  const residualsRead = ordered.flatMap((s, k) => (reachable.has(residualParam.get(s.node) as Node) ? [k] : []));
  const params = residualsRead.map((k) => residualParam.get(ordered[k].node) as Node<'input'>);
  const backward = new ScanBody(
    [...gCarry, ...accumulated.map((idx) => gConst[idx]), ...params, ...xsRead.map((j) => xParams[j]), ...gY, ...constParams],
    outputs,
  );
  const finish = (o: { kind: 'value'; node: Node } | { kind: 'y'; index: number }): Operand =>
    (o.kind === 'y' ? o : { kind: 'residual', index: ordered.findIndex((s) => s.node === o.node) });
  let at = 0;
  const hoisted = hoistedTerms.map((terms) => terms.map((t) => {
    const a = finish(pending[at++]), b = finish(pending[at++]);
    return { a, b, pad: t.op === 'pad' ? (t as Node<'pad'>).attrs.widths : null };
  }));
  return { residuals: ordered, residualsRead, stacked: ordered.filter((s) => s.kind !== 'y'), xsRead, floatX, floatK, accumulated, hoisted, backward };
}
