/**
 * Dead-code elimination. Interned nodes are never "in" a graph, so dead code is a property of a
 * node list: a schedule built before a rewrite (simplify, autodiff) may hold nodes nothing reads
 * any more. Later passes (fusion, memory planning) want the live nodes only, in a deterministic
 * order where every node comes after its inputs.
 */
import type { Graph } from './graph.js';
import { graphRoots, topoOrder } from './graph.js';
import type { Node } from './node.js';

/** The nodes the graph's outputs and updates read, each after its inputs, in a deterministic order. */
export function liveNodes(graph: Graph): Node[] {
  return topoOrder(graphRoots(graph));
}

export interface DeadCodeReport {
  /** The schedule's live nodes, in the schedule's own order. */
  readonly live: Node[];
  /** Nodes of the schedule nothing live reads, in the schedule's order. */
  readonly dead: Node[];
}

/**
 * Splits an existing schedule into live and dead nodes, keeping the schedule's order for the live
 * ones (a pass that ordered nodes on purpose keeps its order). Throws if the schedule misses a
 * live node or runs a node before one of its inputs, since running it would read garbage.
 */
export function eliminateDeadCode(graph: Graph, schedule: readonly Node[]): DeadCodeReport {
  const liveSet = new Set(liveNodes(graph));
  const live: Node[] = [];
  const dead: Node[] = [];
  const placed = new Set<Node>();
  for (const node of schedule) {
    if (placed.has(node)) continue; // a node scheduled twice runs once
    if (!liveSet.has(node)) { dead.push(node); placed.add(node); continue; }
    for (const input of node.inputs) {
      if (!placed.has(input)) {
        throw new Error(`dce: the schedule runs ${node.op} #${node.id} before its input ${input.op} #${input.id}`);
      }
    }
    placed.add(node);
    live.push(node);
  }
  if (live.length !== liveSet.size) {
    const missing = [...liveSet].filter((n) => !placed.has(n)).map((n) => `${n.op} #${n.id}`);
    throw new Error(`dce: the schedule is missing live nodes: ${missing.join(', ')}`);
  }
  return { live, dead };
}

/**
 * Drops updates that write a variable's own value back (v := v), which optimizers with frozen
 * weights and simplified updates produce; they would cost a copy and keep nothing alive.
 */
export function pruneUpdates(graph: Graph): Graph {
  const updates = graph.updates.filter((u) => u.value !== u.variable);
  return updates.length === graph.updates.length ? graph : { outputs: graph.outputs, updates };
}
