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
 * scratch, and no multiply-adds are spent on zeros (one implicit GEMM over all taps would spend
 * most of them on zeros).
 */
import type * as ES from 'estree';
import type { Node } from '../ir/node.js';
import type { ContractionCode, Epilogue } from './contraction-api.js';
import { convName, forwardPatches, inputGradientPhases, isStrided, patchCount, type PatchGeometry } from './conv-geometry.js';
import { packFilterTransposed, packPatchRows, packTapRows } from './conv-pack.js';
import { emitGemm, emitGemms, type GemmPlan, type RowMap } from './gemm.js';
import { plus, times, unflatten } from './index-arith.js';
import { packColsAcrossK } from './matmul.js';
import { expr } from './template.js';

const dims = (n: Node): readonly number[] => n.shape as readonly number[];

export function emitConv2d(node: Node<'conv2d'>, a: ES.Expression, b: ES.Expression, epilogue: Epilogue): ContractionCode {
  const [KH, KW, C, F] = dims(node.inputs[1]);
  const patches = forwardPatches(node);
  const plan: GemmPlan = {
    name: convName(node),
    batch: 1, M: patchCount(patches), K: KH * KW * C, N: F, mAlign: 1, kAlign: C,
    packA: (img) => packPatchRows({ ...patches, image: img }),
    packB: (filter) => packColsAcrossK(filter, F),
    batchStrideA: 0, batchStrideB: 0,
    rowDims: patches.patchDims,
  };
  return emitGemm(plan, a, b, epilogue);
}

export function emitConv2dBackpropFilter(node: Node<'conv2dBackpropFilter'>, a: ES.Expression, b: ES.Expression, epilogue: Epilogue): ContractionCode {
  const [KH, KW, C, F] = dims(node);
  const patches = forwardPatches(node);
  const plan: GemmPlan = {
    name: convName(node),
    batch: 1, M: KH * KW * C, K: patchCount(patches), N: F, mAlign: C, kAlign: 1,
    packA: (img) => packTapRows({ ...patches, image: img }),
    packB: (grad) => packColsAcrossK(grad, F),
    batchStrideA: 0, batchStrideB: 0,
    rowDims: [KH, KW, C],
  };
  return emitGemm(plan, a, b, epilogue);
}

/** A phase's scatter geometry (every s-th pixel of dx) as the GEMM's row map. */
function phaseRows(scatter: PatchGeometry): RowMap {
  const [, H, W, C] = scatter.imageDims;
  const grid = scatter.patchDims;
  const h = (row: ES.Expression) => plus(times(unflatten(row, grid, 1), scatter.rows.scale), scatter.rows.offset);
  const w = (row: ES.Expression) => plus(times(unflatten(row, grid, 2), scatter.cols.scale), scatter.cols.offset);
  return {
    offset: (row) => expr('(($n * $H + $h) * $W + $w) * $C', { $n: unflatten(row, grid, 0), $H: H, $h: h(row), $W: W, $w: w(row), $C: C }),
    coord: (row, axis) => (axis === 0 ? unflatten(row, grid, 0) : axis === 1 ? h(row) : w(row)),
  };
}

export function emitConv2dBackpropInput(node: Node<'conv2dBackpropInput'>, a: ES.Expression, b: ES.Expression, epilogue: Epilogue): ContractionCode {
  const [, KW, C, F] = dims(node.inputs[1]);
  const name = convName(node);
  const strided = isStrided(node.attrs);
  const plans: GemmPlan[] = inputGradientPhases(node).map(({ rows, cols, gather, scatter }) => ({
    name, batch: 1, M: patchCount(gather), K: rows.taps.count * cols.taps.count * F, N: C, mAlign: 1, kAlign: F,
    packA: (grad) => packPatchRows({ ...gather, image: grad }),
    packB: (filter) => packFilterTransposed(filter, KW, C, F, rows.taps, cols.taps),
    batchStrideA: 0, batchStrideB: 0,
    rowDims: gather.patchDims,
    // With stride 1 there is one phase and its rows are dx's pixels in order.
    rowMap: strided ? phaseRows(scatter) : undefined,
  }));
  return emitGemms(name, plans, a, b, epilogue);
}
