/**
 * What Keras's save_weights / load_weights do with a `.weights.h5` tree: the layer weights and,
 * for a compiled model, its optimizer's variables under `optimizer/` (saving_lib._save_state walks
 * the model's `optimizer` attribute like any other saveable). Loading is all or nothing: nothing
 * changes, neither weights nor optimizer state, unless every layer weight fits.
 */
import type { Layer } from '../../layers/layer.js';
import { Model } from '../../models/model.js';
import { getSession } from '../../backend.js';
import { checkOptions } from '../../strict-options.js';
import { readHdf5 } from '../hdf5/read.js';
import type { H5Group } from '../hdf5/tree.js';
import { writeHdf5 } from '../hdf5/write.js';
import { applyAssignments } from './assign.js';
import { planOptimizerLoad, writeOptimizerState } from './optimizer-state.js';
import { LOAD_WEIGHTS_OPTIONS, planWeightsFromTree, weightsToTree, type LoadWeightsOptions } from './weights-h5.js';

const BYTES_OPTIONS = [...LOAD_WEIGHTS_OPTIONS, 'fileName'];

/** The tree Keras's save_weights writes: layer weights, plus `optimizer/vars` when compiled. */
export function weightsFileTree(model: Layer): H5Group {
  const tree = weightsToTree(model);
  if (model instanceof Model && model.compiled !== undefined) {
    writeOptimizerState(tree, model.compiled.optimizer, getSession(), model.trainableVariables());
  }
  return tree;
}

/** Loads layer weights and (compiled model, file with `optimizer/`) the optimizer state, all checked first. */
export function loadWeightsFileTree(model: Layer, root: H5Group, fileName: string, options: LoadWeightsOptions = {}): void {
  const plan = planWeightsFromTree(model, root, fileName, options);
  let optimizer: (() => void) | undefined;
  if (model instanceof Model) {
    try {
      optimizer = planOptimizerLoad(model, root, fileName);
    } catch (e) {
      // Keras's skip_mismatch turns a failed optimizer load into a warning too.
      if (!(options.skipMismatch ?? false)) throw new Error(`Could not load weights from ${fileName}; no weight was changed. ${e instanceof Error ? e.message : String(e)}`);
      console.warn(`Loading weights from ${fileName}: skipped the optimizer state (skipMismatch): ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  applyAssignments(plan);
  optimizer?.();
}

/** `saving.weightsToBytes`: the `.weights.h5` image model.saveWeights writes. */
export async function weightsToBytes(model: Layer): Promise<Uint8Array> {
  return writeHdf5(weightsFileTree(model));
}

/** `saving.loadWeightsFromBytes`: model.loadWeights from a `.weights.h5` image. */
export async function loadWeightsFromBytes(model: Layer, bytes: Uint8Array, options: LoadWeightsOptions & { readonly fileName?: string } = {}): Promise<void> {
  checkOptions(options, BYTES_OPTIONS, 'loadWeightsFromBytes');
  const fileName = options.fileName ?? 'weights.h5 (in memory)';
  const root = await readHdf5(bytes, fileName);
  loadWeightsFileTree(model, root, fileName, options);
}
