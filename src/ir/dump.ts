/**
 * A jaxpr-like text dump of a graph: sources with their labels, one equation a line, then the
 * outputs and the variable updates. Stable across runs, so tests compare it against golden files.
 *
 *   inputs:
 *     a:f32[None,784] "images"
 *   variables:
 *     b:f32[784,512] varId=1 "dense/kernel"
 *   equations:
 *     c:f32[None,512] = matmul[transposeA=false,transposeB=false] a b
 *   outputs: c
 *   updates:
 *     b <- d
 */
import type { Graph } from './graph.js';
import type { Node } from './node.js';
import { formatAttrs, formatType, nameGraph, stringLiteral } from './format.js';

export function dumpGraph(graph: Graph): string {
  const { order, names, operand } = nameGraph(graph);
  const decl = (n: Node) => `${names.get(n)}:${formatType(n.dtype, n.shape)}`;
  const lines: string[] = ['inputs:'];
  for (const n of order) {
    if (n.op === 'input') lines.push(`  ${decl(n)} ${stringLiteral((n as Node<'input'>).attrs.label)}`);
  }
  lines.push('variables:');
  for (const n of order) {
    if (n.op === 'variable') {
      const v = n as Node<'variable'>;
      lines.push(`  ${decl(v)} varId=${v.attrs.varId} ${stringLiteral(v.attrs.label)}`);
    }
  }
  lines.push('equations:');
  for (const n of order) {
    if (n.op === 'input' || n.op === 'variable') continue;
    const args = n.inputs.map(operand);
    lines.push(`  ${decl(n)} = ${n.op}${formatAttrs(n)}${args.length > 0 ? ' ' : ''}${args.join(' ')}`);
  }
  lines.push(`outputs:${graph.outputs.map((o) => ` ${operand(o)}`).join('')}`);
  lines.push('updates:');
  for (const u of graph.updates) lines.push(`  ${operand(u.variable)} <- ${operand(u.value)}`);
  return `${lines.join('\n')}\n`;
}
