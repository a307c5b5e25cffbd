import type * as ES from 'estree';
import type { ConcreteShape } from '../ir/types.js';
import { stridesOf } from '../ir/types.js';
import { expr, lit } from './template.js';

/**
 * Where an element is, as generated expressions: its coordinates and/or its flat row-major
 * index. Either is derived from the other on demand, so kernels whose operands all share one
 * layout run a flat loop and never compute coordinates.
 */
export class At {
  private constructor(
    readonly shape: ConcreteShape,
    private coordsCache: ES.Expression[] | null,
    private linearCache: ES.Expression | null,
  ) {}

  static ofCoords(shape: ConcreteShape, coords: ES.Expression[]): At {
    // A coordinate along a size-1 axis is 0 whatever expression produced it; saying so keeps
    // memo keys equal for equal elements (a row value read inside and after a reduction loop).
    return new At(shape, coords.map((c, i) => (shape[i] === 1 ? lit(0) : c)), null);
  }
  static ofLinear(shape: ConcreteShape, linear: ES.Expression, coords?: (axis: number) => ES.Expression): At {
    const at = new At(shape, null, linear);
    at.madeLinear = true;
    if (coords !== undefined) at.coordsCache = shape.map((_, i) => coords(i));
    return at;
  }
  static of(shape: ConcreteShape, linear: ES.Expression, coord: (axis: number) => ES.Expression): At {
    const at = new At(shape, null, linear);
    at.madeLinear = true;
    at.lazyCoord = coord;
    return at;
  }
  private lazyCoord: ((axis: number) => ES.Expression) | null = null;

  /** Whether this index was made from a flat index (fixed at construction, so memo keys stay stable). */
  get hasLinear(): boolean {
    return this.madeLinear;
  }
  private madeLinear = false;

  linear(): ES.Expression {
    if (this.linearCache === null) this.linearCache = linearOf(this.shape, this.coords());
    return this.linearCache;
  }

  coord(axis: number): ES.Expression {
    if (this.coordsCache !== null) return this.coordsCache[axis];
    if (this.lazyCoord !== null) return this.lazyCoord(axis);
    return coordOfLinear(this.shape, this.linear(), axis);
  }

  coords(): ES.Expression[] {
    if (this.coordsCache === null) this.coordsCache = this.shape.map((_, i) => this.coord(i));
    return this.coordsCache;
  }
}

export function add(a: ES.Expression, b: ES.Expression): ES.Expression {
  if (a.type === 'Literal' && a.value === 0) return b;
  if (b.type === 'Literal' && b.value === 0) return a;
  return expr('$a + $b', { $a: a, $b: b });
}

export function mul(a: ES.Expression, k: number): ES.Expression {
  if (k === 0) return lit(0);
  if (k === 1) return a;
  return expr('$a * $k', { $a: a, $k: k });
}

/** Row-major flat index from coordinates, with stride literals; size-1 axes drop out. */
export function linearOf(shape: ConcreteShape, coords: readonly ES.Expression[]): ES.Expression {
  const strides = stridesOf(shape);
  let out: ES.Expression = lit(0);
  shape.forEach((d, i) => {
    if (d !== 1) out = add(out, mul(coords[i], strides[i]));
  });
  return out;
}

/** One coordinate of a flat index: floor(linear / stride) % size, skipping what is trivially known. */
export function coordOfLinear(shape: ConcreteShape, linear: ES.Expression, axis: number): ES.Expression {
  if (shape[axis] === 1) return lit(0);
  const stride = stridesOf(shape)[axis];
  const q = stride === 1 ? linear : expr('Math.floor($l / $s)', { $l: linear, $s: stride });
  return axis === 0 ? q : expr('$q % $n', { $q: q, $n: shape[axis] });
}
