/**
 * The order in which Keras 3 lists a functional model's layers (keras/src/ops/function.py
 * map_graph): depth-first from the outputs numbers each operation on first sight, node depths
 * propagate from the outputs, then operations go by decreasing depth, ties by that number.
 * A functional config lists layers in this order, which can differ from keras-jit's topology.
 */
import type { CallNode, KerasTensor } from '../../layers/keras-tensor.js';
import type { Layer } from '../../layers/layer.js';

const producer = (t: KerasTensor): CallNode => t.history.layer.inboundNodes[t.history.nodeIndex];

export function kerasLayerOrder(inputs: readonly KerasTensor[], outputs: readonly KerasTensor[]): Layer[] {
  const finished = new Set<CallNode>();
  const decreasing: CallNode[] = [];
  const index = new Map<Layer, number>();
  const inputSet = new Set(inputs);
  const visit = (t: KerasTensor): void => {
    const node = producer(t);
    if (finished.has(node)) return;
    const isInput = node.inputs.length === 0;
    if (!isInput && inputSet.has(t)) { finished.add(node); return; }
    if (!index.has(node.layer)) index.set(node.layer, index.size);
    if (!isInput) for (const x of node.inputs) visit(x);
    finished.add(node);
    decreasing.push(node);
  };
  for (const o of outputs) visit(o);
  const inGraph = new Set(decreasing);
  const nodeDepth = new Map<CallNode, number>();
  const layerDepth = new Map<Layer, number>();
  for (const node of [...decreasing].reverse()) {
    let depth = nodeDepth.get(node) ?? 0;
    nodeDepth.set(node, depth);
    depth = Math.max(depth, layerDepth.get(node.layer) ?? 0);
    layerDepth.set(node.layer, depth);
    nodeDepth.set(node, depth);
    for (const x of node.inputs) {
      const parent = producer(x);
      if (!inGraph.has(parent)) continue;
      nodeDepth.set(parent, Math.max(depth + 1, nodeDepth.get(parent) ?? 0));
    }
  }
  for (const t of inputs) {
    const layer = t.history.layer;
    if (!layerDepth.has(layer)) { layerDepth.set(layer, 0); index.set(layer, -1); }
  }
  const byDepth = new Map<number, Layer[]>();
  for (const [layer, depth] of layerDepth) byDepth.set(depth, [...(byDepth.get(depth) ?? []), layer]);
  return [...byDepth.keys()].sort((a, b) => b - a).flatMap((d) => byDepth.get(d)!.sort((a, b) => index.get(a)! - index.get(b)!));
}
