import { formatShape, ShapeError } from '../types.js';
import { outShape, refTensor } from './ref-util.js';
import type { RuleTable } from './rule.js';

/** Raised by the interpreter and by compiled kernels when an index is outside its table. */
export class IndexRangeError extends RangeError {
  override name = 'IndexRangeError';
  constructor(readonly label: string, readonly index: number, readonly rows: number) {
    super(`${label}: index ${index} is out of range; expected indices in [0, ${rows})`);
  }
}

export const indexingRules: RuleTable<'gather' | 'scatterAdd', 'opaque'> = {
  gather: {
    arity: 2, kind: 'opaque',
    shape: ([table, indices]) => {
      if (table.shape.length < 1) throw new ShapeError(`gather: the table must have rank ≥ 1, got ${formatShape(table.shape)}`);
      return [...indices.shape, ...table.shape.slice(1)];
    },
    dtype: ([table, indices]) => {
      if (indices.dtype !== 'int32') throw new ShapeError(`gather: indices must be int32, got ${indices.dtype}`);
      return table.dtype;
    },
    vjp: (g, node, b) => {
      const [table, indices] = node.inputs;
      return [b.scatterAdd(indices, g, table.shape[0]!), null];
    },
    ref: ([table, indices], node) => {
      const out = refTensor(outShape(node.shape));
      const rows = table.shape[0];
      const width = table.data.length / Math.max(rows, 1);
      for (let i = 0; i < indices.data.length; i++) {
        const r = indices.data[i];
        if (!(r >= 0 && r < rows)) throw new IndexRangeError(node.attrs.label, r, rows);
        out.data.set(table.data.subarray(r * width, (r + 1) * width), i * width);
      }
      return out;
    },
  },
  scatterAdd: {
    arity: 2, kind: 'opaque',
    shape: ([indices, updates], { rows }) => {
      const r = indices.shape.length;
      const ok = updates.shape.length >= r && indices.shape.every((d, i) => d === null || updates.shape[i] === null || d === updates.shape[i]);
      if (!ok) throw new ShapeError(`scatterAdd: updates ${formatShape(updates.shape)} must start with the indices' shape ${formatShape(indices.shape)}`);
      if (!(Number.isInteger(rows) && rows >= 1)) throw new ShapeError(`scatterAdd: rows must be a positive integer, got ${rows}`);
      return [rows, ...updates.shape.slice(r)];
    },
    dtype: ([indices, updates]) => {
      if (indices.dtype !== 'int32') throw new ShapeError(`scatterAdd: indices must be int32, got ${indices.dtype}`);
      return updates.dtype;
    },
    vjp: (g, node, b) => [null, b.gather(g, node.inputs[0], 'scatterAdd gradient')],
    ref: ([indices, updates], node) => {
      const out = refTensor(outShape(node.shape));
      const width = out.data.length / node.attrs.rows;
      for (let i = 0; i < indices.data.length; i++) {
        const r = indices.data[i];
        if (!(r >= 0 && r < node.attrs.rows)) throw new IndexRangeError('scatterAdd', r, node.attrs.rows);
        for (let k = 0; k < width; k++) out.data[r * width + k] += updates.data[i * width + k];
      }
      return out;
    },
  },
};
