import { Tensor, isNumericArray, isTensor, type NestedArray } from '../tensor.js';

/** Labels as Keras accepts them: a Tensor, a flat number array or typed array, nested arrays, or one number. */
export type Labels = Tensor | NestedArray;

/** Flattens labels to numbers and the shape they came in (no shape for a single number). */
function flattenLabels(y: Labels): { values: ArrayLike<number>; shape: readonly number[] } {
  if (isTensor(y)) return { values: y.data, shape: y.shape };
  if (isNumericArray(y)) return { values: y, shape: [y.length] };
  if (!Array.isArray(y)) return { values: [Number(y)], shape: [] };
  const shape: number[] = [];
  for (let v: NestedArray = y; Array.isArray(v) || isNumericArray(v); v = v[0] as NestedArray) shape.push(v.length);
  const values: number[] = [];
  const walk = (x: NestedArray, depth: number): void => {
    if (depth === shape.length) {
      if (Array.isArray(x) || isNumericArray(x)) throw new Error(`toCategorical: labels are ragged: expected a number at depth ${depth}`);
      values.push(Number(x));
      return;
    }
    if (!(Array.isArray(x) || isNumericArray(x)) || x.length !== shape[depth]) {
      throw new Error(`toCategorical: labels are ragged: expected ${shape[depth]} elements at depth ${depth}`);
    }
    for (const item of x) walk(item as NestedArray, depth + 1);
  };
  walk(y, 0);
  return { values, shape };
}

/**
 * Converts integer class labels to one-hot rows, as `keras.utils.to_categorical` does: the output
 * shape is the input shape plus a trailing `numClasses` axis, except that a trailing axis of size 1
 * is replaced (so `[n]` and `[n, 1]` both give `[n, numClasses]`). `numClasses` defaults to the
 * largest label plus one. Unlike NumPy, a label that is negative, too large or not an integer is an
 * error instead of being silently truncated or wrapped, since that is almost always a data bug.
 */
export function toCategorical(y: Labels, numClasses?: number): Tensor {
  const { values, shape } = flattenLabels(y);
  if (numClasses !== undefined && !(Number.isInteger(numClasses) && numClasses > 0)) {
    throw new Error(`toCategorical: numClasses must be a positive integer, got ${numClasses}`);
  }
  let max = -1;
  for (let i = 0; i < values.length; i++) {
    const label = values[i];
    if (!Number.isInteger(label) || label < 0) {
      const range = numClasses === undefined ? 'non-negative integers' : `integers in [0, ${numClasses - 1}]`;
      throw new Error(`toCategorical: label ${label} at index ${i} is invalid: labels must be ${range}`);
    }
    if (label > max) max = label;
  }
  if (numClasses === undefined) {
    if (values.length === 0) throw new Error('toCategorical: cannot infer numClasses from an empty label set; pass numClasses');
    numClasses = max + 1;
  } else if (max >= numClasses) {
    const at = Array.prototype.indexOf.call(values, max);
    throw new Error(`toCategorical: label ${max} at index ${at} is out of range: labels must be integers in [0, ${numClasses - 1}] for numClasses=${numClasses}`);
  }
  const outer = shape.length > 1 && shape[shape.length - 1] === 1 ? shape.slice(0, -1) : shape;
  const out = new Float32Array(values.length * numClasses);
  for (let i = 0; i < values.length; i++) out[i * numClasses + values[i]] = 1;
  return new Tensor(out, [...outer, numClasses], 'float32');
}
