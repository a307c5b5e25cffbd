/**
 * Finite-difference gradients of a layer with respect to its input and its float weights: each
 * weight's graph node is swapped for an input node for the check, so autodiff reaches it.
 */
import * as B from '../../src/ir/build.js';
import type { Node } from '../../src/ir/node.js';
import type { CallKwargs, Layer } from '../../src/api/layers/layer.js';
import type { Variable } from '../../src/api/layers/variable.js';
import { withTrace } from '../../src/api/trace-context.js';
import { gen, gradCheck, tensor, type Gen, type GradReport } from './gradcheck.js';

export interface LayerGradOptions {
  readonly training?: boolean;
  readonly gen?: Gen;
  readonly atol?: number;
  readonly rtol?: number;
  /** Per input: its values and whether it is differentiated (an attention mask is not); defaults to `gen`, differentiated. */
  readonly inputs?: readonly { readonly gen?: Gen; readonly diff?: boolean }[];
  /** The call's keyword arguments (Layer.splitCallArguments), as a model's trace passes them. */
  readonly kwargs?: CallKwargs;
}

export function layerGradCheck(layer: Layer, inputShapes: readonly (readonly number[])[], options: LayerGradOptions = {}): GradReport {
  layer.maybeBuild(inputShapes.length === 1 ? [...inputShapes[0]] : inputShapes.map((s) => [...s]));
  const weights = layer.weights.filter((w) => w.dtype === 'float32');
  const seed = B.input('seed', [], 'int32');
  const specs = [
    ...inputShapes.map((shape, i) => ({ shape, gen: options.inputs?.[i]?.gen ?? options.gen ?? gen.uniform(), diff: options.inputs?.[i]?.diff ?? true })),
    // Statistics (non-trainable) take positive values, so a variance stays a variance; they are not differentiated.
    ...weights.map((w) => ({ shape: [...w.shape], gen: w.trainable ? gen.uniform(-1, 1) : gen.positive, diff: w.trainable })),
  ];
  return gradCheck(specs, (...nodes: Node[]) => {
    const xs = nodes.slice(0, inputShapes.length);
    weights.forEach((w, i) => swapNode(w, nodes[inputShapes.length + i]));
    try {
      return withTrace({ training: options.training ?? false, seed, updates: [], losses: [] }, () =>
        layer.invoke(xs.length === 1 ? xs[0] : xs, options.training ?? false, options.kwargs)) as Node;
    } finally {
      weights.forEach(restoreNode);
    }
  }, { atol: options.atol ?? 1e-6, rtol: options.rtol ?? 1e-5, extraSources: new Map([[seed, tensor([], [42])]]) });
}

function swapNode(w: Variable, node: Node): void {
  Object.defineProperty(w, 'node', { value: node, configurable: true });
}
function restoreNode(w: Variable): void {
  delete (w as unknown as { node?: Node }).node;
}
