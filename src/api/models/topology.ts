/**
 * The functional graph between a model's inputs and outputs: which layer calls it holds, in an
 * order that runs each call after its inputs (Keras's order: by depth from the outputs, deepest
 * first, ties in discovery order), and the layers in that order.
 */
import { CallNode, type KerasTensor } from '../layers/keras-tensor.js';
import type { Layer } from '../layers/layer.js';

export interface Topology {
  /** Every call in the graph, inputs' InputLayer calls included, each after the calls it reads. */
  readonly nodes: readonly CallNode[];
  /** Unique layers in the same order. */
  readonly layers: readonly Layer[];
}

function producer(t: KerasTensor): CallNode {
  return t.history.layer.inboundNodes[t.history.nodeIndex];
}

export function buildTopology(inputs: readonly KerasTensor[], outputs: readonly KerasTensor[]): Topology {
  const inputSet = new Set(inputs);
  const depth = new Map<CallNode, number>();
  const discovered = new Map<CallNode, number>();
  const finished: CallNode[] = [];

  // Depth-first from the outputs: depth is the longest path to an output.
  const visit = (node: CallNode, d: number, path: Set<CallNode>): void => {
    if (!discovered.has(node)) discovered.set(node, discovered.size);
    if ((depth.get(node) ?? -1) >= d) return;
    depth.set(node, d);
    if (path.has(node)) throw new Error(`The graph of layer "${node.layer.name}" has a cycle`);
    path.add(node);
    for (const t of node.inputs) {
      if (!inputSet.has(t)) visit(producer(t), d + 1, path);
    }
    path.delete(node);
    if (!finished.includes(node)) finished.push(node);
  };
  const path = new Set<CallNode>();
  for (const o of outputs) if (!inputSet.has(o)) visit(producer(o), 0, path);
  // Input calls go first, in the order of the model's inputs.
  const top = 1 + Math.max(0, ...depth.values());
  inputs.forEach((t, i) => {
    const node = producer(t);
    depth.set(node, top);
    discovered.set(node, -inputs.length + i);
  });

  // A node with no inputs that is not a model input means the graph is disconnected.
  const accessed: string[] = [];
  const ordered = [...depth.keys()].sort((a, b) => depth.get(b)! - depth.get(a)! || discovered.get(a)! - discovered.get(b)!);
  const inputNodes = new Set(inputs.map(producer));
  for (const node of ordered) {
    if (node.inputs.length === 0 && !inputNodes.has(node)) {
      throw new Error(`Graph disconnected: cannot obtain value for tensor ${node.outputs[0]} at layer "${node.layer.name}". The following previous layers were accessed without issue: [${accessed.map((n) => `'${n}'`).join(', ')}]`);
    }
    accessed.push(node.layer.name);
  }
  const layers: Layer[] = [];
  for (const node of ordered) if (!layers.includes(node.layer)) layers.push(node.layer);
  return { nodes: ordered, layers };
}
