/**
 * A Graphviz DOT dump of a graph, naming nodes as the text dump does. User labels are first made
 * JSON literals (no raw control characters), then escaped for a DOT quoted string, so a layer
 * name can neither end the string nor inject DOT statements.
 */
import type { Graph } from './graph.js';
import type { Node } from './node.js';
import { formatAttrs, formatLiteral, formatType, nameGraph, stringLiteral } from './format.js';

/** Text as a DOT quoted string; our own line breaks become DOT's `\n` escape. */
export function dotString(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\r?\n/g, '\\n')}"`;
}

function describe(name: string, n: Node): string {
  const type = formatType(n.dtype, n.shape);
  if (n.op === 'input' || n.op === 'variable') {
    const label = (n as Node<'input'> | Node<'variable'>).attrs.label;
    return `${name}: ${n.op} ${stringLiteral(label)}\n${type}`;
  }
  return `${name} = ${n.op}${formatAttrs(n)}\n${type}`;
}

export function dotGraph(graph: Graph): string {
  const { order, names } = nameGraph(graph);
  const lines: string[] = ['digraph "graph" {', '  node [shape=box, fontname="monospace"];'];
  const literals = new Map<Node, string>();
  const id = (n: Node): string => {
    const name = names.get(n);
    if (name !== undefined) return dotString(name);
    let lit = literals.get(n);
    if (lit === undefined) {
      lit = dotString(`literal ${literals.size}`);
      literals.set(n, lit);
      lines.push(`  ${lit} [label=${dotString(formatLiteral(n as Node<'fill'>))}, shape=plaintext];`);
    }
    return lit;
  };
  for (const n of order) {
    const shape = n.op === 'input' || n.op === 'variable' ? ', shape=ellipse' : '';
    lines.push(`  ${id(n)} [label=${dotString(describe(names.get(n)!, n))}${shape}];`);
    n.inputs.forEach((input, i) => {
      const edgeLabel = n.inputs.length > 1 ? ` [label="${i}"]` : '';
      lines.push(`  ${id(input)} -> ${id(n)}${edgeLabel};`);
    });
  }
  graph.outputs.forEach((o, i) => {
    const sink = dotString(`output ${i}`);
    lines.push(`  ${sink} [shape=plaintext];`, `  ${id(o)} -> ${sink};`);
  });
  for (const u of graph.updates) {
    // constraint=false: the write-back closes a cycle that must not distort the layout.
    lines.push(`  ${id(u.value)} -> ${id(u.variable)} [style=dashed, label="update", constraint=false];`);
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
