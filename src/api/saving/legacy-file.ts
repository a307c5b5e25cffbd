/**
 * The legacy Keras HDF5 model file (`model.save('m.h5')`), following
 * keras/src/legacy/saving/legacy_h5_format.py: root attributes `model_config` (the model's config in
 * Keras's legacy form: layer entries without module / registered_name / build_config) and
 * `training_config` (compile arguments with `optimizer_config`), the `model_weights` layout, and
 * `optimizer_weights` (Keras's optimizer.variables, by order). Files from Keras 2 (tf.keras) read
 * through the Keras 2 dialect (list-style inbound_nodes, batch_input_shape).
 */
import { getSession } from '../backend.js';
import type { Model } from '../models/model.js';
import { isJsonObject, type Json, type JsonObject } from './config/json.js';
import { modelFromConfig, modelToConfig } from './config/public.js';
import { compileConfigOf, compileFromConfig } from './config/training-config.js';
import { keras2ToKeras3 } from './dialects/keras2-model.js';
import { readHdf5 } from './hdf5/read.js';
import { readStringList, setStringList } from './hdf5/split-attrs.js';
import { dataset, group, groupAt, nodeAt, toNumbers, type H5Array, type H5Group } from './hdf5/tree.js';
import { writeHdf5 } from './hdf5/write.js';
import { inFile, type ModelReadOptions } from './keras-file.js';
import { formatShape } from '../../ir/types.js';
import { legacyModelTree, loadLegacyWeights, readLegacyModelAttrs } from './weights/legacy-h5.js';

const ENTRY_ONLY = ['module', 'registered_name', 'build_config', 'compile_config'];
const strip = (o: JsonObject): JsonObject => Object.fromEntries(Object.entries(o).filter(([k]) => !ENTRY_ONLY.includes(k)));

/** Keras's legacy model config: the same config, with the model and its layer entries in legacy form. */
export function legacyModelConfig(model: Model): JsonObject {
  const top = strip(modelToConfig(model));
  const config = top.config as JsonObject;
  const layers = (config.layers as JsonObject[]).map(strip);
  return { ...top, config: { ...config, layers } };
}

/** Keras's training_config: compile_config without the optimizer, plus `optimizer_config` {class_name, config}. */
export function legacyTrainingConfig(model: Model): JsonObject | undefined {
  const compile = compileConfigOf(model);
  if (Object.keys(compile).length === 0) return undefined;
  const { optimizer, ...rest } = compile;
  const opt = optimizer as JsonObject;
  return { ...rest, optimizer_config: { class_name: opt.class_name, config: opt.config } };
}

/** `optimizer_weights`: Keras's optimizer.variables under their paths, listed in `weight_names`. */
function writeOptimizerWeights(root: H5Group, model: Model): void {
  if (model.compiled === undefined) return;
  const optimizer = model.compiled.optimizer;
  const session = getSession();
  const vars = optimizer.stateVariables(session, model.trainableVariables());
  const g = group();
  const names = vars.map((v, i) => {
    if (i === 0) return `${optimizer.name}/iteration`;
    if (i === 1) return `${optimizer.name}/learning_rate`;
    const rest = v.label.startsWith(`${optimizer.name}/`) ? v.label.slice(optimizer.name.length + 1) : v.label;
    return `${optimizer.name}/${rest.replace(/\//g, '_')}`;
  });
  setStringList(g.attrs, 'weight_names', names);
  vars.forEach((v, i) => {
    const data = session.read(v);
    const value: H5Array = i === 0 ? { dtype: 'int32', shape: [], data: Int32Array.from(data) } : { dtype: 'float32', shape: [...v.shape], data: Float32Array.from(data) };
    const parts = names[i].split('/');
    const leaf = parts.pop() as string;
    groupAt(g, parts.join('/'), true).children.set(leaf, dataset(value));
  });
  root.children.set('optimizer_weights', g);
}

export async function legacyFileBytes(model: Model, { includeOptimizer = true }: { readonly includeOptimizer?: boolean } = {}): Promise<Uint8Array> {
  const training = includeOptimizer ? legacyTrainingConfig(model) : undefined;
  const tree = legacyModelTree(model, {
    modelConfig: JSON.stringify(legacyModelConfig(model)),
    ...(training !== undefined ? { trainingConfig: JSON.stringify(training) } : {}),
  });
  if (includeOptimizer) writeOptimizerWeights(tree, model);
  return writeHdf5(tree);
}

/** Keras 2 optimizer configs carry keys Keras 3 dropped; those at their no-op values are left out. */
const KERAS2_OPTIMIZER_KEYS: Record<string, Json> = { is_legacy_optimizer: false, jit_compile: null, decay: 0 };

function optimizerFromTraining(optimizerConfig: Json, where: string): JsonObject {
  if (!isJsonObject(optimizerConfig) || typeof optimizerConfig.class_name !== 'string') throw new Error(`${where}: training_config.optimizer_config must be {"class_name", "config"}, got ${JSON.stringify(optimizerConfig)?.slice(0, 200)}`);
  const config = { ...(isJsonObject(optimizerConfig.config ?? null) ? optimizerConfig.config as JsonObject : {}) };
  for (const [k, neutral] of Object.entries(KERAS2_OPTIMIZER_KEYS)) {
    if (!(k in config)) continue;
    if (k === 'decay' && config.decay !== 0 && config.decay !== null) throw new Error(`${where}: the Keras 2 optimizer's decay=${JSON.stringify(config.decay)} is not supported; Keras 3 replaced it by learning-rate schedules`);
    if (k === 'is_legacy_optimizer' || k === 'jit_compile' || config[k] === neutral || config[k] === null) delete config[k];
  }
  // Keras 2 names its optimizers by class name ('Adam'); Keras 3 by snake_case ('adam').
  if (config.name === optimizerConfig.class_name) delete config.name;
  return { module: 'keras.optimizers', class_name: optimizerConfig.class_name, config, registered_name: null };
}

/** training_config → the compile_config form compileFromConfig reads. */
export function compileConfigFromTraining(training: JsonObject, where: string): JsonObject {
  const { optimizer_config: optimizerConfig, ...rest } = training;
  const out: Record<string, Json> = {};
  for (const k of ['loss', 'loss_weights', 'metrics', 'weighted_metrics', 'run_eagerly', 'steps_per_execution', 'jit_compile']) if (rest[k] !== undefined) out[k] = rest[k];
  if (optimizerConfig !== undefined && optimizerConfig !== null) out.optimizer = optimizerFromTraining(optimizerConfig, where);
  if (out.jit_compile !== undefined && typeof out.jit_compile !== 'boolean') delete out.jit_compile;
  return out;
}

/** Keras's set_weights of `optimizer_weights`, by order; a count or shape mismatch is an error that changes nothing. */
function loadOptimizerWeights(model: Model, root: H5Group, fileName: string, keras3: boolean): void {
  const g = root.children.get('optimizer_weights');
  if (g === undefined || g.kind !== 'group' || model.compiled === undefined) return;
  const names = readStringList(g.attrs, 'weight_names', `${fileName}:/optimizer_weights`) ?? [];
  const optimizer = model.compiled.optimizer;
  const session = getSession();
  const vars = optimizer.stateVariables(session, model.trainableVariables());
  if (names.length !== vars.length && !keras3) {
    // Keras 2 optimizers keep other variables (no learning-rate variable, other slot order): Keras 3's
    // legacy loader warns and starts a fresh optimizer, and so does this one.
    console.warn(`${fileName}: Error in loading the saved optimizer state (${names.length} values for ${vars.length} optimizer variables of '${optimizer.name}', a Keras 2 optimizer's layout). As a result, your model is starting with a freshly initialized optimizer.`);
    return;
  }
  if (names.length !== vars.length) {
    throw new Error(`${fileName}: optimizer_weights holds ${names.length} values, but optimizer '${optimizer.name}' for ${model.trainableVariables().length} trainable variables has ${vars.length} (iterations, learning rate, then each variable's slots); load with compile: false to skip the training state`);
  }
  const values = names.map((name, i) => {
    const d = nodeAt(g, name);
    if (d === undefined || d.kind !== 'dataset') throw new Error(`${fileName}: optimizer_weights lists "${name}" but has no dataset at that path`);
    const want = vars[i].shape;
    if (d.shape.length !== want.length || d.shape.some((n, k) => n !== want[k])) throw new Error(`${fileName}: optimizer weight ${i} ("${name}") has shape ${formatShape(d.shape)} in the file, but the optimizer expects ${formatShape(want)}`);
    return toNumbers(d, `${fileName}: optimizer_weights/${name}`);
  });
  vars.forEach((v, i) => session.write(v, values[i]));
}

export async function modelFromLegacyBytes(bytes: Uint8Array, fileName: string, options: ModelReadOptions = {}): Promise<Model> {
  const root = await readHdf5(bytes, fileName);
  const attrs = readLegacyModelAttrs(root);
  if (attrs.modelConfig === undefined) {
    throw new Error(`No model config found in the file at ${fileName}: it has no "model_config" attribute (a weights-only .h5 file loads with model.loadWeights)`);
  }
  const parse = (text: string, what: string): JsonObject => {
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch (e) {
      throw new Error(`${fileName}: the ${what} attribute is not valid JSON (${e instanceof Error ? e.message : String(e)})`);
    }
    if (!isJsonObject(v as Json)) throw new Error(`${fileName}: the ${what} attribute is not a JSON object`);
    return v as JsonObject;
  };
  const modelConfig = parse(attrs.modelConfig, 'model_config');
  // A Keras 3 file's hard_sigmoid is Keras 3's; only Keras 2 files mean the older piecewise formula.
  const keras3 = attrs.kerasVersion !== undefined && /^3\./.test(attrs.kerasVersion);
  let model: Model;
  try {
    model = modelFromConfig(keras2ToKeras3(modelConfig, { exactHardSigmoid: !keras3 }), { customObjects: options.customObjects });
  } catch (e) {
    throw inFile(`${fileName} (model_config)`, e);
  }
  loadLegacyWeights(model, root, fileName);
  if ((options.compile ?? true) && attrs.trainingConfig !== undefined) {
    const training = parse(attrs.trainingConfig, 'training_config');
    try {
      compileFromConfig(model, compileConfigFromTraining(training, fileName));
    } catch (e) {
      throw inFile(`${fileName} (training_config)`, e);
    }
    loadOptimizerWeights(model, root, fileName, keras3);
  }
  return model;
}
