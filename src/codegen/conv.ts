/**
 * The three convolutions as GEMM plans over the shared core (gemm.ts), with implicit-GEMM
 * packers (conv-pack.ts):
 *   conv2d               M = N*OH*OW, K = KH*KW*C,  N = F   (rows: output pixels)
 *   conv2dBackpropFilter M = KH*KW*C, K = N*OH*OW,  N = F   (rows: filter taps)
 *   conv2dBackpropInput  M = N*H*W,   K = KH*KW*F,  N = C   (rows: input pixels)
 * In each the output's flat index is row*N + column (the strided input gradient's phases map
 * their rows with a RowMap), so the epilogue stores straight to the op's own layout (NHWC, or
 * [KH, KW, C, F] for the filter gradient).
 *
 * The input gradient is an implicit GEMM per stride phase (conv-phases.ts) rather than
 * GEMM-then-col2im: each output element is stored once (so epilogues fuse) with no output-sized
 * scratch, and no multiply-adds are spent on zeros. Measured at 8x28x28x32, 3x3x64, stride 2:
 * one implicit GEMM over all taps ran at 1.5 useful GFLOP/s, the phases at 4.1, conv2d at 4.7.
 */
import type * as ES from 'estree';
import type { Conv2DAttrs } from '../ir/attrs.js';
import type { Node } from '../ir/node.js';
import type { ContractionCode, Epilogue } from './contraction-api.js';
import { packFilterTransposed, packPatchRows, packTapRows, type Gather } from './conv-pack.js';
import { axisPhases, type AxisPhase } from './conv-phases.js';
import { emitGemm, emitGemms, unflatten, type GemmPlan, type RowMap } from './gemm.js';
import { packColsAcrossK } from './matmul.js';
import { plus, times } from './arith.js';
import { expr } from './template.js';

const dims = (n: Node): readonly number[] => n.shape as readonly number[];
type Dims4 = readonly [number, number, number, number];
const dims4 = (n: Node): Dims4 => n.shape as unknown as Dims4;

/** x [N, H, W, C] read by conv2d and its filter gradient at ih = oh*s - pad + kh*d. */
function forwardGather(image: ES.Expression, x: Dims4, out: readonly number[], KW: number, a: Conv2DAttrs): Gather {
  return {
    image, imageDims: x, patchDims: [out[0], out[1], out[2]], tapCols: KW,
    rows: { scale: a.strides[0], offset: -a.padding[0], tapStep: a.dilation[0] },
    cols: { scale: a.strides[1], offset: -a.padding[2], tapStep: a.dilation[1] },
  };
}

/** `_s2x2_d2x2_p0x1x0x1`, leaving out unit strides, unit dilation and zero padding. */
export function attrSuffix(a: Conv2DAttrs): string {
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
    packA: (img) => packPatchRows(forwardGather(img, dims4(node.inputs[0]), y, KW, node.attrs)),
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
    packA: (img) => packTapRows(forwardGather(img, dims4(node.inputs[0]), dy, KW, node.attrs)),
    packB: (grad) => packColsAcrossK(grad, F),
    batchStrideA: 0, batchStrideB: 0,
    rowDims: [KH, KW, C],
  };
  return emitGemm(plan, a, b, epilogue);
}

/** Where the GEMM rows of one phase land in dx [N, H, W, C]: every s-th pixel from (first, first). */
function phaseRows(dx: readonly number[], ph: AxisPhase, pw: AxisPhase, sh: number, sw: number): RowMap {
  const [N, H, W, C] = dx;
  const grid = [N, ph.count, pw.count];
  const h = (row: ES.Expression) => plus(times(unflatten(row, grid, 1), sh), ph.first);
  const w = (row: ES.Expression) => plus(times(unflatten(row, grid, 2), sw), pw.first);
  return {
    offset: (row) => expr('(($n * $H + $h) * $W + $w) * $C', { $n: unflatten(row, grid, 0), $H: H, $h: h(row), $W: W, $w: w(row), $C: C }),
    coord: (row, axis) => (axis === 0 ? unflatten(row, grid, 0) : axis === 1 ? h(row) : w(row)),
  };
}

export function emitConv2dBackpropInput(node: Node<'conv2dBackpropInput'>, a: ES.Expression, b: ES.Expression, epilogue: Epilogue): ContractionCode {
  const dy = dims4(node.inputs[0]), w = dims(node.inputs[1]), dx = dims(node);
  const [KH, KW, C, F] = w;
  const [N, H, W] = dx;
  const { strides: [sh, sw], dilation: [dh, dw], padding: [pt, , pl] } = node.attrs;
  const name = `conv2dBackpropInput_${dx.join('x')}_${KH}x${KW}x${F}${attrSuffix(node.attrs)}`;
  const strided = sh > 1 || sw > 1;
  const plans: GemmPlan[] = [];
  for (const ph of axisPhases(H, KH, sh, dh, pt)) for (const pw of axisPhases(W, KW, sw, dw, pl)) {
    const gather = (img: ES.Expression): Gather => ({
      image: img, imageDims: dy, patchDims: [N, ph.count, pw.count], tapCols: pw.taps.count,
      rows: { scale: 1, offset: ph.base, tapStep: -ph.delta },
      cols: { scale: 1, offset: pw.base, tapStep: -pw.delta },
    });
    plans.push({
      name, batch: 1, M: N * ph.count * pw.count, K: ph.taps.count * pw.taps.count * F, N: C, mAlign: 1, kAlign: F,
      packA: (grad) => packPatchRows(gather(grad)),
      packB: (filter) => packFilterTransposed(filter, KW, C, F, ph.taps, pw.taps),
      batchStrideA: 0, batchStrideB: 0,
      rowDims: [N, ph.count, pw.count],
      // With stride 1 there is one phase and its rows are dx's pixels in order.
      rowMap: strided ? phaseRows(dx, ph, pw, sh, sw) : undefined,
    });
  }
  return emitGemms(name, plans, a, b, epilogue);
}
