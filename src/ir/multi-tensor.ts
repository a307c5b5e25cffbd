/**
 * Multi-tensor kernels (docs/ARCHITECTURE.md, "Fusion kinds"): a run of elementwise kernels that
 * are adjacent in run order (but for contractions they are independent of) and touch disjoint
 * memory becomes one 'group' kernel, one loop per
 * member, so a step's optimizer updates (one kernel per variable, each of its own shape) are
 * one call instead of one per variable.
 *
 * It runs on the memory plan's final order and placement, so it cannot break an in-place update:
 * no member reads or writes bytes another member writes, so the members may run in any order,
 * or at once, and each still sees exactly what it saw as a kernel of its own.
 */
import type { FusedKernel } from './fusion.js';
import { bufferBytes, type Placement } from './memory-plan.js';
import type { Node } from './node.js';

/** Where a buffer's bytes are: a variable's own storage, or a byte range of the arena. */
type Extent = { readonly variable: Node } | { readonly start: number; readonly end: number };

function overlaps(a: Extent, b: Extent): boolean {
  if ('variable' in a || 'variable' in b) return 'variable' in a && 'variable' in b && a.variable === b.variable;
  return a.start < b.end && b.start < a.end;
}

/** Groups maximal runs of independent elementwise kernels; every other kernel is kept as it is. */
export function groupIndependent(kernels: readonly FusedKernel[], placement: ReadonlyMap<Node, Placement>): FusedKernel[] {
  const extent = (n: Node): Extent => {
    const p = placement.get(n);
    if (p === undefined) throw new Error(`memory plan: ${n.op} has no buffer`);
    return p.where === 'variable' ? { variable: p.variable } : { start: p.offset, end: p.offset + bufferBytes(n) };
  };
  const writes = (k: FusedKernel) => k.outputs.map(extent);
  const touches = (k: FusedKernel) => [...k.inputs, ...k.outputs].map(extent);
  // Independent: neither writes what the other reads or writes.
  const independent = (a: FusedKernel, b: FusedKernel) =>
    !writes(a).some((w) => touches(b).some((t) => overlaps(w, t))) && !writes(b).some((w) => touches(a).some((t) => overlaps(w, t)));

  // A run's kernel takes the place of its first member. A later elementwise kernel may join it
  // across contractions in between that it is independent of (a weight update fused into its
  // gradient's matmul sits between two bias updates): moving it earlier, past kernels that
  // neither write what it touches nor touch what it writes, changes nothing any of them sees.
  const out: FusedKernel[] = [];
  let run: FusedKernel[] = [];
  let at = 0;
  const flush = () => {
    if (run.length > 1) out.splice(at, 0, groupOf(run));
    else out.splice(at, 0, ...run);
    run = [];
  };
  for (const k of kernels) {
    if (k.kind === 'contraction' && run.length > 0) { out.push(k); continue; }
    if (k.kind !== 'elementwise') { flush(); out.push(k); continue; }
    const between = out.slice(at);
    if (!run.every((m) => independent(m, k)) || !between.every((b) => independent(b, k))) flush();
    if (run.length === 0) at = out.length;
    run.push(k);
  }
  flush();
  return out;
}

/** One kernel running `members` (independent elementwise kernels) in their order. */
export function groupOf(members: readonly FusedKernel[]): FusedKernel {
  return {
    kind: 'group', anchor: members[0].anchor, epilogue: [], members,
    outputs: members.flatMap((m) => m.outputs),
    inline: new Set(members.flatMap((m) => [...m.inline])),
    inputs: [...new Set(members.flatMap((m) => m.inputs))],
  };
}
