/**
 * An HDF5 file as plain data: groups holding groups and datasets, each with attributes. The
 * reader builds this tree from bytes and the writer turns it back into bytes, so the Keras
 * layouts above never touch h5wasm's handles.
 */
export type H5DType =
  | 'float32' | 'float64' | 'int8' | 'int16' | 'int32' | 'int64' | 'uint8' | 'uint16' | 'uint32' | 'uint64' | 'string';

export type H5NumericArray =
  | Float32Array | Float64Array | Int8Array | Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array
  | BigInt64Array | BigUint64Array;

/** A dataset's or attribute's value: its dtype, shape (`[]` for a scalar) and row-major data. */
export interface H5Array {
  readonly dtype: H5DType;
  readonly shape: readonly number[];
  readonly data: H5NumericArray | readonly string[];
}

export interface H5Dataset extends H5Array {
  readonly kind: 'dataset';
  readonly attrs: Map<string, H5Array>;
}

export interface H5Group {
  readonly kind: 'group';
  readonly attrs: Map<string, H5Array>;
  readonly children: Map<string, H5Group | H5Dataset>;
}

export type H5Node = H5Group | H5Dataset;

export function group(): H5Group {
  return { kind: 'group', attrs: new Map(), children: new Map() };
}

export function dataset(value: H5Array): H5Dataset {
  return { kind: 'dataset', attrs: new Map(), dtype: value.dtype, shape: [...value.shape], data: value.data };
}

export function stringAttr(value: string): H5Array {
  return { dtype: 'string', shape: [], data: [value] };
}

export function stringListAttr(values: readonly string[]): H5Array {
  return { dtype: 'string', shape: [values.length], data: [...values] };
}

/** The child group at a `/`-separated path, created (with any missing parents) when `create`. */
export function groupAt(root: H5Group, path: string, create: true): H5Group;
export function groupAt(root: H5Group, path: string, create?: false): H5Group | undefined;
export function groupAt(root: H5Group, path: string, create = false): H5Group | undefined {
  let g = root;
  for (const part of path.split('/').filter((p) => p !== '')) {
    let next = g.children.get(part);
    if (next === undefined) {
      if (!create) return undefined;
      next = group();
      g.children.set(part, next);
    }
    if (next.kind !== 'group') {
      if (!create) return undefined;
      throw new Error(`HDF5 path "${path}": "${part}" is a dataset, not a group`);
    }
    g = next;
  }
  return g;
}

export function nodeAt(root: H5Group, path: string): H5Node | undefined {
  const parts = path.split('/').filter((p) => p !== '');
  const last = parts.pop();
  if (last === undefined) return root;
  return groupAt(root, parts.join('/'))?.children.get(last);
}

/** Every group and dataset below `root`, as `path -> shape` (`group` for groups), sorted by path. */
export function describeTree(root: H5Group): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const walk = (g: H5Group, prefix: string): void => {
    for (const [name, child] of g.children) {
      const path = prefix === '' ? name : `${prefix}/${name}`;
      if (child.kind === 'group') {
        out.push([path, 'group']);
        walk(child, path);
      } else {
        out.push([path, `${child.dtype}[${child.shape.join(',')}]`]);
      }
    }
  };
  walk(root, '');
  return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** The value as JS numbers (int64 included: weights and counters fit in a double). */
export function toNumbers(value: H5Array, what: string): Float64Array {
  if (value.dtype === 'string') throw new Error(`${what}: expected numbers, found strings`);
  const data = value.data as H5NumericArray;
  const out = new Float64Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = Number(data[i]);
  return out;
}
