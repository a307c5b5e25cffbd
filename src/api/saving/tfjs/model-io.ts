/**
 * Whole models in the TensorFlow.js layers format: keras-jit model ↔ model.json + weight bytes, in
 * memory (`tfjsArtifactsOf`, `loadTfjsArtifacts`) and on disk (`saveTfjsModel('file://dir')`,
 * `loadTfjsModel(dir | file://dir | .../model.json)`). The topology goes through the Keras 2 dialect
 * (keras2ToKeras3 / keras3ToKeras2), weights are matched to layers by name (TF.js writes all trainable
 * weights before all non-trainable ones, so file order is not layer order), and nothing is assigned
 * until every weight of the file has found its variable.
 */
import type { Layer } from '../../layers/layer.js';
import type { Variable } from '../../layers/variable.js';
import type { Model } from '../../models/model.js';
import type { CustomObjects } from '../config/class-registry.js';
import { modelFromConfig, modelToConfig } from '../config/public.js';
import type { JsonObject } from '../dialects/json.js';
import { keras2ToKeras3, keras3ToKeras2 } from '../dialects/keras2-model.js';
import { readTfjsModelFiles, stripFileScheme, writeTfjsModelFiles } from './files.js';
import { type ParsedTfjsModel, parseTfjsModel } from './index.js';
import type { NamedWeight, ReadWeightFile } from './read-weights.js';
import { compileFromTfjsTrainingConfig, tfjsTrainingConfigOf } from './training-config.js';
import { assignWeightsToLayers, keras2VariableName, splitWeightName } from './weight-names.js';
import { type TfjsArtifacts, writeTfjsModel } from './write.js';
import { checkOptions } from '../../strict-options.js';

export interface SaveTfjsOptions {
  /** false: an existing `dir/model.json` is an error (default true, as Keras). */
  readonly overwrite?: boolean;
  /** Optimizer state in the file; keras-jit does not write TF.js optimizer weights, so only false (TF.js's default). */
  readonly includeOptimizer?: boolean;
}

export interface LoadTfjsOptions {
  /** Compile the model from the file's training config (default true, as Keras and TF.js). */
  readonly compile?: boolean;
  readonly customObjects?: CustomObjects;
  /**
   * true (default, as tf.loadLayersModel): every weight of the model must be in the file and every
   * weight of the file must belong to the model. false: layers the file has no weights for keep their
   * initial values and file weights of no layer are skipped, each with a warning.
   */
  readonly strict?: boolean;
}

const SAVE_KEYS = ['overwrite', 'includeOptimizer'] as const;
const LOAD_KEYS = ['compile', 'customObjects', 'strict'] as const;

/** A layer's variables in Keras order with the names TF.js gives them (`<layer>/<variable>`). */
function layerVariables(layer: Layer): Variable[] {
  return layer.weights;
}

function namedWeights(model: Model): NamedWeight[] {
  const out: NamedWeight[] = [];
  const seen = new Set<string>();
  for (const layer of model.layers) {
    for (const v of layerVariables(layer)) {
      // tfjs-layers loads weights by these names (LayersModel.loadWeights keys on originalName).
      const name = `${layer.name}/${keras2VariableName(layer, v.name)}`;
      if (seen.has(name)) throw new Error(`Cannot save to the TF.js format: layer '${layer.name}' has two weights named '${v.name}' (nested sublayers), which TF.js names the same`);
      seen.add(name);
      const t = v.numpy();
      const dtype = v.dtype === 'int32' ? 'int32' : 'float32';
      if (v.dtype !== 'int32' && v.dtype !== 'float32') throw new Error(`Cannot save to the TF.js format: weight '${name}' is ${v.dtype}; TF.js layers models hold float32 and int32 weights`);
      out.push({ name, shape: [...v.shape], dtype, values: dtype === 'int32' ? Int32Array.from(t.data as ArrayLike<number>) : Float32Array.from(t.data as ArrayLike<number>) });
    }
  }
  return out;
}

function topologyOf(model: Model): JsonObject {
  return keras3ToKeras2(modelToConfig(model), { kerasVersion: 'tfjs-layers compatible (keras-jit)', backend: 'tensor_flow.js' });
}

/** `{ modelJson, weightData }` as tfjs-node's file handler would write them (weights.bin). */
export function tfjsArtifactsOf(model: Model, options: Pick<SaveTfjsOptions, 'includeOptimizer'> = {}): TfjsArtifacts {
  checkOptions(options, ['includeOptimizer'], 'tfjsArtifactsOf');
  if (options.includeOptimizer === true) {
    throw new Error('includeOptimizer: true is not supported for the TensorFlow.js format: keras-jit does not write TF.js optimizer weights (the compile state itself is saved). Save as .keras to keep the optimizer state.');
  }
  const trainingConfig = tfjsTrainingConfigOf(model);
  return writeTfjsModel(topologyOf(model), namedWeights(model), trainingConfig === undefined ? {} : { trainingConfig });
}

/** Writes `dir/model.json` + `dir/weights.bin` (`path` is `file://dir` or a directory). */
export async function saveTfjsModel(model: Model, path: string, options: SaveTfjsOptions = {}): Promise<void> {
  checkOptions(options, SAVE_KEYS, 'saveTfjsModel');
  const dir = stripFileScheme(path);
  if (dir.endsWith('.json')) throw new Error(`saveTfjsModel: '${path}' names a file; the TF.js format is saved to a directory (file://dir gets dir/model.json and dir/weights.bin)`);
  if (options.includeOptimizer === true) tfjsArtifactsOf(model, { includeOptimizer: true });
  // Everything is converted before the first byte is written, so an unsavable model leaves the directory as it was.
  const trainingConfig = tfjsTrainingConfigOf(model);
  const topology = topologyOf(model);
  const weights = namedWeights(model);
  await writeTfjsModelFiles(dir, topology, weights, { overwrite: options.overwrite ?? true, ...(trainingConfig === undefined ? {} : { trainingConfig }) });
}

/** The model's layer a weight name belongs to: its first path segment that names a layer (converters prefix the model's name). */
function withLayerNames(weights: readonly NamedWeight[], layerNames: ReadonlySet<string>): NamedWeight[] {
  return weights.map((w) => {
    if (layerNames.has(splitWeightName(w.name).layer)) return w;
    const parts = w.name.replace(/:\d+$/, '').split('/');
    const at = parts.findIndex((p) => layerNames.has(p));
    return at > 0 ? { ...w, name: parts.slice(at).join('/') } : w;
  });
}

function assignWeights(model: Model, fileWeights: readonly NamedWeight[], file: string, strict: boolean): void {
  const layers = model.layers;
  const names = new Set(layers.map((l) => l.name));
  let weights = withLayerNames(fileWeights, names);
  let slots = layers.map((l) => ({ name: l.name, weights: layerVariables(l).map((v) => ({ name: keras2VariableName(l, v.name), shape: v.shape })) }));
  if (!strict) {
    const stray = weights.filter((w) => !names.has(splitWeightName(w.name).layer));
    if (stray.length > 0) console.warn(`${file}: skipped ${stray.length} weight(s) that belong to no layer of the model (strict: false): ${stray.slice(0, 5).map((w) => w.name).join(', ')}`);
    weights = weights.filter((w) => names.has(splitWeightName(w.name).layer));
    const present = new Set(weights.map((w) => splitWeightName(w.name).layer));
    const missing = slots.filter((s) => s.weights.length > 0 && !present.has(s.name));
    if (missing.length > 0) console.warn(`${file}: no weights for layer(s) ${missing.map((s) => `'${s.name}'`).join(', ')}; they keep their initial values (strict: false)`);
    slots = slots.filter((s) => present.has(s.name));
  }
  const byLayer = assignWeightsToLayers(weights, slots, file);
  const plan: Array<{ variable: Variable; values: Float32Array | Int32Array }> = [];
  for (const layer of layers) {
    const found = byLayer.get(layer.name);
    if (found === undefined) continue;
    layerVariables(layer).forEach((variable, i) => plan.push({ variable, values: found[i].values }));
  }
  // Only now, with every weight matched and shaped right, does any variable change.
  for (const { variable, values } of plan) variable.assign(values);
}

function buildModel(parsed: ParsedTfjsModel, file: string, options: LoadTfjsOptions): Model {
  let model: Model;
  try {
    model = modelFromConfig(keras2ToKeras3(parsed.topology), options.customObjects === undefined ? {} : { customObjects: options.customObjects });
  } catch (e) {
    throw new Error(`${file}: cannot build the model from modelTopology: ${e instanceof Error ? e.message : String(e)}`);
  }
  const optimizerWeights = parsed.weights.filter((w) => w.group === 'optimizer');
  assignWeights(model, parsed.weights.filter((w) => w.group !== 'optimizer'), file, options.strict ?? true);
  if ((options.compile ?? true) && parsed.trainingConfig !== undefined) {
    compileFromTfjsTrainingConfig(model, parsed.trainingConfig, file);
    if (optimizerWeights.length > 0) console.warn(`${file}: the file holds TF.js optimizer state (${optimizerWeights.length} weights); keras-jit does not read it, so training resumes with a fresh optimizer`);
  }
  return model;
}

/**
 * Builds a model from a parsed model.json (tfjs-layers or converter) and its weight files, read
 * through `readWeightFile(path)` with the manifest's relative paths.
 */
export async function loadTfjsArtifacts(modelJson: unknown, readWeightFile: ReadWeightFile, options: LoadTfjsOptions & { readonly file?: string } = {}): Promise<Model> {
  checkOptions(options, [...LOAD_KEYS, 'file'], 'loadTfjsArtifacts');
  const file = options.file ?? 'model.json';
  let json = modelJson;
  // model.json as text (read from a file or fetched) is accepted as well as parsed.
  if (typeof modelJson === 'string') {
    try {
      json = JSON.parse(modelJson);
    } catch (e) {
      throw new Error(`${file}: not valid JSON (${e instanceof Error ? e.message : String(e)}); expected a TensorFlow.js model.json`);
    }
  }
  return buildModel(await parseTfjsModel(json, readWeightFile, file), file, options);
}

/** Loads `dir`, `file://dir` or `.../model.json` with its weight files. */
export async function loadTfjsModel(path: string, options: LoadTfjsOptions = {}): Promise<Model> {
  checkOptions(options, LOAD_KEYS, 'loadTfjsModel');
  const parsed = await readTfjsModelFiles(path);
  const dir = stripFileScheme(path);
  const file = dir.endsWith('.json') ? dir : `${dir.replace(/\/$/, '')}/model.json`;
  return buildModel(parsed, file, options);
}
