import type { Conv2DAttrs, Pair } from '../attrs.js';
import type { Node } from '../node.js';
import { formatShape, ShapeError, type Dim } from '../types.js';
import { outShape, refTensor } from './ref-util.js';
import type { RuleTable } from './rule.js';

/** Output size of a strided, dilated, padded window along one axis (floor, as TensorFlow). */
export function windowOutSize(size: number, window: number, stride: number, lo: number, hi: number, dilation = 1): number {
  return Math.floor((size + lo + hi - dilation * (window - 1) - 1) / stride) + 1;
}

function dimOut(size: Dim, window: number, stride: number, lo: number, hi: number, dilation: number, op: string): Dim {
  if (size === null) return null;
  const out = windowOutSize(size, window, stride, lo, hi, dilation);
  if (out < 1) throw new ShapeError(`${op}: a window of ${window} (dilation ${dilation}) does not fit an input of size ${size} with padding ${lo}+${hi}; the output would be empty`);
  return out;
}

function checkConvAttrs(op: string, a: Conv2DAttrs): void {
  if (a.strides.some((s) => !(Number.isInteger(s) && s >= 1))) throw new ShapeError(`${op}: strides must be positive integers, got [${a.strides.join(', ')}]`);
  if (a.dilation.some((s) => !(Number.isInteger(s) && s >= 1))) throw new ShapeError(`${op}: dilation must be positive integers, got [${a.dilation.join(', ')}]`);
  if (a.padding.some((p) => !(Number.isInteger(p) && p >= 0))) throw new ShapeError(`${op}: padding must be non-negative integers, got [${a.padding.join(', ')}]`);
}

function rank(op: string, x: Node, r: number, what: string): void {
  if (x.shape.length !== r) throw new ShapeError(`${op}: expected ${what} of rank ${r}, got shape ${formatShape(x.shape)}`);
}

function matchDim(op: string, a: Dim, b: Dim, what: string): void {
  if (a !== null && b !== null && a !== b) throw new ShapeError(`${op}: ${what} do not match (${a} vs ${b})`);
}

/** Conv output spatial size for an input of [h, w]. */
function convSpatial(op: string, h: Dim, w: Dim, filter: Pair, a: Conv2DAttrs): [Dim, Dim] {
  return [
    dimOut(h, filter[0], a.strides[0], a.padding[0], a.padding[1], a.dilation[0], op),
    dimOut(w, filter[1], a.strides[1], a.padding[2], a.padding[3], a.dilation[1], op),
  ];
}

/**
 * Direct definition of convolution shared by the three conv references:
 * y[n, oh, ow, f] = sum over (kh, kw, c) of x[n, oh*s - pt + kh*d, ow*s - pl + kw*d, c] * w[kh, kw, c, f].
 * `visit` receives flat offsets into x, w and y for every in-bounds term.
 */
function convTerms(xShape: readonly number[], wShape: readonly number[], yShape: readonly number[], a: Conv2DAttrs,
  visit: (xi: number, wi: number, yi: number) => void): void {
  const [N, H, W, C] = xShape;
  const [KH, KW, , F] = wShape;
  const [, OH, OW] = yShape;
  for (let n = 0; n < N; n++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
    for (let kh = 0; kh < KH; kh++) {
      const ih = oh * a.strides[0] - a.padding[0] + kh * a.dilation[0];
      if (ih < 0 || ih >= H) continue;
      for (let kw = 0; kw < KW; kw++) {
        const iw = ow * a.strides[1] - a.padding[2] + kw * a.dilation[1];
        if (iw < 0 || iw >= W) continue;
        for (let c = 0; c < C; c++) for (let f = 0; f < F; f++) {
          visit(((n * H + ih) * W + iw) * C + c, ((kh * KW + kw) * C + c) * F + f, ((n * OH + oh) * OW + ow) * F + f);
        }
      }
    }
  }
}

function floatInputs(op: string, inputs: readonly Node[]): 'float32' {
  for (const x of inputs) if (x.dtype !== 'float32') throw new ShapeError(`${op}: expected float32 inputs, got ${x.dtype}`);
  return 'float32';
}

export const contractionRules: RuleTable<'matmul' | 'conv2d' | 'conv2dBackpropInput' | 'conv2dBackpropFilter', 'contraction'> = {
  matmul: {
    arity: 2, kind: 'contraction',
    shape: ([a, b], { transposeA, transposeB }) => {
      const r = a.shape.length;
      if ((r !== 2 && r !== 3) || b.shape.length !== r) {
        throw new ShapeError(`matmul: expected two matrices, or two stacks of matrices of equal rank, got shapes ${formatShape(a.shape)} and ${formatShape(b.shape)}`);
      }
      if (r === 3) matchDim('matmul', a.shape[0], b.shape[0], `batch sizes of ${formatShape(a.shape)} and ${formatShape(b.shape)}`);
      const [am, ak] = transposeA ? [a.shape[r - 1], a.shape[r - 2]] : [a.shape[r - 2], a.shape[r - 1]];
      const [bk, bn] = transposeB ? [b.shape[r - 1], b.shape[r - 2]] : [b.shape[r - 2], b.shape[r - 1]];
      if (ak !== null && bk !== null && ak !== bk) {
        throw new ShapeError(`matmul: inner dimensions of ${formatShape(a.shape)}${transposeA ? 'ᵀ' : ''} and ${formatShape(b.shape)}${transposeB ? 'ᵀ' : ''} do not match (${ak} vs ${bk})`);
      }
      return r === 3 ? [a.shape[0] ?? b.shape[0], am, bn] : [am, bn];
    },
    dtype: (inputs) => floatInputs('matmul', inputs),
    vjp: (g, node, b) => {
      const [x, y] = node.inputs;
      const { transposeA: ta, transposeB: tb } = node.attrs;
      const gx = ta ? b.matmul(y, g, tb, true) : b.matmul(g, y, false, !tb);
      const gy = tb ? b.matmul(g, x, true, ta) : b.matmul(x, g, !ta, false);
      return [gx, gy];
    },
    ref: ([a, b], node) => {
      const out = refTensor(outShape(node.shape));
      const r = a.shape.length;
      const { transposeA: ta, transposeB: tb } = node.attrs;
      const batch = r === 3 ? a.shape[0] : 1;
      const [M, N] = [out.shape[r - 2], out.shape[r - 1]];
      const K = ta ? a.shape[r - 2] : a.shape[r - 1];
      const [aRows, aCols] = [a.shape[r - 2], a.shape[r - 1]];
      const [bRows, bCols] = [b.shape[r - 2], b.shape[r - 1]];
      for (let p = 0; p < batch; p++) for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
        let acc = 0;
        for (let k = 0; k < K; k++) {
          const av = a.data[p * aRows * aCols + (ta ? k * aCols + i : i * aCols + k)];
          const bv = b.data[p * bRows * bCols + (tb ? j * bCols + k : k * bCols + j)];
          acc += av * bv;
        }
        out.data[(p * M + i) * N + j] = acc;
      }
      return out;
    },
  },
  conv2d: {
    arity: 2, kind: 'contraction',
    shape: ([x, w], a) => {
      checkConvAttrs('conv2d', a);
      rank('conv2d', x, 4, 'an input (batch, height, width, channels)');
      rank('conv2d', w, 4, 'a filter (height, width, in channels, out channels)');
      matchDim('conv2d', x.shape[3], w.shape[2], `input channels of ${formatShape(x.shape)} and filter ${formatShape(w.shape)}`);
      const [oh, ow] = convSpatial('conv2d', x.shape[1], x.shape[2], [w.shape[0]!, w.shape[1]!], a);
      return [x.shape[0], oh, ow, w.shape[3]];
    },
    dtype: (inputs) => floatInputs('conv2d', inputs),
    vjp: (g, node, b) => {
      const [x, w] = node.inputs;
      const a = node.attrs;
      return [
        b.conv2dBackpropInput(g, w, [x.shape[1]!, x.shape[2]!], a.strides, a.padding, a.dilation),
        b.conv2dBackpropFilter(x, g, [w.shape[0]!, w.shape[1]!], a.strides, a.padding, a.dilation),
      ];
    },
    ref: ([x, w], node) => {
      const y = refTensor(outShape(node.shape));
      convTerms(x.shape, w.shape, y.shape, node.attrs, (xi, wi, yi) => { y.data[yi] += x.data[xi] * w.data[wi]; });
      return y;
    },
  },
  conv2dBackpropInput: {
    arity: 2, kind: 'contraction',
    shape: ([dy, w], a) => {
      checkConvAttrs('conv2dBackpropInput', a);
      rank('conv2dBackpropInput', dy, 4, 'an output gradient (batch, height, width, channels)');
      rank('conv2dBackpropInput', w, 4, 'a filter (height, width, in channels, out channels)');
      matchDim('conv2dBackpropInput', dy.shape[3], w.shape[3], `channels of ${formatShape(dy.shape)} and filter ${formatShape(w.shape)}`);
      const [oh, ow] = convSpatial('conv2dBackpropInput', a.inputSize[0], a.inputSize[1], [w.shape[0]!, w.shape[1]!], a);
      if ((dy.shape[1] !== null && dy.shape[1] !== oh) || (dy.shape[2] !== null && dy.shape[2] !== ow)) {
        throw new ShapeError(`conv2dBackpropInput: an input of ${a.inputSize[0]}x${a.inputSize[1]} gives a ${oh}x${ow} output, but the gradient is ${dy.shape[1]}x${dy.shape[2]}`);
      }
      return [dy.shape[0], a.inputSize[0], a.inputSize[1], w.shape[2]];
    },
    dtype: (inputs) => floatInputs('conv2dBackpropInput', inputs),
    vjp: (g, node, b) => {
      const [dy, w] = node.inputs;
      const a = node.attrs;
      return [
        b.conv2d(g, w, a.strides, a.padding, a.dilation),
        b.conv2dBackpropFilter(g, dy, [w.shape[0]!, w.shape[1]!], a.strides, a.padding, a.dilation),
      ];
    },
    ref: ([dy, w], node) => {
      const dx = refTensor(outShape(node.shape));
      convTerms(dx.shape, w.shape, dy.shape, node.attrs, (xi, wi, yi) => { dx.data[xi] += dy.data[yi] * w.data[wi]; });
      return dx;
    },
  },
  conv2dBackpropFilter: {
    arity: 2, kind: 'contraction',
    shape: ([x, dy], a) => {
      checkConvAttrs('conv2dBackpropFilter', a);
      rank('conv2dBackpropFilter', x, 4, 'an input (batch, height, width, channels)');
      rank('conv2dBackpropFilter', dy, 4, 'an output gradient (batch, height, width, channels)');
      matchDim('conv2dBackpropFilter', x.shape[0], dy.shape[0], 'batch sizes');
      const [oh, ow] = convSpatial('conv2dBackpropFilter', x.shape[1], x.shape[2], a.filterSize, a);
      if ((dy.shape[1] !== null && oh !== null && dy.shape[1] !== oh) || (dy.shape[2] !== null && ow !== null && dy.shape[2] !== ow)) {
        throw new ShapeError(`conv2dBackpropFilter: the input gives a ${oh}x${ow} output, but the gradient is ${dy.shape[1]}x${dy.shape[2]}`);
      }
      return [a.filterSize[0], a.filterSize[1], x.shape[3], dy.shape[3]];
    },
    dtype: (inputs) => floatInputs('conv2dBackpropFilter', inputs),
    vjp: (g, node, b) => {
      const [x, dy] = node.inputs;
      const a = node.attrs;
      return [
        b.conv2dBackpropInput(dy, g, [x.shape[1]!, x.shape[2]!], a.strides, a.padding, a.dilation),
        b.conv2d(x, g, a.strides, a.padding, a.dilation),
      ];
    },
    ref: ([x, dy], node) => {
      const dw = refTensor(outShape(node.shape));
      convTerms(x.shape, dw.shape, dy.shape, node.attrs, (xi, wi, yi) => { dw.data[wi] += x.data[xi] * dy.data[yi]; });
      return dw;
    },
  },
};
