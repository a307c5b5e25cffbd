/** The Keras 3 `.weights.h5` layout: model -> H5Group tree and back (bytes through hdf5/). */
import type { Layer } from '../../layers/layer.js';
import { dataset, group, groupAt, stringAttr, type H5Array, type H5DType, type H5Group } from '../hdf5/tree.js';
import type { Variable } from '../../layers/variable.js';
import { applyAssignments, checkShape, countMessage, reportMismatches, type Assignment, type Mismatch } from './assign.js';
import { kerasWeightGroups } from './keras-layout.js';
import { optionKeys } from '../../strict-options.js';

export interface LoadWeightsOptions {
  /** Skip layers whose weights do not match in count or shape (Keras's skip_mismatch), with a warning. */
  readonly skipMismatch?: boolean;
}

export const LOAD_WEIGHTS_OPTIONS = optionKeys<LoadWeightsOptions>({ skipMismatch: true });

/** A variable's current value as an HDF5 array (int32 / bool weights are stored as Keras stores them). */
export function variableArray(v: Variable): H5Array {
  const t = v.numpy();
  const dtype: H5DType = v.dtype === 'float32' ? 'float32' : v.dtype === 'int32' ? 'int32' : 'uint8';
  const data = dtype === 'float32' ? Float32Array.from(t.data) : dtype === 'int32' ? Int32Array.from(t.data) : Uint8Array.from(t.data);
  return { dtype, shape: [...v.shape], data };
}

/** Writes `vars/0..n-1` with Keras's `name` attribute into the group at `path` (created). */
export function writeVarsGroup(root: H5Group, path: string, name: string, values: readonly H5Array[]): void {
  const vars = groupAt(root, path === '' ? 'vars' : `${path}/vars`, true);
  vars.attrs.set('name', stringAttr(name));
  values.forEach((value, i) => vars.children.set(String(i), dataset(value)));
}

/** The model's weights in the `.weights.h5` tree (what saving_lib.save_weights_only writes). */
export function weightsToTree(model: Layer): H5Group {
  const root = group();
  for (const g of kerasWeightGroups(model)) writeVarsGroup(root, g.path, g.name, g.variables.map(variableArray));
  return root;
}

/** The values at `<path>/vars/0..`, in index order. */
export function readVarsGroup(root: H5Group, path: string): H5Array[] {
  const vars = groupAt(root, path === '' ? 'vars' : `${path}/vars`);
  if (vars === undefined) return [];
  const out: H5Array[] = [];
  for (let i = 0; ; i++) {
    const d = vars.children.get(String(i));
    if (d === undefined || d.kind !== 'dataset') return out;
    out.push(d);
  }
}

/** Checks every layer's values against the model, then assigns all of them (or none). */
export function loadWeightsFromTree(model: Layer, root: H5Group, fileName: string, options: LoadWeightsOptions = {}): void {
  applyAssignments(planWeightsFromTree(model, root, fileName, options));
}

/** The assignments loading `root` makes; throws on a mismatch (warns and leaves it out with skipMismatch). */
export function planWeightsFromTree(model: Layer, root: H5Group, fileName: string, options: LoadWeightsOptions = {}): Assignment[] {
  const plan: Assignment[] = [];
  const mismatches: Mismatch[] = [];
  for (const g of kerasWeightGroups(model)) {
    const values = readVarsGroup(root, g.path);
    const vars = g.variables;
    if (values.length !== vars.length) {
      const built = vars.length > 0 || (model.built && g.path !== '');
      mismatches.push({ layerName: g.layerName, message: `${countMessage(g.layerName, vars, values.length, built)} (at "${g.path === '' ? '/' : g.path}" in ${fileName})` });
      continue;
    }
    const mine = vars.map((variable, i): Assignment => ({ variable, value: values[i], source: `${g.path === '' ? '' : `${g.path}/`}vars/${i}` }));
    const bad = mine.map((a) => checkShape(a, g.layerName)).filter((m): m is string => m !== undefined);
    if (bad.length > 0) mismatches.push(...bad.map((message) => ({ layerName: g.layerName, message })));
    else plan.push(...mine);
  }
  reportMismatches(mismatches, fileName, options.skipMismatch ?? false);
  return plan;
}
