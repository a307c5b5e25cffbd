/**
 * Where Keras 3 puts each variable in a `.weights.h5` file (saving_lib._save_state): every
 * saveable object gets `<path>/vars` (attribute `name`) holding its own variables as `0..n-1`;
 * children follow by attribute (`cell`, `layer`, `query_dense`), and a list attribute (a model's
 * `layers`) names its items by snake_case class name, numbered per class (`dense`, `dense_1`),
 * never by `layer.name`. This module only computes the layout; reading and writing use it.
 */
import { toSnakeCase } from '../../naming.js';
import { InputLayer } from '../../layers/input-layer.js';
import { Layer } from '../../layers/layer.js';
import { MultiHeadAttention } from '../../layers/attention/multi-head-attention.js';
import { RecurrentLayer } from '../../layers/rnn/recurrent.js';
import { TimeDistributed } from '../../layers/time-distributed.js';
import type { Variable } from '../../layers/variable.js';
import { Model } from '../../models/model.js';
import { Sequential } from '../../models/sequential.js';

/** One `<path>/vars` group: the object's own variables, in Keras's order. */
export interface WeightGroup {
  /** Path of the saveable (`layers/lstm/cell`); its variables sit at `<path>/vars/<i>`. */
  readonly path: string;
  /** Keras's `name` attribute of the `vars` group (the saveable's name). */
  readonly name: string;
  /** The layer these variables belong to, for error messages. */
  readonly layerName: string;
  readonly variables: readonly Variable[];
}

const join = (a: string, b: string): string => (a === '' ? b : `${a}/${b}`);

/** The groups of `model`, the model itself first (`vars` at the root). */
export function kerasWeightGroups(model: Layer): WeightGroup[] {
  const out: WeightGroup[] = [];
  visit(model, '', out, new Set());
  return out;
}

function visit(layer: Layer, path: string, out: WeightGroup[], seen: Set<Layer>): void {
  // Keras skips an object it has already saved (a shared layer): it is stored once, at its first path.
  if (seen.has(layer)) return;
  seen.add(layer);
  if (layer instanceof Model) {
    out.push({ path, name: layer.name, layerName: layer.name, variables: [] });
    visitList(modelLayers(layer), join(path, 'layers'), out, seen);
    return;
  }
  if (layer instanceof RecurrentLayer) {
    // Keras's RNN layers hold their weights in a `cell` (LSTMCell, named `lstm_cell`).
    const snake = toSnakeCase(layer.className);
    out.push({ path, name: layer.name, layerName: layer.name, variables: [] });
    out.push({ path: join(path, 'cell'), name: `${snake}_cell`, layerName: layer.name, variables: layer.weights });
    return;
  }
  if (layer instanceof MultiHeadAttention) {
    out.push({ path, name: layer.name, layerName: layer.name, variables: [] });
    // Keras's MultiHeadAttention also tracks its (weightless) dropout and softmax layers.
    out.push({ path: join(path, '_dropout_layer'), name: 'dropout', layerName: layer.name, variables: [] });
    out.push({ path: join(path, '_softmax'), name: 'softmax', layerName: layer.name, variables: [] });
    const parts: Array<[string, string]> = [['queryDense', 'query'], ['keyDense', 'key'], ['valueDense', 'value'], ['outputDense', 'attention_output']];
    for (const [attr, name] of parts) {
      const sub = (layer as unknown as Record<string, unknown>)[attr];
      if (sub instanceof Layer) out.push({ path: join(path, toSnakeCase(attr)), name, layerName: `${layer.name}/${name}`, variables: sub.weights });
    }
    return;
  }
  const children = sublayerAttributes(layer);
  const lists = sublayerLists(layer);
  const inChildren = new Set([...children.map(([, sub]) => sub), ...lists.flatMap(([, items]) => items)].flatMap((sub) => sub.weights));
  out.push({ path, name: layer.name, layerName: layer.name, variables: layer.weights.filter((w) => !inChildren.has(w)) });
  for (const [attr, sub] of children) visit(sub, join(path, attr), out, seen);
  for (const [attr, items] of lists) visitList(items, join(path, attr), out, seen);
}

/** Lists of sublayers held in properties (StackedRNNCells's `cells`): Keras numbers their items like a model's layers. */
function sublayerLists(layer: Layer): Array<[string, Layer[]]> {
  const out: Array<[string, Layer[]]> = [];
  for (const [key, value] of Object.entries(layer)) {
    if (!Array.isArray(value)) continue;
    const items = (value as unknown[]).filter((v): v is Layer => v instanceof Layer && v !== layer);
    if (items.length > 0) out.push([toSnakeCase(key), items]);
  }
  return out;
}

/** A model's `layers` as Keras lists them: a Sequential's omit its InputLayer, a functional model's keep it. */
function modelLayers(model: Model): Layer[] {
  const list = model.layers;
  return model instanceof Sequential ? list.filter((l) => !(l instanceof InputLayer)) : list;
}

function visitList(items: readonly Layer[], path: string, out: WeightGroup[], seen: Set<Layer>): void {
  const used = new Map<string, number>();
  for (const item of items) {
    const base = toSnakeCase(item.className);
    const n = used.get(base);
    used.set(base, n === undefined ? 0 : n + 1);
    visit(item, join(path, n === undefined ? base : `${base}_${n + 1}`), out, seen);
  }
}

/**
 * Sublayers held in properties, under Keras's snake_case attribute names (`forwardLayer` ->
 * `forward_layer`, TimeDistributed's `layer`). Layers in list properties are not named by
 * attribute in Keras either; they are numbered like a model's layers.
 */
function sublayerAttributes(layer: Layer): Array<[string, Layer]> {
  const out: Array<[string, Layer]> = [];
  for (const [key, value] of Object.entries(layer)) {
    if (value instanceof Layer && value !== layer) out.push([layer instanceof TimeDistributed && key === 'layer' ? 'layer' : toSnakeCase(key), value]);
  }
  return out;
}
