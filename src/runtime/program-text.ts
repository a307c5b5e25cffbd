/**
 * Text views of a compiled program, for model.dump() and KERAS_JIT_DEBUG >= 3: the kernels in run
 * order with the ops each holds and where its buffers live ('fused'), and the generated source of
 * every kernel ('code'). Values are named as the text dump of the optimized graph names them, so
 * the views read side by side. User strings (labels) appear only as escaped JSON literals, and
 * the code view prints none at all: only generated source and names derived from op names.
 */
import { formatEquation } from '../ir/dump.js';
import { formatType, nameGraph, stringLiteral, type NamedGraph } from '../ir/format.js';
import type { FusedKernel } from '../ir/fusion.js';
import { bufferBytes } from '../ir/memory-plan.js';
import type { Node } from '../ir/node.js';
import type { CompiledParts } from './compiled.js';
import type { ProgramSpec } from './program.js';

/** What the views need: a compiled program's spec and parts. */
export interface InspectableProgram {
  readonly spec: ProgramSpec;
  readonly parts: CompiledParts;
}

export function isInspectable(p: object): p is InspectableProgram {
  return 'parts' in p && 'spec' in p;
}

/** The batch size a program was specialised to (the leading dimension of its first input). */
export function programBatch(spec: ProgramSpec): number | undefined {
  const d = spec.inputs[0]?.shape[0];
  return typeof d === 'number' ? d : undefined;
}

/** `train: batch 32, 9 kernels, arena 1664 bytes` */
export function programHeadline(p: InspectableProgram): string {
  const batch = programBatch(p.spec);
  return `${p.spec.name}: ${batch === undefined ? '' : `batch ${batch}, `}${p.parts.calls.length} kernels, arena ${p.parts.plan.arenaBytes} bytes`;
}

/** The nodes a kernel computes (inline values, reduction stages, epilogue, outputs), in graph order. */
export function kernelOps(k: FusedKernel, named: NamedGraph): Node[] {
  const inside = new Set<Node>([k.anchor, ...k.inline, ...k.epilogue, ...k.outputs, ...(k.stages ?? []).map((s) => s.anchor)]);
  return named.order.filter((n) => inside.has(n));
}

/** Where a buffer lives: `arena+OFFSET (N bytes)`, `variable "label"`, or `in place of variable "label"` (an update). */
export function whereOf(parts: CompiledParts, n: Node): string {
  const p = parts.plan.placement.get(n);
  if (p === undefined) return 'no buffer';
  if (p.where === 'arena') return `arena+${p.offset} (${bufferBytes(n)} bytes)`;
  const label = stringLiteral(p.variable.attrs.label);
  return p.variable === n ? `variable ${label}` : `in place of variable ${label}`;
}

function nameOf(named: NamedGraph, n: Node): string {
  return named.names.get(n) ?? '-';
}

/** The 'fused' view: inputs, kernels in run order, outputs, late copies, and the arena size. */
export function formatFused(p: InspectableProgram): string {
  const { parts, spec } = p;
  const named = nameGraph(parts.graph);
  const decl = (n: Node) => `${nameOf(named, n)}:${formatType(n.dtype, n.shape)}`;
  const lines = [`program ${programHeadline(p)}`, 'inputs:'];
  for (const n of spec.seed !== undefined ? [...spec.inputs, spec.seed] : spec.inputs) {
    const unused = named.names.has(n) ? '' : ', unused';
    lines.push(`  ${decl(n)} ${stringLiteral(n.attrs.label)} ${whereOf(parts, n)}${unused}`);
  }
  parts.calls.forEach((call, i) => {
    const k = call.kernel;
    lines.push(`kernel ${i} ${call.name} (${k.kind})`);
    k.inputs.forEach((b, j) => lines.push(`  ${j === 0 ? 'reads ' : '      '}  ${decl(b)} ${whereOf(parts, b)}`));
    k.outputs.forEach((b, j) => lines.push(`  ${j === 0 ? 'writes' : '      '}  ${decl(b)} ${whereOf(parts, b)}`));
    kernelOps(k, named).forEach((n, j) => lines.push(`  ${j === 0 ? 'ops   ' : '      '}  ${formatEquation(named, n)}`));
  });
  lines.push('outputs:');
  for (const o of parts.graph.outputs) lines.push(`  ${named.operand(o)} ${whereOf(parts, o)}`);
  if (parts.plan.copies.length > 0) {
    // Updates the planner could not write in place are copied after the last kernel.
    lines.push('copies after the last kernel:');
    for (const c of parts.plan.copies) lines.push(`  ${nameOf(named, c.from)} -> variable ${stringLiteral(c.to.attrs.label)}`);
  }
  lines.push(`arena: ${parts.plan.arenaBytes} bytes`);
  return `${lines.join('\n')}\n`;
}

/** The 'code' view: each kernel's source, in run order; a kernel shared by several calls prints once. */
export function formatCode(p: InspectableProgram): string {
  const named = nameGraph(p.parts.graph);
  const lines = [`// program ${programHeadline(p)}`];
  const first = new Map<string, number>();
  p.parts.calls.forEach((call, i) => {
    const args = call.buffers.map((b, j) => `o${j} = ${nameOf(named, b)}`).join(', ');
    const seen = first.get(call.source);
    lines.push('', `// kernel ${i}: ${call.name} (${args})`);
    if (seen !== undefined) lines.push(`// same source as kernel ${seen}`);
    else {
      first.set(call.source, i);
      lines.push(call.source.trimEnd());
    }
  });
  return `${lines.join('\n')}\n`;
}
