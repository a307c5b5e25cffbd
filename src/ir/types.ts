/** Element types the IR knows. Booleans are stored one byte each; int32 and float32 four bytes. */
export type DType = 'float32' | 'int32' | 'bool';

/** A dimension: a size, or null for the symbolic batch size while layers are traced. */
export type Dim = number | null;
export type Shape = readonly Dim[];
/** A shape with every dimension known: what compiled programs, kernels and the interpreter see. */
export type ConcreteShape = readonly number[];

export const DTYPES: readonly DType[] = ['float32', 'int32', 'bool'];

export function isConcrete(shape: Shape): shape is ConcreteShape {
  return shape.every((d) => d !== null);
}

export function concrete(shape: Shape, what: string): ConcreteShape {
  if (!isConcrete(shape)) {
    throw new Error(`${what}: shape ${formatShape(shape)} still has a symbolic dimension; compiled programs need concrete shapes`);
  }
  return shape;
}

export function sizeOf(shape: ConcreteShape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major strides, in elements. */
export function stridesOf(shape: ConcreteShape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

export function formatShape(shape: Shape): string {
  return `(${shape.map((d) => (d === null ? 'None' : String(d))).join(', ')}${shape.length === 1 ? ',' : ''})`;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Normalises a possibly negative axis against a rank, or explains why it is out of range. */
export function normalizeAxis(axis: number, rank: number, what: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) {
    throw new ShapeError(`${what}: axis ${axis} is out of range for a tensor of rank ${rank}; expected an integer in [${-rank}, ${rank})`);
  }
  return a;
}

/** Broadcasts shapes as NumPy does: align right, a 1 stretches to the other size. */
export function broadcastShapes(op: string, shapes: readonly Shape[]): Shape {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    let dim: Dim = 1;
    for (const s of shapes) {
      // Only a missing leading axis counts as 1; `?? 1` would also turn the symbolic batch (null) into 1.
      const j = s.length - rank + i;
      const d: Dim = j < 0 ? 1 : s[j];
      if (d === 1) continue;
      if (dim === 1) dim = d;
      else if (d === null) continue; // the symbolic batch matches whatever concrete size the other side has
      else if (dim === null) dim = d;
      else if (dim !== d) {
        throw new ShapeError(`${op}: shapes ${shapes.map(formatShape).join(' and ')} cannot be broadcast together (dimension ${i - rank} is ${dim} in one and ${d} in another)`);
      }
    }
    out.push(dim);
  }
  return out;
}

/** An error in how ops were combined: names the op, what it got and what it expected. */
export class ShapeError extends Error {
  override name = 'ShapeError';
}
