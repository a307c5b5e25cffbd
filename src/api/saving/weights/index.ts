/** Weights in Keras's HDF5 layouts: the Keras 3 `.weights.h5` one, the legacy `.h5` one, optimizer state. */
export { kerasWeightGroups, type WeightGroup } from './keras-layout.js';
export {
  weightsToTree, loadWeightsFromTree, planWeightsFromTree, readVarsGroup, writeVarsGroup, variableArray,
  type LoadWeightsOptions,
} from './weights-h5.js';
export {
  writeLegacyWeights, legacyModelTree, legacyWeightsTree, readLegacyModelAttrs, legacyWeightsGroup, loadLegacyWeights,
  KERAS_FORMAT_VERSION, BACKEND_NAME, type LegacyModelFile,
} from './legacy-h5.js';
export { writeOptimizerState, loadOptimizerState, restoreOptimizer, planOptimizerLoad, OPTIMIZER_PATH } from './optimizer-state.js';
export { weightsFileTree, loadWeightsFileTree, weightsToBytes, loadWeightsFromBytes } from './compiled-weights.js';
export { saveWeightsFile, loadWeightsFile, loadWeightsFromHdf5Bytes, writeFileAtomic, isLegacyTree } from './files.js';
export { legacyModelToBytes, legacyWeightsToBytes, readLegacyFile, loadLegacyWeightsFromBytes, type LegacyFileContents } from './legacy-bytes.js';
