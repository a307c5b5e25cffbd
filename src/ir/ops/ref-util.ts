import type { ConcreteShape, Shape } from '../types.js';
import { concrete, sizeOf, stridesOf } from '../types.js';
import type { RefTensor } from './rule.js';

export function refTensor(shape: ConcreteShape, data?: Float64Array): RefTensor {
  return { shape, data: data ?? new Float64Array(sizeOf(shape)) };
}

export function outShape(shape: Shape): ConcreteShape {
  return concrete(shape, 'reference interpreter');
}

/** Strides for reading `shape` as if broadcast to `target` (0 along stretched axes). */
export function broadcastStrides(shape: ConcreteShape, target: ConcreteShape): number[] {
  const own = stridesOf(shape);
  const offset = target.length - shape.length;
  return target.map((d, i) => {
    const j = i - offset;
    return j < 0 || shape[j] === 1 ? 0 : own[j];
  });
}

/** Calls `visit(outIndex, multiIndex)` for every element of `shape`, in row-major order. */
export function forEachIndex(shape: ConcreteShape, visit: (flat: number, index: readonly number[]) => void): void {
  const n = sizeOf(shape);
  const index = new Array<number>(shape.length).fill(0);
  for (let flat = 0; flat < n; flat++) {
    visit(flat, index);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++index[d] < shape[d]) break;
      index[d] = 0;
    }
  }
}

export function offsetOf(index: readonly number[], strides: readonly number[]): number {
  let o = 0;
  for (let i = 0; i < index.length; i++) o += index[i] * strides[i];
  return o;
}

/** Elementwise map over inputs broadcast to `shape`. */
export function refMap(inputs: readonly RefTensor[], shape: ConcreteShape, f: (...xs: number[]) => number): RefTensor {
  const out = refTensor(shape);
  const strides = inputs.map((t) => broadcastStrides(t.shape, shape));
  const args = new Array<number>(inputs.length);
  forEachIndex(shape, (flat, index) => {
    for (let k = 0; k < inputs.length; k++) args[k] = inputs[k].data[offsetOf(index, strides[k])];
    out.data[flat] = f(...args);
  });
  return out;
}

/** Wraps a float64 result to int32 as an Int32Array store would. */
export function toInt32(x: number): number {
  return Number.isFinite(x) ? Math.trunc(x) | 0 : 0;
}

/** Rounds to float32 then back, as a Float32Array store would. */
export const toFloat32 = Math.fround;
