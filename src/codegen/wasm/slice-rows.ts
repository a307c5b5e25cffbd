/**
 * A slice as rows of contiguous elements, the form the SIMD elementwise loop reads it in: output
 * element r * cols + c (row-major) is input element offset + r * stride + c. That holds when the
 * slice keeps whole every axis after its innermost cut axis j (so a row is cols = out[j] times
 * their product, contiguous), and before j keeps whole the axes after the last other cut axis
 * while that one and all before it keep one index (so rows are evenly spaced). An LSTM's gate
 * columns z[:, 128:256] of a [32, 512] z are 32 rows of 128 elements, stride 512, offset 128.
 * A pad of the last axis is the converse: rows of its input placed at a column offset.
 */
import type { Node } from '../../ir/node.js';
import { isConcrete } from '../../ir/types.js';

export interface SliceRows {
  readonly rows: number;
  readonly cols: number;
  /** Element offset of the first row's first element in the sliced input. */
  readonly offset: number;
  /** Elements from one row's start to the next's, in the sliced input. */
  readonly stride: number;
}

export function sliceRows(n: Node<'slice'>): SliceRows | undefined {
  const from = n.inputs[0].shape, to = n.shape;
  if (!isConcrete(from) || !isConcrete(to)) return undefined;
  const { begin } = n.attrs;
  const rank = from.length;
  const strides = new Array<number>(rank);
  for (let i = rank - 1, s = 1; i >= 0; i--) { strides[i] = s; s *= from[i]; }
  const offset = begin.reduce((a, b, i) => a + b * strides[i], 0);
  const cut = (i: number) => to[i] !== from[i];
  let j = rank - 1;
  while (j >= 0 && !cut(j)) j--;
  if (j < 0) return { rows: 1, cols: to.reduce((a, d) => a * d, 1), offset: 0, stride: 0 };
  const cols = to.slice(j).reduce((a, d) => a * d, 1);
  let p = j - 1;
  while (p >= 0 && !cut(p)) p--;
  for (let i = 0; i <= p; i++) if (to[i] !== 1) return undefined;
  const rows = to.slice(p + 1, j).reduce((a, d) => a * d, 1);
  return { rows, cols, offset, stride: strides[j] * from[j] };
}

/** A pad of the last axis only: each row of `cols` is `lo` pad values, `width` input values, the rest pad values. */
export interface PadColumns {
  readonly lo: number;
  readonly width: number;
  readonly cols: number;
}

export function padColumns(n: Node<'pad'>): PadColumns | undefined {
  const from = n.inputs[0].shape, to = n.shape;
  if (!isConcrete(from) || !isConcrete(to) || to.length === 0) return undefined;
  const { widths } = n.attrs;
  const last = to.length - 1;
  if (widths.some(([lo, hi], i) => i < last && (lo !== 0 || hi !== 0))) return undefined;
  return { lo: widths[last][0], width: from[last], cols: to[last] };
}
