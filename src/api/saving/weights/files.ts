/**
 * Weight files on disk: thin wrappers over the in-memory functions. Saving writes a temporary
 * file in the same directory and renames it over the target, so a failed save leaves the old
 * file intact and no temporary file behind.
 */
import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { unzipSync } from 'fflate';
import type { Layer } from '../../layers/layer.js';
import { readHdf5 } from '../hdf5/read.js';
import type { H5Group } from '../hdf5/tree.js';
import { writeHdf5 } from '../hdf5/write.js';
import { legacyWeightsTree, loadLegacyWeights } from './legacy-h5.js';
import { checkOptions } from '../../strict-options.js';
import { LOAD_WEIGHTS_OPTIONS, type LoadWeightsOptions } from './weights-h5.js';
import { loadWeightsFileTree, weightsFileTree } from './compiled-weights.js';

export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(temp, bytes, { flag: 'wx' });
    await rename(temp, path);
  } catch (e) {
    await rm(temp, { force: true });
    throw e;
  }
}

const isKeras3Weights = (path: string): boolean => path.endsWith('.weights.h5');
const isLegacyH5 = (path: string): boolean => /\.(h5|hdf5)$/.test(path) && !isKeras3Weights(path);

/** `model.saveWeights(path)`: `.weights.h5` in the Keras 3 layout, `.h5` / `.hdf5` in the legacy one. */
export async function saveWeightsFile(model: Layer, path: string): Promise<void> {
  if (typeof path !== 'string' || path === '') throw new Error(`saveWeights: the path must be a non-empty string, got ${String(path)}`);
  let tree: H5Group;
  if (isKeras3Weights(path)) tree = weightsFileTree(model);
  else if (isLegacyH5(path)) tree = legacyWeightsTree(model);
  else throw new Error(`The filename must end in \`.weights.h5\` (or \`.h5\` for the legacy Keras format). Received: filepath=${path}`);
  await writeFileAtomic(path, await writeHdf5(tree));
}

/** Which layout a weights tree is in: legacy files have `model_weights` or `layer_names`. */
export function isLegacyTree(root: H5Group): boolean {
  return root.children.has('model_weights') || root.attrs.has('layer_names') || root.attrs.has('layer_names0');
}

/** Loads from an HDF5 image in either layout (checked by content, so a misnamed file still loads). */
export async function loadWeightsFromHdf5Bytes(model: Layer, bytes: Uint8Array, fileName: string, options: LoadWeightsOptions = {}): Promise<void> {
  const root = await readHdf5(bytes, fileName);
  if (isLegacyTree(root)) loadLegacyWeights(model, root, fileName, options);
  else loadWeightsFileTree(model, root, fileName, options);
}

/** `model.loadWeights(path)`: `.weights.h5`, legacy `.h5` / `.hdf5`, or the weights inside a `.keras` zip. */
export async function loadWeightsFile(model: Layer, path: string, options: LoadWeightsOptions = {}): Promise<void> {
  checkOptions(options, LOAD_WEIGHTS_OPTIONS, 'loadWeights');
  if (typeof path !== 'string' || path === '') throw new Error(`loadWeights: the path must be a non-empty string, got ${String(path)}`);
  const bytes = new Uint8Array(await readFile(path));
  if (path.endsWith('.keras')) {
    let entries: Record<string, Uint8Array>;
    try {
      entries = unzipSync(bytes, { filter: (f) => f.name === 'model.weights.h5' });
    } catch (e) {
      throw new Error(`${path} is not a .keras file (not a zip archive, or truncated): ${e instanceof Error ? e.message : String(e)}`);
    }
    const weights = entries['model.weights.h5'];
    if (weights === undefined) throw new Error(`${path} has no model.weights.h5 entry; a .keras file holds config.json, metadata.json and model.weights.h5`);
    await loadWeightsFromHdf5Bytes(model, weights, `${path}/model.weights.h5`, options);
    return;
  }
  if (!isKeras3Weights(path) && !isLegacyH5(path)) {
    throw new Error(`loadWeights: unsupported file ${path}; expected a \`.weights.h5\`, \`.h5\` / \`.hdf5\` or \`.keras\` file`);
  }
  await loadWeightsFromHdf5Bytes(model, bytes, path, options);
}
