/**
 * What identifies a fused group's kernel on every tier: its buffers in calling order (outputs,
 * then inputs), its structural key (equal keys, equal kernels, so compiled kernels are cached and
 * shared across programs) and its readable name. Both tiers use these, so a group's kernels line
 * up by name and buffer order whichever tier runs them.
 */
import type { FusedKernel } from '../ir/fusion.js';
import { stableJson, type Node } from '../ir/node.js';
import { OPS } from '../ir/optable.js';
import type { Shape } from '../ir/types.js';

/** Outputs, then inputs; a contraction's or opaque op's own inputs come first, in their order. */
export function kernelBuffers(k: FusedKernel): Node[] {
  if (k.kind === 'contraction' || k.kind === 'opaque') {
    const anchorInputs = k.anchor.inputs;
    return [...k.outputs, ...anchorInputs, ...k.inputs.filter((i) => !anchorInputs.includes(i))];
  }
  return [...k.outputs, ...k.inputs];
}

/** The group's structure with buffers replaced by their positions: equal keys, equal kernels. */
export function structuralKey(k: FusedKernel, buffers: readonly Node[]): string {
  const ids = new Map<Node, string>();
  const inputs = new Set(k.inputs);
  // A group's key also says which outputs each member writes: its loops follow the members.
  const parts: string[] = [k.members === undefined ? k.kind : `${k.kind}(${k.members.map((m) => m.outputs.length).join(',')})`];
  const visit = (n: Node): string => {
    const known = ids.get(n);
    if (known !== undefined) return known;
    let id: string;
    if (inputs.has(n)) id = `$${buffers.indexOf(n)}:${n.dtype}[${n.shape.join(',')}]`;
    else {
      const args = n.inputs.map(visit);
      // A gather's label only names the layer in errors; it does not change the code.
      // stableJson, not JSON.stringify: a fill of NaN and one of Infinity must not share a kernel.
      const attrs = n.op === 'gather' ? '' : stableJson(n.attrs);
      id = `#${parts.length}`;
      parts.push(`${id}=${n.op}${attrs}(${args.join(',')}):${n.dtype}[${n.shape.join(',')}]`);
    }
    ids.set(n, id);
    return id;
  };
  for (const o of k.outputs) parts.push(`out${buffers.indexOf(o)}=${visit(o)}`);
  return parts.join(';');
}

/** A readable kernel name: `base` then up to four of the group's elementwise op names. */
export function nameOf(k: FusedKernel, base: string): string {
  const ops = [...new Set([...k.epilogue, ...k.inline].map((n) => n.op).filter((op) => OPS[op].kind === 'elementwise'))].slice(0, 4);
  return [base, ...ops].join('_');
}

/** A reduction group's name on either tier, from its first reduction (`max_128x10_axis1_subtract_exp`). */
export function reduceName(k: FusedKernel): string {
  const r = k.anchor as Node<'sum' | 'max'>;
  return nameOf(k, `${r.op}_${r.inputs[0].shape.join('x')}_axis${r.attrs.axes.join('')}`);
}

/** An elementwise group's name on either tier, from its output's shape (`fused_784x512_add`). */
export function elementwiseName(k: FusedKernel, shape: Shape): string {
  return nameOf(k, `fused_${shape.join('x') || 'scalar'}`);
}

/** A multi-tensor kernel's name on either tier: its member count and op names (`group6_multiply_divide`). */
export function groupName(k: FusedKernel): string {
  return nameOf(k, `group${k.members?.length ?? 0}`);
}
