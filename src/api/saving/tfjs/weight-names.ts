/**
 * Matches the weights of a TF.js (or converter) file to a model's layers. TF.js names a weight
 * `<layer name>/<variable>` (`dense_Dense1/kernel`, `lstm_LSTM1/recurrent_kernel`); the Python converter
 * keeps Keras 2's names (`dense/kernel`, `lstm/lstm_cell/kernel`, sometimes with `:0`). The first path
 * segment is the layer, the last the variable; within a layer the file's order is Keras's order.
 */
import type { NamedWeight } from './read-weights.js';

export interface LayerWeightSlots {
  /** The layer's name in the loaded config. */
  name: string;
  /** Its variables in Keras order (`kernel`, `recurrent_kernel`, `bias`), with the shapes the model built. */
  weights: { name: string; shape: readonly number[] }[];
}

/**
 * Variables Keras 3 renamed: the Keras 2 / TF.js name by Keras 3 class and variable. tfjs-layers loads
 * weights by name, so files we write use the old names, and files we read match under either.
 */
const KERAS2_VARIABLE_NAMES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  DepthwiseConv2D: { kernel: 'depthwise_kernel' },
};

/** The name TF.js and tf.keras give `variable` of `layer` (its class or a base class decides). */
export function keras2VariableName(layer: object, variable: string): string {
  for (let p = Object.getPrototypeOf(layer) as object | null; p !== null && p !== Object.prototype; p = Object.getPrototypeOf(p) as object | null) {
    const renamed = KERAS2_VARIABLE_NAMES[(p as { constructor: { name: string } }).constructor.name]?.[variable];
    if (renamed !== undefined) return renamed;
  }
  return variable;
}

export function splitWeightName(name: string): { layer: string; variable: string } {
  const clean = name.replace(/:\d+$/, '');
  const parts = clean.split('/');
  return { layer: parts[0], variable: parts[parts.length - 1] };
}

const lastSegment = (n: string): string => n.replace(/:\d+$/, '').split('/').pop()!;

/**
 * For each layer, its weights from the file in the layer's variable order. Any mismatch (a layer's
 * weights missing, extra weights, wrong variable name or shape) is an error naming the file, layer and
 * weight, and nothing is returned, so a caller can apply all or nothing.
 */
export function assignWeightsToLayers(weights: readonly NamedWeight[], layers: readonly LayerWeightSlots[], file = 'model.json'): Map<string, NamedWeight[]> {
  const byLayer = new Map<string, NamedWeight[]>();
  for (const w of weights) {
    const { layer } = splitWeightName(w.name);
    const list = byLayer.get(layer) ?? [];
    list.push(w);
    byLayer.set(layer, list);
  }
  const out = new Map<string, NamedWeight[]>();
  for (const layer of layers) {
    const found = byLayer.get(layer.name) ?? [];
    byLayer.delete(layer.name);
    if (found.length !== layer.weights.length) {
      throw new Error(`${file}: layer '${layer.name}' expects ${layer.weights.length} weights (${layer.weights.map((w) => w.name).join(', ') || 'none'}) but the file has ${found.length}${found.length ? ` (${found.map((w) => w.name).join(', ')})` : ''}`);
    }
    layer.weights.forEach((slot, i) => {
      const w = found[i];
      if (lastSegment(w.name) !== lastSegment(slot.name)) {
        throw new Error(`${file}: layer '${layer.name}' weight ${i} should be '${lastSegment(slot.name)}' but the file has '${w.name}'`);
      }
      if (w.shape.length !== slot.shape.length || w.shape.some((d, k) => d !== slot.shape[k])) {
        throw new Error(`${file}: layer '${layer.name}' weight '${lastSegment(slot.name)}': expected shape [${slot.shape.join(', ')}], found [${w.shape.join(', ')}]`);
      }
    });
    out.set(layer.name, found);
  }
  if (byLayer.size > 0) {
    const extra = [...byLayer.values()].flat().map((w) => w.name);
    throw new Error(`${file}: weight count mismatch: ${extra.length} weights belong to no layer of the model (${extra.slice(0, 5).join(', ')}${extra.length > 5 ? ', ...' : ''})`);
  }
  return out;
}
