import type { Graph } from './graph.js';
import { graphRoots, topoOrder } from './graph.js';
import type { Node } from './node.js';
import type { RefContext, RefTensor } from './ops/rule.js';
import { OPS } from './optable.js';
import { numberStreams } from './streams.js';

export interface Evaluation {
  readonly outputs: RefTensor[];
  readonly updates: RefTensor[];
}

/**
 * The reference interpreter: runs any graph in float64, op by op, from the op table's
 * definitions. Compiled kernels are tested against it.
 */
export function interpret(original: Graph, ctx: RefContext): Evaluation {
  // Random streams are defined by their order in the graph (see numberStreams), for every tier.
  const graph = numberStreams(original);
  const values = new Map<Node, RefTensor>();
  for (const node of topoOrder(graphRoots(graph))) {
    const rule = OPS[node.op];
    const inputs = node.inputs.map((i) => values.get(i)!);
    values.set(node, (rule.ref as (xs: readonly RefTensor[], n: Node, c: RefContext) => RefTensor)(inputs, node, ctx));
  }
  return {
    outputs: graph.outputs.map((n) => values.get(n)!),
    updates: graph.updates.map((u) => values.get(u.value)!),
  };
}

/** A context that reads inputs and variables from maps, for tests and tools. */
export function refContext(sources: Map<Node, RefTensor>): RefContext {
  return {
    source(node) {
      const t = sources.get(node);
      if (t === undefined) throw new Error(`interpret: no value given for ${node.op} '${node.attrs.label}'`);
      return t;
    },
  };
}
