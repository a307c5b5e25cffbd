/**
 * The data side of fit/evaluate/predict: turning what the user passes into one tensor per model
 * input or output, checking it against the model before anything runs, splitting off
 * validation data, and copying a batch of rows into a program's input buffers.
 */
import { formatShape, type DType, type Shape } from '../../ir/types.js';
import type { TypedArray } from '../../runtime/buffers.js';
import { isNumericArray, isTensor, tensor, Tensor, type NestedArray, type TensorData } from '../tensor.js';
import type { DataLike } from './types.js';

function asTensor(x: Tensor | NestedArray, dtype: DType | undefined, what: string): Tensor {
  if (isTensor(x)) return x;
  if (typeof x === 'number' || typeof x === 'boolean') throw new Error(`${what}: expected an array of samples, got a single number`);
  return tensor(x, undefined, dtype === 'bool' ? 'float32' : dtype);
}

function isRecord(x: unknown): x is Readonly<Record<string, Tensor | NestedArray>> {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && !isTensor(x) && !ArrayBuffer.isView(x);
}

/**
 * One tensor per name, from a tensor, nested arrays, a list (one entry per name) or a record by
 * name. `role` is 'x' or 'y' and `fn` the calling method, for error messages.
 */
export function toTensors(data: DataLike, names: readonly string[], dtypes: readonly (DType | undefined)[], role: string, fn: string): Tensor[] {
  const what = `${fn}: ${role}`;
  if (isTensor(data)) return checkCount([data], names, what);
  // A typed array is one array of samples (labels, or a one-feature input), not one array per input.
  if (isNumericArray(data)) return checkCount([asTensor(data, dtypes[0], what)], names, what);
  if (isRecord(data)) {
    const unknown = Object.keys(data).filter((k) => !names.includes(k));
    if (unknown.length > 0) throw new Error(`${what}: unknown key(s) ${unknown.map((k) => `'${k}'`).join(', ')}; expected ${names.map((n) => `'${n}'`).join(', ')}`);
    return names.map((n, i) => {
      const v = data[n];
      if (v === undefined) throw new Error(`${what}: no data for '${n}'; the record has ${Object.keys(data).map((k) => `'${k}'`).join(', ')}`);
      return asTensor(v, dtypes[i], `${what} '${n}'`);
    });
  }
  const list = data as readonly (Tensor | NestedArray)[];
  if (!Array.isArray(list)) throw new Error(`${what}: expected a Tensor, an array of Tensors, a record by name or nested arrays`);
  // A list of tensors, or (for several inputs) a list with one nested array per input.
  const perName = list.length > 0 && (list.every(isTensor) || (names.length > 1 && list.length === names.length && list.every((e) => Array.isArray(e) || isNumericArray(e) || isTensor(e))));
  if (perName) return checkCount(list.map((e, i) => asTensor(e, dtypes[i], `${what} ${i}`)), names, what);
  return checkCount([asTensor(list as NestedArray, dtypes[0], what)], names, what);
}

function checkCount(tensors: Tensor[], names: readonly string[], what: string): Tensor[] {
  if (tensors.length !== names.length) {
    throw new Error(`${what}: the model has ${names.length} (${names.map((n) => `'${n}'`).join(', ')}) but ${tensors.length} array(s) were given`);
  }
  for (const t of tensors) if (t.shape.length === 0) throw new Error(`${what}: expected arrays with a batch dimension, got a scalar`);
  return tensors;
}

/** Checks each input tensor against the model's input shape (batch dimension aside). */
export function checkInputShapes(xs: readonly Tensor[], names: readonly string[], shapes: readonly Shape[], model: string, fn: string): void {
  xs.forEach((x, i) => {
    const expected = shapes[i];
    const ok = x.shape.length === expected.length && expected.every((d, k) => k === 0 || d === null || d === x.shape[k]);
    if (!ok) {
      throw new Error(`${fn}: input '${names[i]}' of model '${model}' is incompatible: expected shape ${formatShape(expected)}, got data of shape ${formatShape(x.shape)}`);
    }
  });
}

/** The common number of samples, or an error listing the sizes (Keras's "Data cardinality is ambiguous"). */
export function sampleCount(groups: readonly { role: string; tensors: readonly Tensor[] }[], fn: string): number {
  const sizes = groups.flatMap((g) => g.tensors.map((t) => t.shape[0]));
  const n = sizes[0];
  if (sizes.some((s) => s !== n)) {
    const detail = groups.map((g) => `'${g.role}' sizes: ${g.tensors.map((t) => t.shape[0]).join(', ')}`).join('; ');
    throw new Error(`${fn}: data cardinality is ambiguous: make sure all arrays contain the same number of samples. ${detail}`);
  }
  if (n === 0) throw new Error(`${fn}: the data has no samples`);
  return n;
}

/** Rows [from, to) of a tensor, as a new tensor. */
export function sliceRows(t: Tensor, from: number, to: number): Tensor {
  const row = rowSize(t);
  return new Tensor(t.data.slice(from * row, to * row) as TensorData, [to - from, ...t.shape.slice(1)], t.dtype);
}

export function rowSize(t: Tensor): number {
  let n = 1;
  for (let i = 1; i < t.shape.length; i++) n *= t.shape[i];
  return n;
}

/**
 * Copies rows `order[start .. start+count)` of `src` into `dst` (a program input buffer). A plain
 * loop so the step allocates nothing; assignment converts between element types.
 */
export function copyRows(dst: TypedArray, src: TensorData, row: number, order: Int32Array, start: number, count: number): void {
  for (let r = 0; r < count; r++) {
    const from = order[start + r] * row;
    const to = r * row;
    for (let k = 0; k < row; k++) dst[to + k] = src[from + k];
  }
}

/** Keras's validation_split: the last fraction of the samples (before shuffling) is held out. */
export function splitAt(n: number, validationSplit: number): number {
  if (!(validationSplit > 0 && validationSplit < 1)) throw new Error(`fit: validationSplit must be in [0, 1), got ${validationSplit}`);
  const at = Math.floor(n * (1 - validationSplit));
  if (at === 0 || at === n) throw new Error(`fit: validationSplit ${validationSplit} leaves no ${at === 0 ? 'training' : 'validation'} samples out of ${n}`);
  return at;
}

/** A small counter-based generator (mulberry32) for repeatable per-epoch shuffles. */
function mulberry32(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fills `order` with a permutation drawn from (session seed, epoch), in place. */
export function shuffleOrder(order: Int32Array, sessionSeed: number, epoch: number): void {
  for (let i = 0; i < order.length; i++) order[i] = i;
  const rand = mulberry32((Math.imul(sessionSeed, 0x9e3779b1) ^ Math.imul(epoch + 1, 0x85ebca6b)) | 0);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
}

export function identityOrder(n: number): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return order;
}
