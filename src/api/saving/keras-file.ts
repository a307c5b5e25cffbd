/**
 * The Keras 3 `.keras` file as bytes: a zip (entries stored uncompressed, as Keras's zipfile
 * writes them) of `metadata.json`, `config.json` (serialize_keras_object(model) plus
 * `compile_config` when compiled) and `model.weights.h5` (the `.weights.h5` layout, plus
 * `optimizer/vars/..` when the optimizer is included), following keras/src/saving/saving_lib.py.
 */
import { unzipSync, zipSync } from 'fflate';
import { getSession } from '../backend.js';
import type { Model } from '../models/model.js';
import type { CustomObjects } from './config/class-registry.js';
import { isJsonObject, type Json, type JsonObject } from './config/json.js';
import { modelFromConfig, modelToConfig } from './config/public.js';
import { compileConfigOf, compileFromConfig } from './config/training-config.js';
import { readHdf5 } from './hdf5/read.js';
import type { H5Group } from './hdf5/tree.js';
import { writeHdf5 } from './hdf5/write.js';
import { KERAS_FORMAT_VERSION } from './weights/legacy-h5.js';
import { restoreOptimizer, writeOptimizerState } from './weights/optimizer-state.js';
import { loadWeightsFromTree, weightsToTree } from './weights/weights-h5.js';

export const CONFIG_FILENAME = 'config.json';
export const METADATA_FILENAME = 'metadata.json';
export const WEIGHTS_FILENAME = 'model.weights.h5';

export interface ModelReadOptions {
  /** Re-compile from the saved compile config and restore the optimizer state (default true). */
  readonly compile?: boolean;
  readonly customObjects?: CustomObjects;
}

/** Keras's `date_saved`: local time as `%Y-%m-%d@%H:%M:%S`. */
function dateSaved(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}@${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** config.json's object: the model's config, with `compile_config` after `build_config` when compiled. */
export function kerasFileConfig(model: Model): JsonObject {
  const config: Record<string, Json> = { ...modelToConfig(model) };
  if (model.compiled !== undefined) config.compile_config = compileConfigOf(model);
  return config;
}

/** The HDF5 tree of model.weights.h5: layer variables, and the optimizer's when compiled and asked for. */
export function kerasWeightsTree(model: Model, includeOptimizer: boolean): H5Group {
  const tree = weightsToTree(model);
  if (includeOptimizer && model.compiled !== undefined) {
    writeOptimizerState(tree, model.compiled.optimizer, getSession(), model.trainableVariables());
  }
  return tree;
}

export async function kerasFileBytes(model: Model, { includeOptimizer = true }: { readonly includeOptimizer?: boolean } = {}): Promise<Uint8Array> {
  const encoder = new TextEncoder();
  // Serialize everything before zipping so a config that cannot be written fails before any output exists.
  const config = JSON.stringify(kerasFileConfig(model));
  const weights = await writeHdf5(kerasWeightsTree(model, includeOptimizer));
  const metadata = JSON.stringify({ keras_version: KERAS_FORMAT_VERSION, date_saved: dateSaved() });
  return zipSync({
    [METADATA_FILENAME]: encoder.encode(metadata),
    [CONFIG_FILENAME]: encoder.encode(config),
    [WEIGHTS_FILENAME]: weights,
  }, { level: 0 });
}

/** The zip's entries; anything that is not a readable zip is an error naming the file. */
export function readKerasZip(bytes: Uint8Array, fileName: string): Record<string, Uint8Array> {
  try {
    return unzipSync(bytes);
  } catch (e) {
    throw new Error(`${fileName} is not a valid .keras file: not a zip archive, or truncated (${e instanceof Error ? e.message : String(e)}). A .keras file is a zip of ${CONFIG_FILENAME}, ${METADATA_FILENAME} and ${WEIGHTS_FILENAME}.`);
  }
}

/** Prefixes the file's name to an error from the config or weights code (once). */
export function inFile(fileName: string, e: unknown): Error {
  const message = e instanceof Error ? e.message : String(e);
  return new Error(message.includes(fileName) ? message : `${fileName}: ${message}`);
}

export function parseConfigJson(bytes: Uint8Array, where: string): JsonObject {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    throw new Error(`${where} is not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!isJsonObject(parsed as Json)) throw new Error(`${where}: expected a JSON object (serialize_keras_object of the model), got ${JSON.stringify(parsed)?.slice(0, 100)}`);
  return parsed as JsonObject;
}

/** Builds a model from config.json, loads its weights and (with compile) its compile state and optimizer state. */
export async function modelFromKerasBytes(bytes: Uint8Array, fileName: string, options: ModelReadOptions = {}): Promise<Model> {
  const entries = readKerasZip(bytes, fileName);
  const configBytes = entries[CONFIG_FILENAME];
  if (configBytes === undefined) throw new Error(`${fileName} has no ${CONFIG_FILENAME} entry (found: ${Object.keys(entries).join(', ') || 'nothing'}); a .keras file is a zip of ${CONFIG_FILENAME}, ${METADATA_FILENAME} and ${WEIGHTS_FILENAME}`);
  const weightBytes = entries[WEIGHTS_FILENAME];
  if (weightBytes === undefined) {
    const npz = entries['model.weights.npz'] !== undefined ? ' (it holds model.weights.npz: Keras\'s npz weights format is not supported; save with the default h5 weights format)' : '';
    throw new Error(`${fileName}: expected a ${WEIGHTS_FILENAME} entry${npz}`);
  }
  const { compile_config: compileConfig, ...modelConfig } = parseConfigJson(configBytes, `${fileName}/${CONFIG_FILENAME}`);
  // Read the weights before building anything, so a damaged HDF5 image fails first.
  const weightsName = `${fileName}/${WEIGHTS_FILENAME}`;
  const root = await readHdf5(weightBytes, weightsName);
  let model: Model;
  try {
    model = modelFromConfig(modelConfig, { customObjects: options.customObjects });
  } catch (e) {
    throw inFile(`${fileName}/${CONFIG_FILENAME}`, e);
  }
  loadWeightsFromTree(model, root, weightsName);
  if ((options.compile ?? true) && isJsonObject(compileConfig ?? null) && Object.keys(compileConfig as JsonObject).length > 0) {
    try {
      compileFromConfig(model, compileConfig as JsonObject);
    } catch (e) {
      throw inFile(`${fileName}/${CONFIG_FILENAME} (compile_config)`, e);
    }
    restoreOptimizer(model, root, weightsName);
  }
  return model;
}
