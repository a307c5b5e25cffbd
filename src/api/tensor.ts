import type { ConcreteShape, DType } from '../ir/types.js';
import { formatShape, sizeOf } from '../ir/types.js';

export type TensorData = Float32Array | Int32Array | Uint8Array;
/** The typed arrays JavaScript holds numbers in (BigInt arrays aside). */
export type NumericArray = Float32Array | Float64Array | Int8Array | Int16Array | Int32Array | Uint8Array | Uint8ClampedArray | Uint16Array | Uint32Array;
/** Numbers in nested arrays; the innermost level may be a typed array (rows of a dataset often are). */
export type NestedArray = number | boolean | NumericArray | readonly NestedArray[];

export function isNumericArray(x: unknown): x is NumericArray {
  return ArrayBuffer.isView(x) && !(x instanceof DataView) && !(x instanceof BigInt64Array) && !(x instanceof BigUint64Array);
}
function isNestedList(x: unknown): x is readonly NestedArray[] | NumericArray {
  return Array.isArray(x) || isNumericArray(x);
}

/** A concrete value: plain data and a shape. Owns its data (never a view of the session memory). */
export class Tensor {
  readonly shape: ConcreteShape;
  readonly dtype: DType;
  readonly data: TensorData;

  constructor(data: TensorData, shape: readonly number[], dtype: DType) {
    if (!shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new Error(`tensor: shape must be non-negative integers, got [${shape.join(', ')}]`);
    }
    if (data.length !== sizeOf(shape)) {
      throw new Error(`tensor: ${data.length} values cannot fill shape ${formatShape(shape)} (${sizeOf(shape)} values expected)`);
    }
    this.shape = Object.freeze([...shape]);
    this.dtype = dtype;
    this.data = data;
  }

  get size(): number {
    return this.data.length;
  }

  /** Nested JS arrays (numbers; booleans for bool tensors). */
  toArray(): NestedArray {
    const build = (dim: number, offset: number): NestedArray => {
      if (dim === this.shape.length) return this.dtype === 'bool' ? this.data[offset] !== 0 : this.data[offset];
      const stride = sizeOf(this.shape.slice(dim + 1));
      return Array.from({ length: this.shape[dim] }, (_, i) => build(dim + 1, offset + i * stride));
    };
    return build(0, 0);
  }

  toString(): string {
    return `Tensor(shape=${formatShape(this.shape)}, dtype=${this.dtype})`;
  }
}

function arrayFor(dtype: DType, values: ArrayLike<number> | number): TensorData {
  switch (dtype) {
    case 'float32': return typeof values === 'number' ? new Float32Array(values) : Float32Array.from(values);
    case 'int32': return typeof values === 'number' ? new Int32Array(values) : Int32Array.from(values);
    case 'bool': return typeof values === 'number' ? new Uint8Array(values) : Uint8Array.from(values, (v) => (v ? 1 : 0));
  }
}

/** Infers the shape of nested arrays, checking they are rectangular. */
function nestedShape(value: NestedArray): number[] {
  const shape: number[] = [];
  let v: NestedArray = value;
  while (isNestedList(v)) {
    shape.push(v.length);
    v = v[0] as NestedArray;
  }
  const check = (x: NestedArray, dim: number): void => {
    if (dim === shape.length) {
      if (isNestedList(x)) throw new Error(`tensor: nested arrays are ragged: expected a number at depth ${dim}`);
      if (typeof x !== 'number' && typeof x !== 'boolean') throw new Error(`tensor: expected numbers, got ${typeof x}`);
      return;
    }
    if (!isNestedList(x) || x.length !== shape[dim]) {
      throw new Error(`tensor: nested arrays are ragged: expected ${shape[dim]} elements at depth ${dim}, got ${isNestedList(x) ? x.length : 'a scalar'}`);
    }
    for (const item of x) check(item as NestedArray, dim + 1);
  };
  check(value, 0);
  return shape;
}

function flatten(value: NestedArray, out: number[]): number[] {
  if (isNumericArray(value)) for (let i = 0; i < value.length; i++) out.push(value[i]);
  else if (Array.isArray(value)) for (const v of value) flatten(v as NestedArray, out);
  else out.push(typeof value === 'boolean' ? (value ? 1 : 0) : (value as number));
  return out;
}

/**
 * Makes a tensor from a typed array and a shape, or from nested arrays (shape inferred). The dtype
 * defaults to the typed array's kind, else float32.
 */
export function tensor(values: TensorData | readonly number[] | NestedArray, shape?: readonly number[], dtype?: DType): Tensor {
  if (isNumericArray(values)) {
    const kind: DType = values instanceof Int32Array ? 'int32' : values instanceof Uint8Array ? 'bool' : 'float32';
    const d = dtype ?? kind;
    // Only a buffer of the dtype's own array type is kept as is; a Float64Array, Int16Array, ... is converted.
    const own = (d === 'float32' && values instanceof Float32Array) || (d === 'int32' && values instanceof Int32Array) || (d === 'bool' && values instanceof Uint8Array);
    const data = own ? (values as TensorData) : arrayFor(d, values);
    return new Tensor(data, shape ?? [values.length], d);
  }
  const inferred = nestedShape(values as NestedArray);
  const flat = flatten(values as NestedArray, []);
  const d = dtype ?? 'float32';
  return new Tensor(arrayFor(d, flat), shape ?? inferred, d);
}

export function isTensor(x: unknown): x is Tensor {
  return x instanceof Tensor;
}
