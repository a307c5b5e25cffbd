/**
 * Recurrence: `scan` (fusion kind loop) and `scanOutput`, the view of one of its results
 * (docs/ARCHITECTURE.md, "Recurrence").
 */
import { topoOrder } from '../graph.js';
import { interpret, refContext } from '../interpret.js';
import { make, type Node } from '../node.js';
import { scanNode } from '../scan.js';
import { checkScan, packedLength, partOffsets, partSize, savedStacks, scanParts, type ScanPart } from '../scan-body.js';
import { scanGradientPlan, type Operand } from '../scan-vjp.js';
import { concrete, ShapeError, sizeOf, type Shape } from '../types.js';
import { outShape, refTensor } from './ref-util.js';
import type { Builder, RefTensor, RuleTable } from './rule.js';

/** The packed layout; `saved` is the index of the first saved residual. */
function concreteLayout(node: Node<'scan'>): { parts: ScanPart[]; offsets: number[]; total: number; saved: number } {
  const parts = scanParts(node.attrs);
  const offsets = partOffsets(parts);
  if (offsets === undefined) throw new ShapeError('scan: its results still have a symbolic dimension; compiled programs need concrete shapes');
  const total = packedLength(parts) as number;
  return { parts, offsets, total, saved: node.attrs.body.outputs.length };
}

/** The nodes a body reads that are not computed from other nodes: its parameters, captured sources, random draws. */
const leavesOf = (outputs: readonly Node[]) => topoOrder(outputs).filter((n) => n.inputs.length === 0 || n.op === 'randomUniform');

/**
 * Elements [at, at + size) of the packed cotangent `g` without materializing it: `g` is the sum
 * of the views' cotangents, each padded to the packed length (scanOutput's VJP) and summed by
 * autodiff as adds or as one concatenate, so a part is the sum of the unpadded ones that cover
 * it; null when none does (zeros), undefined when `g` is of another form (then the caller slices it).
 */
function pieceOf(g: Node, at: number, size: number, b: Builder): Node | null | undefined {
  if (g.op === 'pad' && g.inputs[0].shape.length === 1 && (g as Node<'pad'>).attrs.value === 0) {
    const lo = (g as Node<'pad'>).attrs.widths[0][0];
    const inner = g.inputs[0].shape[0] as number;
    if (lo === at && inner === size) return g.inputs[0];
    if (lo + inner <= at || lo >= at + size) return null;
    return undefined;
  }
  if (g.op === 'add' && g.shape.length === 1) {
    const x = pieceOf(g.inputs[0], at, size, b), y = pieceOf(g.inputs[1], at, size, b);
    if (x === undefined || y === undefined) return undefined;
    return x === null ? y : y === null ? x : b.add(x, y);
  }
  if (g.op === 'fill' && (g as Node<'fill'>).attrs.value === 0) return null;
  // autodiff sums disjoint padded pieces as one concatenate of the pieces and zeros.
  if (g.op === 'concatenate' && g.shape.length === 1) {
    let lo = 0;
    for (const part of g.inputs) {
      const inner = part.shape[0] as number;
      if (lo <= at && at + size <= lo + inner) return lo === at && inner === size ? part : pieceOf(part, at - lo, size, b);
      lo += inner;
    }
    return undefined;
  }
  return undefined;
}

/**
 * Reverse-mode through a scan: a scan running the other way whose body is the step's VJP reading
 * the residuals the forward scan saved (scan-vjp.ts), so the step is not recomputed. Its carries
 * are the carries' cotangents and the constants' accumulated cotangents; its step outputs are the
 * sequences' cotangents. The saved residuals themselves get no cotangent: only this gradient reads them.
 */
function scanVjp(g: Node, node: Node<'scan'>, b: Builder): (Node | null)[] {
  const a = node.attrs;
  if (!a.save) throw new Error('scan: this scan does not save its residuals (it is a gradient\'s own scan), so it cannot be differentiated again');
  const plan = scanGradientPlan(a);
  if (plan instanceof Error) throw new Error(`scan: its step cannot be differentiated: ${plan.message}`);
  const { carries: m, xs: n } = a;
  const r = a.body.outputs.length - m;
  const { parts, offsets } = concreteLayout(node);
  const piece = (i: number) => {
    const size = sizeOf(concrete(parts[i].shape, 'scan'));
    const found = pieceOf(g, offsets[i], size, b);
    return found === null ? b.fill(0, parts[i].shape) : b.reshape(found ?? b.slice(g, [offsets[i]], [offsets[i] + size]), parts[i].shape);
  };
  const inputs = node.inputs;
  const xs = inputs.slice(m, m + n);
  const consts = inputs.slice(m + n);
  const stackOf = new Map<Node, number>(plan.stacked.map((s, i) => [s.node, m + r + i]));
  const residualRows = plan.residuals.map((s) => make('scanOutput', [node], { index: s.kind === 'y' ? m + s.index : stackOf.get(s.node) as number }));
  const accumulated = plan.accumulated.map((idx) => plan.floatK[idx]);
  const back = scanNode(plan.backward, [
    ...Array.from({ length: m }, (_, i) => piece(i)),
    ...accumulated.map((l) => b.zerosLike(consts[l])),
    ...plan.residualsRead.map((k) => residualRows[k]),
    ...plan.xsRead.map((j) => xs[j]),
    ...Array.from({ length: r }, (_, j) => piece(m + j)),
    ...consts,
  ], m + accumulated.length, plan.residualsRead.length + plan.xsRead.length + r, a.length, !a.reverse, false);
  // A hoisted product summed over steps: the stacked rows of both operands, flattened over time, in one matmul.
  const rows = (o: Operand): Node => {
    const stack = o.kind === 'residual' ? residualRows[o.index] : back.ys[o.index];
    const [t, batch, width] = stack.shape as number[];
    return b.reshape(stack, [t * batch, width]);
  };
  const result: (Node | null)[] = inputs.map(() => null);
  for (let i = 0; i < m; i++) result[i] = back.carries[i];
  plan.floatX.forEach((j, idx) => { result[m + j] = back.ys[idx]; });
  plan.floatK.forEach((l, idx) => {
    const terms: Node[] = plan.hoisted[idx].map(({ a: x, b: y, pad }) => {
      const product = b.matmul(rows(x), rows(y), true, false);
      return pad === null ? product : b.pad(product, pad);
    });
    const inLoop = plan.accumulated.indexOf(idx);
    if (inLoop >= 0) terms.unshift(back.carries[m + inLoop]);
    result[m + n + l] = terms.length === 0 ? b.zerosLike(consts[l]) : terms.reduce((x, y) => b.add(x, y));
  });
  return result;
}

function scanRef(inputs: readonly RefTensor[], node: Node<'scan'>): RefTensor {
  const a = node.attrs;
  const { body, carries: m, xs: n, length } = a;
  const { offsets, total } = concreteLayout(node);
  const out = refTensor([total]);
  const r = body.outputs.length - m;
  const stacked = savedStacks(a);
  const carryAt = new Map<Node, number>(body.params.slice(0, m).map((p, i) => [p, i]));
  const computed = stacked.filter((v) => !carryAt.has(v));
  let carries = inputs.slice(0, m);
  const stepOf = (x: RefTensor, t: number): RefTensor => {
    const shape = x.shape.slice(1);
    const size = sizeOf(shape);
    return refTensor(shape, x.data.slice(t * size, (t + 1) * size));
  };
  const writeRow = (part: number, t: number, value: RefTensor) => out.data.set(value.data, offsets[part] + t * value.data.length);
  for (let s = 0; s < length; s++) {
    const t = a.reverse ? length - 1 - s : s;
    const values = new Map<Node, RefTensor>();
    body.params.forEach((p, i) => values.set(p, i < m ? carries[i] : i < m + n ? stepOf(inputs[i], t) : inputs[i]));
    const step = interpret({ outputs: [...body.outputs, ...computed], updates: [] }, refContext(values)).outputs;
    const residual = new Map<Node, RefTensor>(computed.map((v, k) => [v, step[body.outputs.length + k]]));
    stacked.forEach((v, k) => writeRow(m + r + k, t, carryAt.has(v) ? carries[carryAt.get(v) as number] : residual.get(v) as RefTensor));
    carries = step.slice(0, m);
    step.slice(m, m + r).forEach((y, j) => writeRow(m + j, t, y));
  }
  carries.forEach((c, i) => out.data.set(c.data, offsets[i]));
  return out;
}

function partOf(node: Node, index: number): ScanPart {
  if (node.op !== 'scan') throw new ShapeError(`scanOutput: expected a scan node, got ${node.op}`);
  const parts = scanParts((node as Node<'scan'>).attrs);
  if (!Number.isInteger(index) || index < 0 || index >= parts.length) throw new ShapeError(`scanOutput: result ${index} is out of range; the scan has ${parts.length}`);
  return parts[index];
}

export const loopRules: RuleTable<'scan', 'loop'> = {
  scan: {
    arity: 'variadic', kind: 'loop', hiddenAttrs: ['body'],
    shape: (inputs, a): Shape => {
      checkScan(inputs, a, leavesOf);
      return [packedLength(scanParts(a))];
    },
    dtype: () => 'float32',
    vjp: scanVjp,
    ref: scanRef,
  },
};

export const scanOutputRules: RuleTable<'scanOutput', 'movement'> = {
  scanOutput: {
    arity: 1, kind: 'movement',
    shape: ([s], { index }) => partOf(s, index).shape,
    dtype: ([s], { index }) => partOf(s, index).dtype,
    vjp: (g, node, b) => {
      const scan = node.inputs[0] as Node<'scan'>;
      const { offsets, total, saved } = concreteLayout(scan);
      if (node.attrs.index >= saved) throw new Error('scanOutput: a scan\'s saved residuals are its gradient\'s own values and cannot be differentiated');
      const at = offsets[node.attrs.index];
      const size = sizeOf(concrete(node.shape, 'scanOutput'));
      return [b.pad(b.reshape(g, [size]), [[at, total - at - size]])];
    },
    ref: ([packed], node) => {
      const { offsets } = concreteLayout(node.inputs[0] as Node<'scan'>);
      const shape = outShape(node.shape);
      const at = offsets[node.attrs.index];
      return refTensor(shape, packed.data.slice(at, at + sizeOf(shape)));
    },
  },
};
