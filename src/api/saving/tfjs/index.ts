/**
 * The TensorFlow.js layers format as pure data: bytes and JSON in, bytes and JSON out. Building a model
 * from the topology is the caller's (see loadTfjsLayersModel's `modelFromConfig`).
 */
import type { JsonObject } from '../dialects/json.js';
import { type DialectOptions, keras2ToKeras3 } from '../dialects/keras2-model.js';
import { parseModelJson } from './model-json.js';
import { type NamedWeight, type ReadWeightFile, readWeights } from './read-weights.js';

export { parseModelJson } from './model-json.js';
export type { TfjsModelJson, TfjsWeightSpec, TfjsQuantization } from './model-json.js';
export { decodeWeight, readWeights } from './read-weights.js';
export type { NamedWeight, ReadWeightFile } from './read-weights.js';
export { writeTfjsModel } from './write.js';
export type { TfjsArtifacts, TfjsWriteOptions } from './write.js';
export { assignWeightsToLayers, keras2VariableName, splitWeightName } from './weight-names.js';
export type { LayerWeightSlots } from './weight-names.js';

export interface ParsedTfjsModel {
  /** The Keras 2 dialect model config as the file holds it. */
  topology: JsonObject;
  trainingConfig?: JsonObject;
  weights: NamedWeight[];
  format?: string;
  generatedBy?: string;
  convertedBy?: string;
}

/** Parses `model.json` and reads its weight files; `file` names model.json in errors. */
export async function parseTfjsModel(modelJson: unknown, readWeightFile: ReadWeightFile, file = 'model.json'): Promise<ParsedTfjsModel> {
  const mj = parseModelJson(modelJson, file);
  const weights = await readWeights(mj, readWeightFile, file);
  const out: ParsedTfjsModel = { topology: mj.topology, weights };
  if (mj.trainingConfig !== undefined) out.trainingConfig = mj.trainingConfig;
  if (mj.format !== undefined) out.format = mj.format;
  if (mj.generatedBy !== undefined) out.generatedBy = mj.generatedBy;
  if (mj.convertedBy !== undefined) out.convertedBy = mj.convertedBy;
  return out;
}

/**
 * Loads a TF.js layers model through the caller's model builder: the topology is converted to Keras 3
 * config form and handed to `modelFromConfig`, then `setWeights` receives the file's weights (the
 * caller matches them with assignWeightsToLayers so a mismatch changes nothing).
 */
export async function loadTfjsLayersModel<M>(
  modelJson: unknown,
  readWeightFile: ReadWeightFile,
  hooks: {
    modelFromConfig: (keras3Config: JsonObject, trainingConfig: JsonObject | undefined) => M | Promise<M>;
    setWeights: (model: M, weights: NamedWeight[]) => void | Promise<void>;
  },
  file = 'model.json',
  opts: DialectOptions = {},
): Promise<M> {
  const parsed = await parseTfjsModel(modelJson, readWeightFile, file);
  const model = await hooks.modelFromConfig(keras2ToKeras3(parsed.topology, opts), parsed.trainingConfig);
  await hooks.setWeights(model, parsed.weights);
  return model;
}
export { tfjsArtifactsOf, loadTfjsArtifacts, saveTfjsModel, loadTfjsModel } from './model-io.js';
export type { SaveTfjsOptions, LoadTfjsOptions } from './model-io.js';
export { loadLayersModel } from './handler.js';
export type { TfjsLoadHandler, TfjsModelArtifacts } from './handler.js';
