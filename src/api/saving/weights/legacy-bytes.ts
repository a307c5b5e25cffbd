/** Bytes in / bytes out for the legacy `.h5` layout (the `.h5` model writer and reader build on these). */
import type { Layer } from '../../layers/layer.js';
import { checkOptions } from '../../strict-options.js';
import { readHdf5 } from '../hdf5/read.js';
import type { H5Group } from '../hdf5/tree.js';
import { writeHdf5 } from '../hdf5/write.js';
import { legacyModelTree, legacyWeightsTree, loadLegacyWeights, readLegacyModelAttrs, type LegacyModelFile } from './legacy-h5.js';
import { LOAD_WEIGHTS_OPTIONS, type LoadWeightsOptions } from './weights-h5.js';

/** A full legacy model file: root `model_config` / `training_config` (raw JSON strings) and `model_weights`. */
export async function legacyModelToBytes(model: Layer, file: LegacyModelFile = {}): Promise<Uint8Array> {
  return writeHdf5(legacyModelTree(model, file));
}

/** A legacy weights-only file (Keras's `save_weights('x.h5')`). */
export async function legacyWeightsToBytes(model: Layer): Promise<Uint8Array> {
  return writeHdf5(legacyWeightsTree(model));
}

export interface LegacyFileContents extends LegacyModelFile {
  readonly kerasVersion?: string;
  readonly backend?: string;
  /** The whole file, for loadLegacyWeights once the model is built from modelConfig. */
  readonly root: H5Group;
}

export async function readLegacyFile(bytes: Uint8Array, fileName: string): Promise<LegacyFileContents> {
  const root = await readHdf5(bytes, fileName);
  return { ...readLegacyModelAttrs(root), root };
}

export async function loadLegacyWeightsFromBytes(model: Layer, bytes: Uint8Array, options: LoadWeightsOptions & { readonly fileName?: string } = {}): Promise<void> {
  checkOptions(options, [...LOAD_WEIGHTS_OPTIONS, 'fileName'], 'loadLegacyWeightsFromBytes');
  const fileName = options.fileName ?? 'weights.h5 (in memory)';
  loadLegacyWeights(model, await readHdf5(bytes, fileName), fileName, { skipMismatch: options.skipMismatch });
}
