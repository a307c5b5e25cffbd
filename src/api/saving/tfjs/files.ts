/**
 * The TF.js layers format on disk: `file://dir` (or a plain path) ↔ `dir/model.json` + `dir/weights.bin`,
 * as tfjs-node's file handler lays it out. Writes are atomic per file (temporary file in the same
 * directory, then rename; weights first so a model.json never points at weights not yet written).
 */
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize, sep } from 'node:path';
import type { JsonObject } from '../dialects/json.js';
import { type ParsedTfjsModel, parseTfjsModel } from './index.js';
import type { NamedWeight } from './read-weights.js';
import { writeTfjsModel, type TfjsWriteOptions } from './write.js';

/** `file://a/b` → `a/b`; other schemes are an error (http:// belongs to tf.io, not to the file loader). */
export function stripFileScheme(path: string): string {
  if (path.startsWith('file://')) return path.slice('file://'.length);
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(path);
  if (scheme) throw new Error(`'${path}': the ${scheme[1]}:// scheme is not supported; use file://dir or a file system path`);
  return path;
}

/** A weight file named in model.json, resolved inside model.json's directory and never outside it. */
function weightPath(dir: string, file: string, name: string): string {
  const n = normalize(name);
  if (isAbsolute(n) || n === '..' || n.startsWith(`..${sep}`)) {
    throw new Error(`${file}: weight file path '${name}' leaves the model's directory; weight paths must be relative file names`);
  }
  return join(dir, n);
}

/** Reads `dir/model.json` (or the given model.json) and its weight files. */
export async function readTfjsModelFiles(path: string): Promise<ParsedTfjsModel> {
  let file = stripFileScheme(path);
  const info = await stat(file).catch(() => undefined);
  if (info?.isDirectory()) file = join(file, 'model.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new Error(`${file}: cannot read the TensorFlow.js model.json: ${e instanceof Error ? e.message : String(e)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${e instanceof Error ? e.message : String(e)}); expected a TensorFlow.js model.json`);
  }
  const dir = dirname(file);
  return parseTfjsModel(json, async (name) => new Uint8Array(await readFile(weightPath(dir, file, name))), file);
}

async function atomicWrite(target: string, data: Uint8Array | string): Promise<void> {
  const temp = `${target}.tmp-${process.pid}-${Date.now()}`;
  try {
    await writeFile(temp, data);
    await rename(temp, target);
  } catch (e) {
    await rm(temp, { force: true });
    throw e;
  }
}

/** Writes `dir/model.json` + `dir/weights.bin`; `overwrite: false` refuses an existing model.json. */
export async function writeTfjsModelFiles(path: string, topology: JsonObject, weights: readonly NamedWeight[], opts: TfjsWriteOptions & { overwrite?: boolean } = {}): Promise<void> {
  const dir = stripFileScheme(path);
  const { overwrite = true, ...writeOpts } = opts;
  const { modelJson, weightData } = writeTfjsModel(topology, weights, writeOpts);
  await mkdir(dir, { recursive: true });
  const jsonPath = join(dir, 'model.json');
  if (!overwrite && (await stat(jsonPath).catch(() => undefined))) throw new Error(`${jsonPath} already exists and overwrite is false`);
  await atomicWrite(weightPath(dir, jsonPath, writeOpts.weightsPath ?? 'weights.bin'), weightData);
  await atomicWrite(jsonPath, JSON.stringify(modelJson));
}
