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
  /** The forward values stored as stacks of their own (`carry` and `value` residuals), in part order. */
  readonly stacked: readonly ResidualSource[];
  /** Indices of the sequences the backward body reads (masks, inputs a VJP reads as they are). */
  readonly xsRead: readonly number[];
  /** Indices of the float32 sequences and constants: the ones that get cotangents. */
  readonly floatX: readonly number[];
  readonly floatK: readonly number[];
  /**
   * Parameters: the carries' cotangents, the float constants' accumulated cotangents (carries),
   * then the residuals, the sequences read, the step outputs' cotangents (sequences), then the
   * forward body's constants. Outputs: the carries' cotangents, the constants' accumulators,
   * the float sequences' cotangents.
   */
  readonly backward: ScanBody;
}

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
  const backOuts = [
    ...carryParams.map((_, i) => cts[i]),
    ...floatK.map((_, idx) => Build.add(gConst[idx], cts[m + floatX.length + idx])),
    ...floatX.map((_, idx) => cts[m + idx]),
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
  const outputs = backOuts.map(map);

  const reachable = new Set(topoOrder(outputs));
  const xsRead = xParams.flatMap((x, j) => (reachable.has(x) ? [j] : []));
  // Carry residuals first, so a stack's order does not depend on how the VJP happened to walk.
  const ordered = [...residuals.filter((s) => s.kind === 'carry'), ...residuals.filter((s) => s.kind !== 'carry')];
  const params = ordered.map((s) => residualParam.get(s.node) as Node<'input'>);
  const backward = new ScanBody(
    [...gCarry, ...gConst, ...params, ...xsRead.map((j) => xParams[j]), ...gY, ...constParams],
    outputs,
  );
  return { residuals: ordered, stacked: ordered.filter((s) => s.kind !== 'y'), xsRead, floatX, floatK, backward };
}
