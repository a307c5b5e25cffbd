/**
 * Dead code. Interned nodes are never "in" a graph: a graph is its outputs and updates, and the
 * live nodes are what those read, so nodes a rewrite orphaned are never scheduled (fusion walks
 * liveNodes). What is left to remove is updates that change nothing.
 */
import type { Graph } from './graph.js';
import { graphRoots, topoOrder } from './graph.js';
import type { Node } from './node.js';

/** The nodes the graph's outputs and updates read, each after its inputs, in a deterministic order. */
export function liveNodes(graph: Graph): Node[] {
  return topoOrder(graphRoots(graph));
}

/**
 * Drops updates that write a variable's own value back (v := v), which optimizers with frozen
 * weights and simplified updates produce; they would cost a copy and keep nothing alive.
 */
export function pruneUpdates(graph: Graph): Graph {
  const updates = graph.updates.filter((u) => u.value !== u.variable);
  return updates.length === graph.updates.length ? graph : { outputs: graph.outputs, updates };
}
