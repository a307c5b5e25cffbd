import type { Graph } from './graph.js';
import { graphRoots, topoOrder } from './graph.js';
import { make, type Node } from './node.js';

/**
 * Numbers random streams by their order in the graph, counting the draws of each seed node apart.
 * Tracing hands out stream numbers from a global counter, so without this the same model traced
 * twice (or after a dump) would draw different dropout masks and miss the kernel cache; with it,
 * random numbers depend only on the graph's structure and the step's seed. A layer with its own
 * seed (api/layers/seed-generator.ts) draws from its own seed node, numbered from 0 whatever else
 * the graph draws: its masks do not change when layers are added around it, and two layers of the
 * same seed draw alike, as in Keras.
 */
export function numberStreams(graph: Graph): Graph {
  const order = topoOrder(graphRoots(graph));
  if (!order.some((n) => n.op === 'randomUniform')) return graph;
  const ordinals = new Map<Node, Map<number, number>>();
  const done = new Map<Node, Node>();
  for (const node of order) {
    const inputs = node.inputs.map((i) => done.get(i)!);
    if (node.op === 'randomUniform') {
      const r = node as Node<'randomUniform'>;
      const seed = r.inputs[0];
      let ordinal = ordinals.get(seed);
      if (ordinal === undefined) ordinals.set(seed, (ordinal = new Map()));
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
