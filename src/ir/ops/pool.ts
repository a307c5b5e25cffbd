import type { Window2DAttrs } from '../attrs.js';
import type { Node } from '../node.js';
import { formatShape, ShapeError, type Dim, type Shape } from '../types.js';
import { windowOutSize } from './contraction.js';
import { outShape, refTensor } from './ref-util.js';
import type { RuleTable } from './rule.js';

function pooledShape(op: string, x: Shape, a: Window2DAttrs): Dim[] {
  if (x.length !== 4) throw new ShapeError(`${op}: expected an input of rank 4 (batch, height, width, channels), got shape ${formatShape(x)}`);
  if ([...a.window, ...a.strides].some((v) => !(Number.isInteger(v) && v >= 1))) {
    throw new ShapeError(`${op}: pool size and strides must be positive integers, got [${a.window.join(', ')}] and [${a.strides.join(', ')}]`);
  }
  const out = (size: Dim, k: number, s: number, lo: number, hi: number): Dim => {
    if (size === null) return null;
    const n = windowOutSize(size, k, s, lo, hi);
    if (n < 1) throw new ShapeError(`${op}: a pool window of ${k} does not fit an input of size ${size}`);
    return n;
  };
  return [x[0], out(x[1], a.window[0], a.strides[0], a.padding[0], a.padding[1]), out(x[2], a.window[1], a.strides[1], a.padding[2], a.padding[3]), x[3]];
}

/**
 * Visits every output window: `visit(yOffset, taps)` where taps are the flat x offsets of the
 * window's in-bounds elements, in row-major window order (so "first maximum" is well defined).
 */
export function forEachWindow(xShape: readonly number[], yShape: readonly number[], a: Window2DAttrs,
  visit: (yi: number, taps: readonly number[]) => void): void {
  const [N, H, W, C] = xShape;
  const [, OH, OW] = yShape;
  const taps: number[] = [];
  for (let n = 0; n < N; n++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) for (let c = 0; c < C; c++) {
    taps.length = 0;
    for (let kh = 0; kh < a.window[0]; kh++) {
      const ih = oh * a.strides[0] - a.padding[0] + kh;
      if (ih < 0 || ih >= H) continue;
      for (let kw = 0; kw < a.window[1]; kw++) {
        const iw = ow * a.strides[1] - a.padding[2] + kw;
        if (iw >= 0 && iw < W) taps.push(((n * H + ih) * W + iw) * C + c);
      }
    }
    visit(((n * OH + oh) * OW + ow) * C + c, taps);
  }
}

function float(op: string, xs: readonly Node[]): 'float32' {
  for (const x of xs) if (x.dtype !== 'float32') throw new ShapeError(`${op}: expected float32 inputs, got ${x.dtype}`);
  return 'float32';
}

function notTwice(op: string): never {
  throw new ShapeError(`${op}: second-order gradients of pooling are not supported`);
}

export const poolRules: RuleTable<'maxPool2d' | 'maxPool2dGrad' | 'avgPool2d' | 'avgPool2dGrad', 'opaque'> = {
  maxPool2d: {
    arity: 1, kind: 'opaque',
    shape: ([x], a) => pooledShape('maxPool2d', x.shape, a),
    dtype: (xs) => float('maxPool2d', xs),
    vjp: (g, node, b) => [b.maxPool2dGrad(node.inputs[0], g, node.attrs.window, node.attrs.strides, node.attrs.padding)],
    ref: ([x], node) => {
      const y = refTensor(outShape(node.shape));
      forEachWindow(x.shape, y.shape, node.attrs, (yi, taps) => {
        let m = -Infinity;
        for (const t of taps) if (x.data[t] > m) m = x.data[t];
        y.data[yi] = m;
      });
      return y;
    },
  },
  maxPool2dGrad: {
    arity: 2, kind: 'opaque',
    shape: ([x, dy], a) => {
      const expected = pooledShape('maxPool2dGrad', x.shape, a);
      if (expected.some((d, i) => d !== null && dy.shape[i] !== null && d !== dy.shape[i])) {
        throw new ShapeError(`maxPool2dGrad: the gradient ${formatShape(dy.shape)} does not match the pooled shape ${formatShape(expected)}`);
      }
      return x.shape;
    },
    dtype: (xs) => float('maxPool2dGrad', xs),
    vjp: () => notTwice('maxPool2dGrad'),
    ref: ([x, dy], node) => {
      const dx = refTensor(outShape(node.shape));
      forEachWindow(x.shape, dy.shape, node.attrs, (yi, taps) => {
        let best = -1;
        for (const t of taps) if (best < 0 || x.data[t] > x.data[best]) best = t;
        if (best >= 0 && (node.attrs.positiveOnly !== true || x.data[best] > 0)) dx.data[best] += dy.data[yi];
      });
      return dx;
    },
  },
  avgPool2d: {
    arity: 1, kind: 'opaque',
    shape: ([x], a) => pooledShape('avgPool2d', x.shape, a),
    dtype: (xs) => float('avgPool2d', xs),
    vjp: (g, node, b) => {
      const x = node.inputs[0];
      return [b.avgPool2dGrad(g, [x.shape[1]!, x.shape[2]!], node.attrs.window, node.attrs.strides, node.attrs.padding)];
    },
    ref: ([x], node) => {
      const y = refTensor(outShape(node.shape));
      forEachWindow(x.shape, y.shape, node.attrs, (yi, taps) => {
        let s = 0;
        for (const t of taps) s += x.data[t];
        y.data[yi] = s / taps.length;
      });
      return y;
    },
  },
  avgPool2dGrad: {
    arity: 1, kind: 'opaque',
    shape: ([dy], a) => {
      const x: Dim[] = [dy.shape[0], a.inputSize[0], a.inputSize[1], dy.shape[3]];
      const expected = pooledShape('avgPool2dGrad', x, a);
      if (expected.some((d, i) => d !== null && dy.shape[i] !== null && d !== dy.shape[i])) {
        throw new ShapeError(`avgPool2dGrad: the gradient ${formatShape(dy.shape)} does not match the pooled shape ${formatShape(expected)}`);
      }
      return x;
    },
    dtype: (xs) => float('avgPool2dGrad', xs),
    vjp: (g, node, b) => [b.avgPool2d(g, node.attrs.window, node.attrs.strides, node.attrs.padding)],
    ref: ([dy], node) => {
      const dx = refTensor(outShape(node.shape));
      forEachWindow(dx.shape, dy.shape, node.attrs, (yi, taps) => {
        for (const t of taps) dx.data[t] += dy.data[yi] / taps.length;
      });
      return dx;
    },
  },
};
