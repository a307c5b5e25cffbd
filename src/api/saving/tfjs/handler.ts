/**
 * `loadLayersModel(pathOrHandler)`, the TF.js spelling: a path (`dir`, `file://dir`, `.../model.json`)
 * or an object with TF.js's IOHandler `load()` (what `tf.io.fromMemory(...)` or a custom handler
 * gives), whose artifacts hold the weights inline instead of in files.
 */
import type { Model } from '../../models/model.js';
import { checkOptions } from '../../strict-options.js';
import { type LoadTfjsOptions, loadTfjsArtifacts, loadTfjsModel } from './model-io.js';

/** The part of TF.js's ModelArtifacts a layers model is made of. */
export interface TfjsModelArtifacts {
  modelTopology?: unknown;
  weightSpecs?: unknown[];
  weightData?: ArrayBuffer | ArrayBuffer[] | Uint8Array;
  trainingConfig?: unknown;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
}

export interface TfjsLoadHandler {
  /** Optional in the type because TF.js's IOHandler declares it so; a handler without it is an error. */
  load?: () => Promise<TfjsModelArtifacts> | TfjsModelArtifacts;
}

const INLINE = 'weights.bin';

function bytesOf(data: TfjsModelArtifacts['weightData']): Uint8Array {
  if (data === undefined) return new Uint8Array(0);
  if (data instanceof Uint8Array) return data;
  const parts = Array.isArray(data) ? data : [data];
  const total = parts.reduce((n, b) => n + b.byteLength, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) { out.set(new Uint8Array(p), at); at += p.byteLength; }
  return out;
}

export async function loadLayersModel(pathOrHandler: string | TfjsLoadHandler, options: LoadTfjsOptions = {}): Promise<Model> {
  checkOptions(options, ['compile', 'customObjects', 'strict'], 'loadLayersModel');
  if (typeof pathOrHandler === 'string') return loadTfjsModel(pathOrHandler, options);
  if (typeof pathOrHandler !== 'object' || pathOrHandler === null || typeof pathOrHandler.load !== 'function') {
    throw new TypeError('loadLayersModel: expected a path (dir, file://dir or .../model.json) or an IOHandler with a load() method (such as tf.io.fromMemory(...))');
  }
  const a = await pathOrHandler.load();
  if (typeof a !== 'object' || a === null) throw new Error('loadLayersModel: the IOHandler\'s load() returned no model artifacts');
  const modelJson = {
    format: a.format,
    generatedBy: a.generatedBy,
    convertedBy: a.convertedBy ?? null,
    modelTopology: a.modelTopology,
    ...(a.trainingConfig !== undefined && a.trainingConfig !== null ? { trainingConfig: a.trainingConfig } : {}),
    weightsManifest: a.weightSpecs === undefined ? [] : [{ paths: [INLINE], weights: a.weightSpecs }],
  };
  const data = bytesOf(a.weightData);
  return loadTfjsArtifacts(JSON.parse(JSON.stringify(modelJson)), () => data, { ...options, file: 'IOHandler artifacts' });
}
