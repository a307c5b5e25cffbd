/**
 * Keras's large list attributes. An HDF5 object header holds at most 64 KB, so Keras
 * (legacy_h5_format.save_attributes_to_hdf5_group) splits a list attribute `name` whose data is
 * larger than HDF5_OBJECT_HEADER_LIMIT into `name0`, `name1`, ... and the reader joins them.
 */
import { stringListAttr, type H5Array } from './tree.js';

export const HDF5_OBJECT_HEADER_LIMIT = 64512;

export function readStringList(attrs: Map<string, H5Array>, name: string, what: string): string[] | undefined {
  const whole = attrs.get(name);
  if (whole !== undefined) return stringsOf(whole, `${what} attribute "${name}"`);
  if (!attrs.has(`${name}0`)) return undefined;
  const out: string[] = [];
  for (let k = 0; attrs.has(`${name}${k}`); k++) out.push(...stringsOf(attrs.get(`${name}${k}`) as H5Array, `${what} attribute "${name}${k}"`));
  return out;
}

function stringsOf(a: H5Array, what: string): string[] {
  // Keras writes an empty list as an empty float array (np.asarray([])).
  if (a.data.length === 0) return [];
  if (a.dtype !== 'string') throw new Error(`${what}: expected a list of strings, found ${a.dtype}`);
  return [...(a.data as readonly string[])];
}

/** Sets `name` (or `name0`, `name1`, ... when too large), as Keras does. */
export function setStringList(attrs: Map<string, H5Array>, name: string, values: readonly string[]): void {
  if (values.length === 0) {
    attrs.set(name, { dtype: 'float64', shape: [0], data: new Float64Array(0) });
    return;
  }
  // Keras sizes the chunks by the numpy array's bytes: count * longest item.
  const itemBytes = Math.max(...values.map((v) => new TextEncoder().encode(v).length));
  const totalBytes = itemBytes * values.length;
  if (totalBytes <= HDF5_OBJECT_HEADER_LIMIT) {
    attrs.set(name, stringListAttr(values));
    return;
  }
  let chunks = Math.ceil(totalBytes / HDF5_OBJECT_HEADER_LIMIT);
  let split = splitEvenly(values, chunks);
  while (split.some((c) => c.length * itemBytes > HDF5_OBJECT_HEADER_LIMIT)) split = splitEvenly(values, ++chunks);
  split.forEach((chunk, k) => attrs.set(`${name}${k}`, stringListAttr(chunk)));
}

/** numpy.array_split: the first `n % k` parts get one extra item. */
function splitEvenly<T>(values: readonly T[], k: number): T[][] {
  const base = Math.floor(values.length / k);
  const extra = values.length % k;
  const out: T[][] = [];
  let at = 0;
  for (let i = 0; i < k; i++) {
    const n = base + (i < extra ? 1 : 0);
    out.push(values.slice(at, at + n));
    at += n;
  }
  return out;
}
