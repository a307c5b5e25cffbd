import type { Graph } from './graph.js';
import { graphRoots, topoOrder } from './graph.js';
import { make, type Node } from './node.js';

/**
 * Numbers random streams by their order in the graph. Tracing hands out stream numbers from a
 * global counter, so without this the same model traced twice (or after a dump) would draw
 * different dropout masks and miss the kernel cache; with it, random numbers depend only on the
 * graph's structure and the step's seed.
 */
export function numberStreams(graph: Graph): Graph {
  const order = topoOrder(graphRoots(graph));
  if (!order.some((n) => n.op === 'randomUniform')) return graph;
  const ordinal = new Map<number, number>();
  const done = new Map<Node, Node>();
  for (const node of order) {
    const inputs = node.inputs.map((i) => done.get(i)!);
    if (node.op === 'randomUniform') {
      const r = node as Node<'randomUniform'>;
      if (!ordinal.has(r.attrs.stream)) ordinal.set(r.attrs.stream, ordinal.size);
      done.set(node, make('randomUniform', inputs, { shape: r.attrs.shape, stream: ordinal.get(r.attrs.stream)! }));
    } else {
      done.set(node, inputs.every((x, i) => x === node.inputs[i]) ? node : make(node.op, inputs, node.attrs));
    }
  }
  return {
    outputs: graph.outputs.map((n) => done.get(n)!),
    updates: graph.updates.map((u) => ({ variable: u.variable, value: done.get(u.value)! })),
  };
}
