/** HDF5 type metadata (as h5wasm reports it) to our dtypes, and our dtypes to h5wasm's dtype strings. */
import type { H5DType } from './tree.js';

/** The fields of h5wasm's Metadata we read. */
export interface TypeInfo {
  readonly type: number;
  readonly size: number;
  readonly signed: boolean;
}

// HDF5 type classes (H5Tpublic.h).
const H5T_INTEGER = 0;
const H5T_FLOAT = 1;
const H5T_STRING = 3;

export function dtypeOf(meta: TypeInfo, what: string): H5DType {
  if (meta.type === H5T_STRING) return 'string';
  if (meta.type === H5T_FLOAT) {
    if (meta.size === 4) return 'float32';
    if (meta.size === 8) return 'float64';
  }
  if (meta.type === H5T_INTEGER) {
    const bits = meta.size * 8;
    if ([8, 16, 32, 64].includes(bits)) return `${meta.signed ? 'int' : 'uint'}${bits}` as H5DType;
  }
  throw new Error(`${what}: HDF5 type (class ${meta.type}, ${meta.size} bytes) is not supported; expected float32/float64, an integer or a string`);
}

const WRITE_DTYPES: Record<Exclude<H5DType, 'string'>, string> = {
  float32: '<f', float64: '<d', int8: '<b', int16: '<h', int32: '<i', int64: '<q',
  uint8: '<B', uint16: '<H', uint32: '<I', uint64: '<Q',
};

export function h5wasmDtype(dtype: Exclude<H5DType, 'string'>): string {
  return WRITE_DTYPES[dtype];
}
