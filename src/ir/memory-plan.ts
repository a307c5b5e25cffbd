import type { FusedKernel, FusionPlan } from './fusion.js';
import type { Graph } from './graph.js';
import type { Node } from './node.js';
import { OPS } from './optable.js';
import { groupIndependent } from './multi-tensor.js';
import { concrete, sameShape, sizeOf } from './types.js';

export const BUFFER_ALIGN = 64;

export type Placement =
  | { readonly where: 'arena'; readonly offset: number }
  | { readonly where: 'variable'; readonly variable: Node<'variable'> };

export interface MemoryPlan {
  /** Kernels in run order: every kernel that writes a variable in place runs after all readers of its old value. */
  readonly kernels: readonly FusedKernel[];
  /** Where each buffer lives: an arena offset in bytes, or a variable's own storage (in-place updates). */
  readonly placement: ReadonlyMap<Node, Placement>;
  /** Updates that could not be written in place: copied into the variable after the last kernel. */
  readonly copies: readonly { readonly from: Node; readonly to: Node<'variable'> }[];
  readonly arenaBytes: number;
}

export function bufferBytes(node: Node): number {
  return sizeOf(concrete(node.shape, 'buffer')) * (node.dtype === 'bool' ? 1 : 4);
}

const align = (n: number) => Math.ceil(n / BUFFER_ALIGN) * BUFFER_ALIGN;

/**
 * Memory planning: decides which updates are written in place, orders kernels so that is safe,
 * lays every other buffer out in one arena, reusing space once a buffer's last reader ran, and
 * groups independent elementwise neighbours into multi-tensor kernels (multi-tensor.ts).
 */
export function planMemory(graph: Graph, plan: FusionPlan, fedInputs: readonly Node[]): MemoryPlan {
  // A view is its root's buffer: reading it reads the root.
  const root = (n: Node) => plan.views.get(n) ?? n;
  const producer = new Map<Node, FusedKernel>();
  for (const k of plan.kernels) for (const o of k.outputs) producer.set(o, k);
  const readers = (n: Node) => plan.kernels.filter((k) => k.inputs.some((b) => root(b) === n));
  const readsThroughView = (k: FusedKernel, n: Node) => k.inputs.some((b) => b !== n && root(b) === n);
  const dependsOn = transitiveDependencies(plan.kernels, producer, root);

  const inPlace = new Map<Node, Node<'variable'>>();
  const copies: { from: Node; to: Node<'variable'> }[] = [];
  const targets = new Set<Node>();
  for (const { variable, value } of graph.updates) {
    const k = producer.get(value);
    const ok = k !== undefined && !targets.has(variable) && !inPlace.has(value)
      && !graph.outputs.some((o) => root(o) === value) && readers(value).length === 0
      && sameShape(value.shape, variable.shape) && value.dtype === variable.dtype
      && readsAtSameIndexOnly(k, variable) && !readsThroughView(k, variable)
      && readers(variable).every((r) => r === k || !dependsOn.get(r)!.has(k));
    if (ok) { inPlace.set(value, variable); targets.add(variable); } else copies.push({ from: value, to: variable });
  }

  // Kernels writing variables in place, and whatever depends on them, run last (in their order).
  // A reader of a variable's old value may itself be late (it writes another variable in place);
  // if that puts it after the writer, the writer is demoted to a copy. Demoting only moves kernels
  // earlier, so the loop ends, with every reader of an old value ahead of its in-place writer.
  let kernels: FusedKernel[];
  for (;;) {
    kernels = orderLate(plan.kernels, inPlace, dependsOn);
    const position = new Map(kernels.map((k, i) => [k, i]));
    const clash = [...inPlace].find(([value, variable]) => {
      const writer = producer.get(value)!;
      return readers(variable).some((r) => r !== writer && position.get(r)! > position.get(writer)!);
    });
    if (clash === undefined) break;
    inPlace.delete(clash[0]);
    copies.push({ from: clash[0], to: clash[1] });
  }

  const placement = new Map<Node, Placement>();
  for (const [value, variable] of inPlace) placement.set(value, { where: 'variable', variable });
  for (const n of plan.materialised) if (n.op === 'variable') placement.set(n, { where: 'variable', variable: n as Node<'variable'> });

  // Live intervals in kernel indices; inputs are written before the first kernel, outputs read after the last.
  const end = kernels.length;
  const interval = new Map<Node, [number, number]>();
  for (const n of fedInputs) interval.set(n, [-1, end]);
  kernels.forEach((k, i) => {
    for (const o of k.outputs) if (!placement.has(o)) interval.set(o, [i, i]);
    for (const b of k.inputs) {
      const iv = interval.get(root(b));
      if (iv !== undefined) iv[1] = Math.max(iv[1], i);
    }
  });
  for (const n of [...graph.outputs, ...copies.map((c) => c.from)]) {
    const iv = interval.get(root(n));
    if (iv !== undefined) iv[1] = end;
  }
  let arenaBytes = 0;
  const live: { start: number; end: number; offset: number; bytes: number }[] = [];
  const byStart = [...interval.entries()].sort((a, b) => a[1][0] - b[1][0]);
  for (const [node, [start, last]] of byStart) {
    const bytes = align(bufferBytes(node));
    const busy = live.filter((l) => l.end >= start).sort((a, b) => a.offset - b.offset);
    let offset = 0;
    for (const l of busy) {
      if (offset + bytes <= l.offset) break;
      offset = Math.max(offset, l.offset + l.bytes);
    }
    live.push({ start, end: last, offset, bytes });
    placement.set(node, { where: 'arena', offset });
    arenaBytes = Math.max(arenaBytes, offset + bytes);
  }
  for (const [view, source] of plan.views) {
    const p = placement.get(source);
    const at = (plan.viewOffsets.get(view) ?? 0) * 4;
    if (p === undefined) continue;
    if (at === 0) placement.set(view, p);
    else if (p.where === 'arena') placement.set(view, { where: 'arena', offset: p.offset + at });
    else throw new Error(`memory plan: a view at an offset into variable storage (${view.op} of ${source.op})`);
  }
  // Last, once every buffer has its place: independent elementwise neighbours become one kernel.
  return { kernels: groupIndependent(kernels, placement), placement, copies, arenaBytes };
}

/** Kernels in run order: those writing in place, and whatever depends on them, after the rest (each group in plan order). */
function orderLate(all: readonly FusedKernel[], inPlace: Map<Node, Node<'variable'>>, dependsOn: Map<FusedKernel, Set<FusedKernel>>): FusedKernel[] {
  const late = new Set<FusedKernel>();
  for (const k of all) {
    if (k.outputs.some((o) => inPlace.has(o)) || [...late].some((l) => dependsOn.get(k)!.has(l))) late.add(k);
  }
  return [...all.filter((k) => !late.has(k)), ...all.filter((k) => late.has(k))];
}

/**
 * True when the kernel only ever reads `v` at the index it writes (elementwise, same shape). In a
 * contraction or reduction that means only the epilogue may read it, never the loops before it.
 */
function readsAtSameIndexOnly(k: FusedKernel, v: Node): boolean {
  if (k.kind === 'opaque' || k.kind === 'loop') return false;
  // A row kernel reads a map stage's inputs and outputs in several passes over a row: none may be written in place.
  if ((k.stages ?? []).some((s) => s.map === true)) return false;
  const inside = [...k.inline, ...k.outputs, ...(k.stages ?? []).map((s) => s.anchor), k.anchor].filter((n) => n.inputs.includes(v));
  if (k.kind !== 'elementwise') {
    const epilogue = new Set([...k.epilogue, ...(k.stages ?? []).flatMap((s) => s.epilogue)]);
    if (!inside.every((n) => epilogue.has(n))) return false;
  }
  return inside.every((n) => sameShape(n.shape, v.shape) && OPS[n.op].kind !== 'movement');
}

function transitiveDependencies(kernels: readonly FusedKernel[], producer: Map<Node, FusedKernel>, root: (n: Node) => Node): Map<FusedKernel, Set<FusedKernel>> {
  const deps = new Map<FusedKernel, Set<FusedKernel>>();
  for (const k of kernels) {
    const set = new Set<FusedKernel>();
    for (const b of k.inputs) {
      const p = producer.get(root(b));
      if (p !== undefined && p !== k) {
        set.add(p);
        for (const d of deps.get(p) ?? []) set.add(d);
      }
    }
    deps.set(k, set);
  }
  return deps;
}
