import type * as ES from 'estree';
import type { ConcreteShape } from '../ir/types.js';
import { coordOfLinear, linearOf } from './index-arith.js';
import { lit } from './template.js';

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
