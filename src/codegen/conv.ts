/**
 * The three convolutions as GEMM plans over the shared core (gemm.ts), with implicit-GEMM
 * packers (conv-pack.ts):
 *   conv2d               M = N*OH*OW, K = KH*KW*C,  N = F   (rows: output pixels)
 *   conv2dBackpropFilter M = KH*KW*C, K = N*OH*OW,  N = F   (rows: filter taps)
 *   conv2dBackpropInput  M = N*H*W,   K = KH*KW*F,  N = C   (rows: input pixels)
 * In each the output's flat index is row*N + column, so the epilogue stores straight to the
 * op's own layout (NHWC, or [KH, KW, C, F] for the filter gradient).
 *
 * The input gradient is an implicit GEMM with validity checks rather than GEMM-then-col2im: it
 * keeps one store per output element (so epilogues fuse) and needs no output-sized scratch. With
 * stride s it multiplies by zeros for all but 1/(s*s) of the taps; see bench for the cost.
 */
import type * as ES from 'estree';
import type { Conv2DAttrs } from '../ir/attrs.js';
import type { Node } from '../ir/node.js';
import type { ContractionCode, Epilogue } from './contraction-api.js';
import { backwardGather, forwardGather, packFilterTransposed, packPatchRows, packTapRows } from './conv-pack.js';
import { emitGemm, type GemmPlan } from './gemm.js';
import { packColsAcrossK } from './matmul.js';

const dims = (n: Node): readonly number[] => n.shape as readonly number[];

/** `_s2x2_d2x2_p0x1x0x1`, leaving out unit strides, unit dilation and zero padding. */
function attrSuffix(a: Conv2DAttrs): string {
  let s = '';
  if (a.strides[0] !== 1 || a.strides[1] !== 1) s += `_s${a.strides.join('x')}`;
  if (a.dilation[0] !== 1 || a.dilation[1] !== 1) s += `_d${a.dilation.join('x')}`;
  if (a.padding.some((p) => p !== 0)) s += `_p${a.padding.join('x')}`;
  return s;
}

export function emitConv2d(node: Node<'conv2d'>, a: ES.Expression, b: ES.Expression, epilogue: Epilogue): ContractionCode {
  const x = dims(node.inputs[0]), w = dims(node.inputs[1]), y = dims(node);
  const [KH, KW, C, F] = w;
  const [N, OH, OW] = y;
  const plan: GemmPlan = {
    name: `conv2d_${x.join('x')}_${KH}x${KW}x${F}${attrSuffix(node.attrs)}`,
    batch: 1, M: N * OH * OW, K: KH * KW * C, N: F, mAlign: 1, kAlign: C,
    packA: (img) => packPatchRows(forwardGather(img, x, y, KW, node.attrs)),
    packB: (filter) => packColsAcrossK(filter, F),
    batchStrideA: 0, batchStrideB: 0,
    rowDims: [N, OH, OW],
  };
  return emitGemm(plan, a, b, epilogue);
}

export function emitConv2dBackpropFilter(node: Node<'conv2dBackpropFilter'>, a: ES.Expression, b: ES.Expression, epilogue: Epilogue): ContractionCode {
  const x = dims(node.inputs[0]), dy = dims(node.inputs[1]), dw = dims(node);
  const [KH, KW, C, F] = dw;
  const [N, OH, OW] = dy;
  const plan: GemmPlan = {
    name: `conv2dBackpropFilter_${x.join('x')}_${KH}x${KW}x${F}${attrSuffix(node.attrs)}`,
    batch: 1, M: KH * KW * C, K: N * OH * OW, N: F, mAlign: C, kAlign: 1,
    packA: (img) => packTapRows(forwardGather(img, x, dy, KW, node.attrs)),
    packB: (grad) => packColsAcrossK(grad, F),
    batchStrideA: 0, batchStrideB: 0,
    rowDims: [KH, KW, C],
  };
  return emitGemm(plan, a, b, epilogue);
}

export function emitConv2dBackpropInput(node: Node<'conv2dBackpropInput'>, a: ES.Expression, b: ES.Expression, epilogue: Epilogue): ContractionCode {
  const dy = dims(node.inputs[0]), w = dims(node.inputs[1]), dx = dims(node);
  const [KH, KW, C, F] = w;
  const [N, H, W] = dx;
  const plan: GemmPlan = {
    name: `conv2dBackpropInput_${dx.join('x')}_${KH}x${KW}x${F}${attrSuffix(node.attrs)}`,
    batch: 1, M: N * H * W, K: KH * KW * F, N: C, mAlign: 1, kAlign: F,
    packA: (grad) => packPatchRows(backwardGather(grad, dy, dx, KW, node.attrs)),
    packB: (filter) => packFilterTransposed(filter, C, F),
    batchStrideA: 0, batchStrideB: 0,
    rowDims: [N, H, W],
  };
  return emitGemm(plan, a, b, epilogue);
}
