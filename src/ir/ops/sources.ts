import { outShape, refTensor } from './ref-util.js';
import type { RuleTable } from './rule.js';
import { uniformAt, streamKey } from '../math.js';
import { ShapeError, sizeOf, stridesOf } from '../types.js';

/** Buffers from outside the program. */
export const sourceRules: RuleTable<'input' | 'variable', 'source'> = {
  input: {
    arity: 0, kind: 'source', hiddenAttrs: ['shape', 'dtype', 'label', 'slot'],
    shape: (_, a) => a.shape, dtype: (_, a) => a.dtype,
    vjp: () => [],
    ref: (_, node, ctx) => ctx.source(node),
  },
  variable: {
    arity: 0, kind: 'source', hiddenAttrs: ['shape', 'dtype', 'label'],
    shape: (_, a) => a.shape, dtype: (_, a) => a.dtype,
    vjp: () => [],
    ref: (_, node, ctx) => ctx.source(node),
  },
};

/** Values computed from indices alone. */
export const generatorRules: RuleTable<'fill' | 'iota' | 'randomUniform', 'generator'> = {
  fill: {
    arity: 0, kind: 'generator', hiddenAttrs: ['shape', 'dtype'],
    shape: (_, a) => a.shape, dtype: (_, a) => a.dtype,
    vjp: () => [],
    ref: (_, node) => {
      const t = refTensor(outShape(node.shape));
      t.data.fill(node.attrs.value);
      return t;
    },
  },
  iota: {
    arity: 0, kind: 'generator', hiddenAttrs: ['shape', 'dtype'], coordinates: true,
    shape: (_, a) => a.shape, dtype: (_, a) => a.dtype,
    vjp: () => [],
    ref: (_, node) => {
      const shape = outShape(node.shape);
      const t = refTensor(shape);
      const stride = stridesOf(shape)[node.attrs.axis];
      const size = shape[node.attrs.axis];
      for (let i = 0; i < t.data.length; i++) t.data[i] = Math.floor(i / stride) % size;
      return t;
    },
  },
  randomUniform: {
    // The stream number stays visible: it tells two draws of one shape apart.
    arity: 1, kind: 'generator', hiddenAttrs: ['shape'], expensive: true, passCost: 50,
    shape: ([seed], a) => {
      if (seed.dtype !== 'int32' || seed.shape.length !== 0) {
        throw new ShapeError(`randomUniform: the seed must be an int32 scalar, got ${seed.dtype} of rank ${seed.shape.length}`);
      }
      return a.shape;
    },
    dtype: () => 'float32',
    vjp: () => [null],
    ref: ([seed], node) => {
      const shape = outShape(node.shape);
      const t = refTensor(shape);
      const key = streamKey(seed.data[0] | 0, node.attrs.stream);
      for (let i = 0; i < sizeOf(shape); i++) t.data[i] = uniformAt(key, i);
      return t;
    },
  },
};
