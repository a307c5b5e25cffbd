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
import { formatAttrs, formatType, nameGraph, stringLiteral, type NamedGraph } from './format.js';

/** One equation, `c:f32[4,8] = add a b`, named as `named` names the graph. */
export function formatEquation(named: NamedGraph, n: Node): string {
  const args = n.inputs.map(named.operand);
  return `${named.names.get(n)}:${formatType(n.dtype, n.shape)} = ${n.op}${formatAttrs(n)}${args.length > 0 ? ' ' : ''}${args.join(' ')}`;
}

export interface DumpOptions {
  /**
   * Print each variable's session id (default true). Ids come from a global counter, so model
   * dumps leave them out and identify variables by their labels alone.
   */
  readonly varIds?: boolean;
}

export function dumpGraph(graph: Graph, options: DumpOptions = {}): string {
  const named = nameGraph(graph);
  const { order, names, operand } = named;
  const varIds = options.varIds ?? true;
  const decl = (n: Node) => `${names.get(n)}:${formatType(n.dtype, n.shape)}`;
  const lines: string[] = ['inputs:'];
  for (const n of order) {
    if (n.op === 'input') lines.push(`  ${decl(n)} ${stringLiteral((n as Node<'input'>).attrs.label)}`);
  }
  lines.push('variables:');
  for (const n of order) {
    if (n.op === 'variable') {
      const v = n as Node<'variable'>;
      lines.push(`  ${decl(v)}${varIds ? ` varId=${v.attrs.varId}` : ''} ${stringLiteral(v.attrs.label)}`);
    }
  }
  lines.push('equations:');
  for (const n of order) {
    if (n.op === 'input' || n.op === 'variable') continue;
    lines.push(`  ${formatEquation(named, n)}`);
  }
  lines.push(`outputs:${graph.outputs.map((o) => ` ${operand(o)}`).join('')}`);
  lines.push('updates:');
  for (const u of graph.updates) lines.push(`  ${operand(u.variable)} <- ${operand(u.value)}`);
  return `${lines.join('\n')}\n`;
}
