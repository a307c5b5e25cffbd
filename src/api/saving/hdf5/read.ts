/** HDF5 bytes -> H5Group tree, through h5wasm's in-memory file system. */
import type { Attribute, Dataset, Group } from 'h5wasm';
import { dtypeOf } from './dtypes.js';
import { loadH5wasm, scratchPath, type H5Wasm } from './h5wasm-module.js';
import type { H5Array, H5Dataset, H5Group, H5NumericArray } from './tree.js';

const SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/** HDF5 puts its signature at byte 0, 512, 1024, 2048, ... (after a user block). */
function hasSignature(bytes: Uint8Array): boolean {
  for (let at = 0; at + SIGNATURE.length <= bytes.length; at = at === 0 ? 512 : at * 2) {
    if (SIGNATURE.every((b, i) => bytes[at + i] === b)) return true;
  }
  return false;
}

/**
 * Reads a whole HDF5 file image. `fileName` only names the file in errors: the bytes may come
 * from disk, a zip entry or the network.
 */
export async function readHdf5(bytes: Uint8Array, fileName: string): Promise<H5Group> {
  if (!hasSignature(bytes)) {
    throw new Error(`${fileName} is not an HDF5 file (no HDF5 signature in its ${bytes.length} bytes)`);
  }
  const { h5, module } = await loadH5wasm();
  const path = scratchPath();
  module.FS.writeFile(path, bytes);
  let file: InstanceType<H5Wasm['File']> | undefined;
  try {
    try {
      file = new h5.File(path, 'r');
    } catch (e) {
      throw new Error(`${fileName} could not be opened as HDF5 (truncated or damaged file, ${bytes.length} bytes): ${firstLine(e)}`);
    }
    try {
      return readGroup(h5, file, fileName);
    } catch (e) {
      throw new Error(`${fileName} could not be read as HDF5 (truncated or damaged file, ${bytes.length} bytes): ${firstLine(e)}`);
    }
  } finally {
    try { file?.close(); } catch { /* a damaged file may fail to close; the scratch copy goes anyway */ }
    module.FS.unlink(path);
  }
}

function firstLine(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  // HDF5's stack lists the outermost call first and the cause last.
  const cause = lines.filter((l) => l.startsWith('minor:')).at(-1);
  return cause?.replace(/^minor:\s*/, '') ?? lines[0] ?? 'unknown error';
}

function readGroup(h5: H5Wasm, g: Group, fileName: string): H5Group {
  const out: H5Group = { kind: 'group', attrs: readAttrs(g.attrs, `${fileName}:${g.path}`), children: new Map() };
  for (const name of g.keys()) {
    const child = g.get(name);
    if (child instanceof h5.Group) out.children.set(name, readGroup(h5, child, fileName));
    else if (child instanceof h5.Dataset) out.children.set(name, readDataset(child, fileName));
    // Links to other files, broken links and named datatypes carry no Keras data.
  }
  return out;
}

function readDataset(d: Dataset, fileName: string): H5Dataset {
  const what = `${fileName}:${d.path}`;
  const dtype = dtypeOf(d.metadata, what);
  const shape = d.shape ?? [];
  const value = d.value;
  return { kind: 'dataset', attrs: readAttrs(d.attrs, what), dtype, shape, data: normalise(value, dtype, what) };
}

function readAttrs(attrs: Record<string, Attribute>, what: string): Map<string, H5Array> {
  const out = new Map<string, H5Array>();
  for (const [name, attr] of Object.entries(attrs)) {
    const where = `${what} attribute "${name}"`;
    const dtype = dtypeOf(attr.metadata, where);
    out.set(name, { dtype, shape: attr.shape ?? [], data: normalise(attr.value, dtype, where) });
  }
  return out;
}

function normalise(value: unknown, dtype: H5Array['dtype'], what: string): H5NumericArray | string[] {
  if (dtype === 'string') {
    const list = Array.isArray(value) ? value.flat(Infinity) : [value];
    return list.map((s) => (s instanceof Uint8Array ? new TextDecoder().decode(s) : String(s)));
  }
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return value as H5NumericArray;
  if (typeof value === 'number') return dtype === 'float32' ? Float32Array.of(value) : Float64Array.of(value);
  if (typeof value === 'bigint') return dtype === 'uint64' ? BigUint64Array.of(value) : BigInt64Array.of(value);
  throw new Error(`${what}: unexpected value of type ${typeof value}`);
}
