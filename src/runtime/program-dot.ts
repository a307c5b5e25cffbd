/**
 * A Graphviz picture of a compiled program: each fused kernel is a cluster holding its ops, in run
 * order; program inputs and variables are ellipses; edges carry the type of the value they move.
 * Edges drawn bold go through memory (a buffer written by one kernel and read by another, or a
 * source); thin edges stay inside a kernel's loop. A cheap value recomputed in several kernels
 * appears in each of them. Every label goes through dotString, and user labels are JSON
 * literals first, so no layer name can end a DOT string.
 */
import { dotString } from '../ir/dot.js';
import { formatAttrs, formatType, isLiteral, isSource, nameGraph, stringLiteral } from '../ir/format.js';
import type { Node } from '../ir/node.js';
import { kernelOps, programHeadline, whereOf, type InspectableProgram } from './program-text.js';

export function dotProgram(p: InspectableProgram): string {
  const { parts } = p;
  const named = nameGraph(parts.graph);
  const name = (n: Node) => named.names.get(n) ?? `#${n.id}`;
  const lines = [
    'digraph "program" {',
    `  graph [label=${dotString(`program ${programHeadline(p)}`)}, labelloc=t, fontname="monospace"];`,
    '  node [shape=box, fontname="monospace", fontsize=10];',
    '  edge [fontname="monospace", fontsize=9];',
  ];
  // Kernel outputs and sources have one node each; inline values get one node per kernel.
  const stored = new Set<Node>();
  for (const n of named.order) if (isSource(n)) stored.add(n);
  for (const call of parts.calls) for (const o of call.kernel.outputs) stored.add(o);
  const id = (n: Node, kernel: number) => dotString(stored.has(n) ? name(n) : `${name(n)}@${kernel}`);

  for (const n of named.order) {
    if (!isSource(n)) continue;
    const label = (n as Node<'input'> | Node<'variable'>).attrs.label;
    lines.push(`  ${id(n, -1)} [label=${dotString(`${name(n)}: ${n.op} ${stringLiteral(label)}\n${formatType(n.dtype, n.shape)}`)}, shape=ellipse];`);
  }
  const edges: string[] = [];
  parts.calls.forEach((call, k) => {
    const ops = kernelOps(call.kernel, named);
    const inside = new Set(ops);
    lines.push(`  subgraph ${dotString(`cluster_${k}`)} {`);
    lines.push(`    label=${dotString(`kernel ${k}: ${call.name}`)}; style=rounded; color="#4a6fa5";`);
    for (const n of ops) {
      const args = n.inputs.map(named.operand).join(' ');
      const text = `${name(n)} = ${n.op}${formatAttrs(n)}${args ? ` ${args}` : ''}\n${formatType(n.dtype, n.shape)}`;
      const where = call.kernel.outputs.includes(n) ? `\n${whereOf(parts, n)}` : '';
      lines.push(`    ${id(n, k)} [label=${dotString(text + where)}];`);
      for (const input of n.inputs) {
        if (isLiteral(input)) continue; // printed in the op's label
        const memory = !inside.has(input);
        const style = memory ? ', style=bold' : '';
        edges.push(`  ${id(input, k)} -> ${id(n, k)} [label=${dotString(formatType(input.dtype, input.shape))}${style}];`);
      }
    }
    lines.push('  }');
  });
  lines.push(...edges);
  parts.graph.outputs.forEach((o, i) => {
    const sink = dotString(`output ${i}`);
    lines.push(`  ${sink} [shape=plaintext];`, `  ${id(o, -1)} -> ${sink};`);
  });
  for (const u of parts.graph.updates) {
    if (u.value === u.variable || isLiteral(u.value)) continue;
    // constraint=false: the write-back closes a cycle that must not distort the layout.
    lines.push(`  ${id(u.value, -1)} -> ${id(u.variable, -1)} [style=dashed, label="update", constraint=false];`);
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
