/**
 * Recurrence: `scan` (fusion kind loop) and `scanOutput`, the view of one of its results
 * (docs/ARCHITECTURE.md, "Recurrence").
 */
import { vjp as vjpOf } from '../autodiff.js';
import { topoOrder } from '../graph.js';
import { interpret, refContext } from '../interpret.js';
import { make, type Node } from '../node.js';
import { scanNode } from '../scan.js';
import { checkScan, partOffsets, partSize, ScanBody, scanParts, type ScanPart } from '../scan-body.js';
import { concrete, ShapeError, sizeOf, type Shape } from '../types.js';
import { outShape, refTensor } from './ref-util.js';
import type { Builder, RefTensor, RuleTable } from './rule.js';

function concreteLayout(node: Node<'scan'>): { parts: ScanPart[]; offsets: number[]; total: number } {
  const parts = scanParts(node.attrs);
  const offsets = partOffsets(parts);
  if (offsets === undefined) throw new ShapeError('scan: its results still have a symbolic dimension; compiled programs need concrete shapes');
  const total = parts.length === 0 ? 0 : offsets[offsets.length - 1] + (partSize(parts[parts.length - 1].shape) ?? 0);
  return { parts, offsets, total };
}

/** The nodes a body reads that are not computed from other nodes: its parameters, captured sources, random draws. */
const leavesOf = (outputs: readonly Node[]) => topoOrder(outputs).filter((n) => n.inputs.length === 0 || n.op === 'randomUniform');

/**
 * Reverse-mode through a scan, as JAX's: a scan running the other way whose body recomputes the
 * forward step from the saved carry and applies its VJP. Its carries are the carries' cotangents
 * and the constants' accumulated cotangents; its step outputs are the sequences' cotangents.
 */
function scanVjp(g: Node, node: Node<'scan'>, b: Builder): (Node | null)[] {
  const a = node.attrs;
  if (!a.save) throw new Error('scan: this scan does not save its carries (it is a gradient\'s own scan), so it cannot be differentiated again');
  const { body, carries: m, xs: n } = a;
  const outs = body.outputs;
  const r = outs.length - m;
  const { parts, offsets } = concreteLayout(node);
  const piece = (i: number) => b.reshape(b.slice(g, [offsets[i]], [offsets[i] + sizeOf(concrete(parts[i].shape, 'scan'))]), parts[i].shape);
  const inputs = node.inputs;
  const xs = inputs.slice(m, m + n);
  const consts = inputs.slice(m + n);
  const carryParams = body.params.slice(0, m);
  const xParams = body.params.slice(m, m + n);
  const constParams = body.params.slice(m + n);
  const floatX = xs.flatMap((x, j) => (x.dtype === 'float32' ? [j] : []));
  const floatK = consts.flatMap((k, l) => (k.dtype === 'float32' ? [l] : []));

  const gCarry = carryParams.map((p, i) => b.input(`scan:dcarry${i}`, p.shape));
  const gConst = floatK.map((l) => b.input(`scan:dconst${l}`, constParams[l].shape));
  const gY = outs.slice(m).map((o, j) => b.input(`scan:dy${j}`, o.shape));
  const gSaved = carryParams.map((p, i) => b.input(`scan:dsaved${i}`, p.shape));
  const wrt = [...carryParams, ...floatX.map((j) => xParams[j]), ...floatK.map((l) => constParams[l])];
  const cts = vjpOf(outs, [...gCarry, ...gY], wrt);
  const newCarries = gCarry.map((_, i) => b.add(cts[i], gSaved[i]));
  const newConsts = floatK.map((_, idx) => b.add(gConst[idx], cts[m + floatX.length + idx]));
  const dxs = floatX.map((_, idx) => cts[m + idx]);
  const backBody = new ScanBody(
    [...gCarry, ...gConst, ...carryParams, ...xParams, ...gY, ...gSaved, ...constParams],
    [...newCarries, ...newConsts, ...dxs],
  );
  const saved = carryParams.map((_, i) => make('scanOutput', [node], { index: m + r + i }));
  const back = scanNode(backBody, [
    ...carryParams.map((_, i) => piece(i)),
    ...floatK.map((l) => b.zerosLike(consts[l])),
    ...saved, ...xs,
    ...gY.map((_, j) => piece(m + j)),
    ...gSaved.map((_, i) => piece(m + r + i)),
    ...consts,
  ], m + floatK.length, m + n + r + m, a.length, !a.reverse, false);
  const result: (Node | null)[] = inputs.map(() => null);
  for (let i = 0; i < m; i++) result[i] = back.carries[i];
  floatX.forEach((j, idx) => { result[m + j] = back.ys[idx]; });
  floatK.forEach((l, idx) => { result[m + n + l] = back.carries[m + idx]; });
  return result;
}

function scanRef(inputs: readonly RefTensor[], node: Node<'scan'>): RefTensor {
  const a = node.attrs;
  const { body, carries: m, xs: n, length } = a;
  const { offsets, total } = concreteLayout(node);
  const out = refTensor([total]);
  const r = body.outputs.length - m;
  let carries = inputs.slice(0, m);
  const stepOf = (x: RefTensor, t: number): RefTensor => {
    const shape = x.shape.slice(1);
    const size = sizeOf(shape);
    return refTensor(shape, x.data.slice(t * size, (t + 1) * size));
  };
  const writeRow = (part: number, t: number, value: RefTensor) => out.data.set(value.data, offsets[part] + t * value.data.length);
  for (let s = 0; s < length; s++) {
    const t = a.reverse ? length - 1 - s : s;
    if (a.save) carries.forEach((c, i) => writeRow(m + r + i, t, c));
    const values = new Map<Node, RefTensor>();
    body.params.forEach((p, i) => values.set(p, i < m ? carries[i] : i < m + n ? stepOf(inputs[i], t) : inputs[i]));
    const step = interpret({ outputs: body.outputs, updates: [] }, refContext(values)).outputs;
    carries = step.slice(0, m);
    step.slice(m).forEach((y, j) => writeRow(m + j, t, y));
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
      const sizes = scanParts(a).map((p) => partSize(p.shape));
      return [sizes.some((s) => s === null) ? null : sizes.reduce<number>((x, y) => x + (y ?? 0), 0)];
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
      const { offsets, total } = concreteLayout(scan);
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
