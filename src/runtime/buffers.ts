import type { DType } from '../ir/types.js';
import type { Memory } from './memory.js';

export type TypedArray = Float32Array | Int32Array | Uint8Array;

export function bytesPerElement(dtype: DType): number {
  return dtype === 'bool' ? 1 : 4;
}

/** Element offset of a byte offset in the view a dtype uses (kernels index F, I or U). */
export function elementOffset(byteOffset: number, dtype: DType): number {
  return byteOffset / bytesPerElement(dtype);
}

/** A view of `length` elements of `dtype` at a byte offset: a window onto the memory, not a copy. */
export function viewOf(memory: Memory, byteOffset: number, length: number, dtype: DType): TypedArray {
  switch (dtype) {
    case 'float32': return new Float32Array(memory.buffer, byteOffset, length);
    case 'int32': return new Int32Array(memory.buffer, byteOffset, length);
    case 'bool': return new Uint8Array(memory.buffer, byteOffset, length);
  }
}

export function newArray(dtype: DType, length: number): TypedArray {
  switch (dtype) {
    case 'float32': return new Float32Array(length);
    case 'int32': return new Int32Array(length);
    case 'bool': return new Uint8Array(length);
  }
}
