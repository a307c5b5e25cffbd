/**
 * Whole-model saving and loading: `model.save(path)`, `loadModel(path)` and their in-memory forms.
 * The path's extension picks the format (`.keras`, `.h5` / `.hdf5`); bytes are recognised by their
 * magic numbers (zip `PK\x03\x04`, HDF5 `\x89HDF\r\n\x1a\n`). Writes are atomic (a temporary file in
 * the same directory, renamed over the target), so a failed save leaves the previous file.
 */
import { readFile, stat } from 'node:fs/promises';
import { Model } from '../models/model.js';
import { checkOptions, optionKeys } from '../strict-options.js';
import type { CustomObjects } from './config/class-registry.js';
import { kerasFileBytes, modelFromKerasBytes } from './keras-file.js';
import { legacyFileBytes, modelFromLegacyBytes } from './legacy-file.js';
import { loadTfjsModel, saveTfjsModel } from './tfjs/model-io.js';
import { writeFileAtomic } from './weights/files.js';

export type ModelFileFormat = 'keras' | 'h5';

export interface SaveModelOptions {
  /** Replace an existing file (default true); false makes an existing file an error. */
  readonly overwrite?: boolean;
  /** Write the optimizer's state so training resumes exactly (default true). */
  readonly includeOptimizer?: boolean;
}
export interface SaveModelToBytesOptions {
  readonly format?: ModelFileFormat;
  readonly includeOptimizer?: boolean;
}
export interface LoadModelOptions {
  /** Re-compile as saved (optimizer with its state, loss, metrics, loss weights); default true. */
  readonly compile?: boolean;
  /** Classes by the name files use for them (or register them with saving.registerKerasSerializable). */
  readonly customObjects?: CustomObjects;
  /** Keras's safe_mode: only true is supported (a Lambda's code is never read from a file). */
  readonly safeMode?: boolean;
}
export interface LoadModelFromBytesOptions extends LoadModelOptions {
  /** The format; by default recognised from the bytes. */
  readonly format?: ModelFileFormat;
  /** Names the bytes in errors. */
  readonly fileName?: string;
}

const SAVE_OPTIONS = optionKeys<SaveModelOptions>({ overwrite: true, includeOptimizer: true });
const SAVE_BYTES_OPTIONS = optionKeys<SaveModelToBytesOptions>({ format: true, includeOptimizer: true });
const LOAD_OPTIONS = optionKeys<LoadModelOptions>({ compile: true, customObjects: true, safeMode: true });
const LOAD_BYTES_OPTIONS = optionKeys<LoadModelFromBytesOptions>({ compile: true, customObjects: true, safeMode: true, format: true, fileName: true });

const FORMATS_HELP = '`.keras` (Keras 3, recommended), `.h5` / `.hdf5` (legacy Keras HDF5), or `file://dir` / a `model.json` path (TensorFlow.js layers format)';

/** The TensorFlow.js layers format (`file://dir`, `.../model.json`), routed to tfjs/model-io.ts. */
function isTfjsPath(path: string): boolean {
  return path.startsWith('file://') || path.endsWith('model.json');
}

/** The format a path's extension names, or undefined. */
export function formatOfPath(path: string): ModelFileFormat | undefined {
  if (path.endsWith('.keras')) return 'keras';
  if (/\.(h5|hdf5)$/i.test(path)) return 'h5';
  return undefined;
}

const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];
const HDF5_MAGIC = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
const startsWith = (bytes: Uint8Array, magic: readonly number[]) => magic.every((b, i) => bytes[i] === b);

/** The format of a model file image by its first bytes. */
export function sniffFormat(bytes: Uint8Array, fileName: string): ModelFileFormat {
  if (startsWith(bytes, ZIP_MAGIC)) return 'keras';
  if (startsWith(bytes, HDF5_MAGIC)) return 'h5';
  throw new Error(`${fileName} is neither a .keras file (a zip archive) nor a Keras HDF5 file: its first bytes are [${Array.from(bytes.slice(0, 8), (b) => `0x${b.toString(16).padStart(2, '0')}`).join(', ')}] (${bytes.length} bytes in all)`);
}

function checkModel(model: unknown, where: string): asserts model is Model {
  if (!(model instanceof Model)) {
    throw new TypeError(`${where}: expected a keras-jit Model (Sequential or functional), got ${String(model)}`);
  }
}

export async function saveModelToBytes(model: Model, options: SaveModelToBytesOptions = {}): Promise<Uint8Array> {
  checkOptions(options, SAVE_BYTES_OPTIONS, 'saveModelToBytes');
  checkModel(model, 'saveModelToBytes');
  const { format = 'keras', includeOptimizer = true } = options;
  if (format === 'keras') return kerasFileBytes(model, { includeOptimizer });
  if (format === 'h5') return legacyFileBytes(model, { includeOptimizer });
  throw new Error(`saveModelToBytes: unknown format ${JSON.stringify(format)}; expected 'keras' or 'h5'`);
}

/** `model.save(path, { overwrite, includeOptimizer })`. */
export async function saveModel(model: Model, path: string, options: SaveModelOptions = {}): Promise<void> {
  checkOptions(options, SAVE_OPTIONS, 'model.save');
  if (typeof path !== 'string' || path === '') throw new TypeError(`model.save: the path must be a non-empty string, got ${String(path)}`);
  if (isTfjsPath(path)) {
    // TF.js files carry no optimizer state: includeOptimizer is passed only when given (true is refused there).
    const { overwrite, includeOptimizer } = options;
    await saveTfjsModel(model, path, { ...(overwrite !== undefined ? { overwrite } : {}), ...(includeOptimizer !== undefined ? { includeOptimizer } : {}) });
    return;
  }
  const format = formatOfPath(path);
  if (format === undefined) {
    throw new Error(`Invalid filepath extension for saving. Please add either a \`.keras\` extension for the native Keras format (recommended) or a \`.h5\` extension; keras-jit saves ${FORMATS_HELP}. Received: filepath=${path}`);
  }
  const { overwrite = true, includeOptimizer = true } = options;
  if (!overwrite && (await stat(path).catch(() => undefined)) !== undefined) {
    throw new Error(`model.save: ${path} already exists and overwrite is false`);
  }
  const bytes = await saveModelToBytes(model, { format, includeOptimizer });
  await writeFileAtomic(path, bytes);
}

function checkSafeMode(safeMode: boolean | undefined, where: string): void {
  if (safeMode === false) throw new Error(`${where}: safeMode=false is not supported; keras-jit never deserializes code from a file (a Lambda layer must be rebuilt in code, or replaced by a custom layer registered with saving.registerKerasSerializable)`);
}

export async function loadModelFromBytes(bytes: Uint8Array, options: LoadModelFromBytesOptions = {}): Promise<Model> {
  checkOptions(options, LOAD_BYTES_OPTIONS, 'loadModelFromBytes');
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`loadModelFromBytes: expected a Uint8Array, got ${String(bytes)}`);
  const { fileName = 'model (in memory)', format, safeMode, ...read } = options;
  checkSafeMode(safeMode, 'loadModelFromBytes');
  const fmt = format ?? sniffFormat(bytes, fileName);
  if (fmt === 'keras') return modelFromKerasBytes(bytes, fileName, read);
  if (fmt === 'h5') return modelFromLegacyBytes(bytes, fileName, read);
  throw new Error(`loadModelFromBytes: unknown format ${JSON.stringify(fmt)}; expected 'keras' or 'h5'`);
}

/** `loadModel(path, { compile, customObjects, safeMode })`: `.keras` or `.h5` / `.hdf5`. */
export async function loadModel(path: string, options: LoadModelOptions = {}): Promise<Model> {
  checkOptions(options, LOAD_OPTIONS, 'loadModel');
  if (typeof path !== 'string' || path === '') throw new TypeError(`loadModel: the path must be a non-empty string, got ${String(path)}`);
  checkSafeMode(options.safeMode, 'loadModel');
  if (isTfjsPath(path)) {
    const { compile, customObjects } = options;
    return loadTfjsModel(path, { ...(compile !== undefined ? { compile } : {}), ...(customObjects !== undefined ? { customObjects } : {}) });
  }
  const format = formatOfPath(path);
  if (format === undefined) {
    throw new Error(`File format not supported: filepath=${path}. keras-jit loads ${FORMATS_HELP}.`);
  }
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (e) {
    throw new Error(`loadModel: cannot read ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
  // The content decides (a misnamed file still loads); an extension that disagrees is not an error, as in Keras's loaders.
  return loadModelFromBytes(bytes, { ...options, fileName: path, format: bytes.length >= 8 ? sniffFormat(bytes, path) : format });
}
