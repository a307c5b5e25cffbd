/**
 * The legacy Keras HDF5 weights layout (keras/src/legacy/saving/legacy_h5_format.py): a group
 * (`model_weights` in a full `.h5` model file, the root in a weights-only file) with attributes
 * `layer_names`, `backend`, `keras_version`; one group per layer (sorted by layer name) with
 * `weight_names` and a dataset at each of those paths. Keras 3 names weights by variable path
 * (`sequential/dense/kernel`), Keras 2 by tensor name (`dense/kernel:0`); loading goes by order,
 * as Keras's does, so both read.
 */
import type { Layer } from '../../layers/layer.js';
import type { Variable } from '../../layers/variable.js';
import { Model } from '../../models/model.js';
import { Sequential } from '../../models/sequential.js';
import { readStringList, setStringList } from '../hdf5/split-attrs.js';
import { dataset, group, groupAt, nodeAt, stringAttr, type H5Array, type H5Group } from '../hdf5/tree.js';
import { applyAssignments, checkShape, reportMismatches, type Assignment, type Mismatch } from './assign.js';
import { kerasWeightGroups } from './keras-layout.js';
import { variableArray, type LoadWeightsOptions } from './weights-h5.js';

/**
 * The Keras version written into `keras_version`: the Keras 3 release whose layout these files
 * follow. Keras reads the attribute only to convert Keras 1 files, so it must name a Keras >= 2.
 */
export const KERAS_FORMAT_VERSION = '3.15.1';
/** Keras writes its backend's name; our weights are laid out as the JAX/TensorFlow backends' (channels_last). */
export const BACKEND_NAME = 'jax';

function topLayers(model: Layer): Layer[] {
  return model instanceof Model ? model.layers : [model];
}

/** Keras's `_legacy_weights(layer)`: trainable weights, then non-trainable. */
function legacyWeights(layer: Layer): Variable[] {
  return [...layer.trainableWeights, ...layer.nonTrainableWeights];
}

/**
 * Keras 3's weight names (variable paths): `[model/]layer/[sublayer/]weight`; a Sequential's
 * layers are created inside the model's name scope, a functional model's are not.
 */
function legacyNames(model: Layer, layer: Layer): Map<Variable, string> {
  const prefix = model instanceof Sequential ? `${model.name}/` : '';
  const names = new Map<Variable, string>();
  const groups = kerasWeightGroups(layer);
  // A nested saveable's variables are named by every saveable between the layer and them
  // (`bidirectional/forward_lstm/lstm_cell/kernel`), as Keras's variable paths are.
  const nameAt = new Map(groups.map((g) => [g.path, g.name]));
  for (const g of groups) {
    const parts = g.path === '' ? [] : g.path.split('/');
    const chain = parts.map((_, i) => nameAt.get(parts.slice(0, i + 1).join('/'))).filter((n): n is string => n !== undefined);
    const sub = chain.map((n) => `${n}/`).join('');
    for (const v of g.variables) if (!names.has(v)) names.set(v, `${prefix}${layer.name}/${sub}${v.name}`);
  }
  return names;
}

function writeSubset(target: H5Group, weights: readonly Variable[], names: Map<Variable, string>): void {
  const list = weights.map((w) => names.get(w) ?? w.path);
  setStringList(target.attrs, 'weight_names', list);
  weights.forEach((w, i) => {
    const parts = list[i].split('/');
    const leaf = parts.pop() as string;
    groupAt(target, parts.join('/'), true).children.set(leaf, dataset(variableArray(w)));
  });
}

/** Fills `target` with the legacy weights layout of `model` (save_weights_to_hdf5_group). */
export function writeLegacyWeights(model: Layer, target: H5Group): void {
  const layers = topLayers(model);
  setStringList(target.attrs, 'layer_names', layers.map((l) => l.name));
  target.attrs.set('backend', stringAttr(BACKEND_NAME));
  target.attrs.set('keras_version', stringAttr(KERAS_FORMAT_VERSION));
  const sorted = [...layers].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const layer of sorted) {
    const g = group();
    target.children.set(layer.name, g);
    writeSubset(g, legacyWeights(layer), legacyNames(model, layer));
  }
  // The model's own variables (none for Sequential / functional models), as Keras writes them.
  const inLayers = new Set(layers.flatMap((l) => l.weights));
  const own = model instanceof Model ? model.weights.filter((w) => !inLayers.has(w)) : [];
  const top = group();
  target.children.set('top_level_model_weights', top);
  writeSubset(top, own, new Map());
}

export interface LegacyModelFile {
  /** The root `model_config` attribute, raw JSON (Keras's get_config of the model), if any. */
  readonly modelConfig?: string;
  /** The root `training_config` attribute, raw JSON (compile arguments), if any. */
  readonly trainingConfig?: string;
}

/** A full legacy `.h5` model file (what Keras 3's `model.save('x.h5')` writes), as a tree. */
export function legacyModelTree(model: Layer, { modelConfig, trainingConfig }: LegacyModelFile = {}): H5Group {
  const root = group();
  root.attrs.set('backend', stringAttr(BACKEND_NAME));
  root.attrs.set('keras_version', stringAttr(KERAS_FORMAT_VERSION));
  if (modelConfig !== undefined) root.attrs.set('model_config', stringAttr(modelConfig));
  if (trainingConfig !== undefined) root.attrs.set('training_config', stringAttr(trainingConfig));
  const weights = group();
  root.children.set('model_weights', weights);
  writeLegacyWeights(model, weights);
  return root;
}

/** A legacy weights-only file (`save_weights('x.h5')`): the layout at the root. */
export function legacyWeightsTree(model: Layer): H5Group {
  const root = group();
  writeLegacyWeights(model, root);
  return root;
}

/** The root attributes of a legacy model file; strings as stored (JSON is parsed by the config code). */
export function readLegacyModelAttrs(root: H5Group): LegacyModelFile & { readonly kerasVersion?: string; readonly backend?: string } {
  const str = (name: string): string | undefined => {
    const a = root.attrs.get(name);
    return a !== undefined && a.dtype === 'string' ? (a.data as readonly string[])[0] : undefined;
  };
  return { modelConfig: str('model_config'), trainingConfig: str('training_config'), kerasVersion: str('keras_version'), backend: str('backend') };
}

/** The group holding the layer groups: `model_weights` in a model file, else the root. */
export function legacyWeightsGroup(root: H5Group, fileName: string): H5Group {
  const mw = root.children.get('model_weights');
  if (mw !== undefined && mw.kind === 'group') return mw;
  if (root.attrs.has('layer_names') || root.attrs.has('layer_names0')) return root;
  throw new Error(`${fileName} is an HDF5 file but not a Keras weights file: it has neither a "model_weights" group nor a "layer_names" attribute`);
}

function subsetValues(g: H5Group, what: string, fileName: string): Array<{ name: string; value: H5Array }> {
  const names = readStringList(g.attrs, 'weight_names', what) ?? [];
  return names.map((name) => {
    const d = nodeAt(g, name);
    if (d === undefined || d.kind !== 'dataset') throw new Error(`${fileName}: ${what} lists weight "${name}" but has no dataset at that path`);
    return { name, value: d };
  });
}

/**
 * Keras's load_weights_from_hdf5_group: layers with weights matched to the file's layers with
 * weights by order. A layer or weight count mismatch is an error even with skipMismatch (as in
 * Keras); with skipMismatch a weight whose shape differs is skipped with a warning.
 */
export function loadLegacyWeights(model: Layer, root: H5Group, fileName: string, options: LoadWeightsOptions = {}): void {
  const g = legacyWeightsGroup(root, fileName);
  const layers = topLayers(model).filter((l) => legacyWeights(l).length > 0);
  const fileLayers = (readStringList(g.attrs, 'layer_names', `${fileName}:/model_weights`) ?? [])
    .map((name) => {
      const lg = g.children.get(name);
      if (lg === undefined || lg.kind !== 'group') throw new Error(`${fileName}: "layer_names" lists "${name}" but there is no group of that name`);
      return { name, values: subsetValues(lg, `layer group "${name}"`, fileName) };
    })
    .filter((l) => l.values.length > 0);
  if (fileLayers.length !== layers.length) {
    throw new Error(`Layer count mismatch when loading weights from file ${fileName}. Model expected ${layers.length} layers, found ${fileLayers.length} saved layers.`);
  }
  const plan: Assignment[] = [];
  const mismatches: Mismatch[] = [];
  layers.forEach((layer, k) => {
    const vars = legacyWeights(layer);
    const { name, values } = fileLayers[k];
    if (values.length !== vars.length) {
      throw new Error(`Weight count mismatch for layer #${k} (named ${layer.name} in the current model, ${name} in the save file ${fileName}). Layer expects ${vars.length} weight(s). Received ${values.length} saved weight(s)`);
    }
    vars.forEach((variable, i) => {
      const a: Assignment = { variable, value: values[i].value, source: `${name}/${values[i].name}` };
      const bad = checkShape(a, layer.name);
      if (bad === undefined) plan.push(a);
      else mismatches.push({ layerName: layer.name, message: bad });
    });
  });
  reportMismatches(mismatches, fileName, options.skipMismatch ?? false);
  applyAssignments(plan);
}

