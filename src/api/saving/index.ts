/**
 * The `saving` namespace: Keras 3 configs (this folder's config/), and what the file formats
 * (.keras, .h5, TF.js) build on: model and compile configs to and from JSON.
 */
export { registerKerasSerializable, type RegisterOptions, type CustomObjects } from './config/class-registry.js';
export { serialize as serializeLayer, deserialize as deserializeLayer, modelToConfig, modelFromConfig, modelFromJSON, type CustomObjectsOption } from './config/public.js';
export type { Json, JsonObject } from './config/json.js';
export { compileConfigOf, compileFromConfig, serializeLoss, deserializeLoss, serializeMetric, deserializeMetric, serializeOptimizer, deserializeOptimizer, serializeSchedule, deserializeSchedule, type CompileFromConfigOptions } from './config/training-config.js';
export {
  serializeInitializer, deserializeInitializer, serializeRegularizer, deserializeRegularizer,
  serializeConstraint, deserializeConstraint, serializeActivation, deserializeActivation,
} from './config/objects.js';
export {
  saveModel, loadModel, saveModelToBytes, loadModelFromBytes, sniffFormat,
  type ModelFileFormat, type SaveModelOptions, type SaveModelToBytesOptions, type LoadModelOptions, type LoadModelFromBytesOptions,
} from './model-files.js';
export {
  tfjsArtifactsOf, loadTfjsArtifacts, saveTfjsModel, loadTfjsModel, loadLayersModel,
  type SaveTfjsOptions, type LoadTfjsOptions, type TfjsLoadHandler, type TfjsModelArtifacts,
} from './tfjs/index.js';
