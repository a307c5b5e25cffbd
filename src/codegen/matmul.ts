/**
 * Matmul as a GEMM plan: packers for plain and transposed row-major matrices. Each packer walks
 * its source in memory order (the contiguous axis innermost) and scatters into the panel layout,
 * because reads from the shared Float32Array are the slow side.
 */
import type * as ES from 'estree';
import type { Node } from '../ir/node.js';
import type { ContractionCode, Epilogue } from './contraction-api.js';
import { emitGemm, type GemmPlan } from './gemm.js';
import { matmulName, shapeOfMatmul } from './matmul-shape.js';
import { stmts } from './template.js';

/** A(i, k) from an M x K row-major matrix at `a`: rows are contiguous along k. */
export function packRowsAlongK(a: ES.Expression, K: number): ES.Statement[] {
  return stmts(`
    for (let r = 0; r < mc; r++) {
      const dst = (r >> 2) * 4 * kc + (r & 3);
      const src = $a + (ic + r) * $K + pc;
      for (let k = 0; k < kc; k++) Ap[dst + 4 * k] = F[src + k];
    }`, { $a: a, $K: K });
}

/** A(i, k) from a K x M row-major matrix at `a` (transposed A): contiguous along i. */
export function packRowsAcrossK(a: ES.Expression, M: number): ES.Statement[] {
  return stmts(`
    for (let k = 0; k < kc; k++) {
      const src = $a + (pc + k) * $M + ic;
      for (let r = 0; r < mc; r++) Ap[(r >> 2) * 4 * kc + 4 * k + (r & 3)] = F[src + r];
    }`, { $a: a, $M: M });
}

/** B(k, j) from a K x N row-major matrix at `b`: contiguous along j. */
export function packColsAcrossK(b: ES.Expression, N: number): ES.Statement[] {
  return stmts(`
    for (let k = 0; k < kc; k++) {
      const src = $b + (pc + k) * $N + jc;
      for (let c = 0; c < nc; c++) Bp[(c >> 1) * 2 * kc + 2 * k + (c & 1)] = F[src + c];
    }`, { $b: b, $N: N });
}

/** B(k, j) from an N x K row-major matrix at `b` (transposed B): contiguous along k. */
export function packColsAlongK(b: ES.Expression, K: number): ES.Statement[] {
  return stmts(`
    for (let c = 0; c < nc; c++) {
      const dst = (c >> 1) * 2 * kc + (c & 1);
      const src = $b + (jc + c) * $K + pc;
      for (let k = 0; k < kc; k++) Bp[dst + 2 * k] = F[src + k];
    }`, { $b: b, $K: K });
}

export function emitMatmul(node: Node<'matmul'>, a: ES.Expression, b: ES.Expression, epilogue: Epilogue): ContractionCode {
  const shape = shapeOfMatmul(node);
  const { batch, M, K, N, transposeA, transposeB } = shape;
  const name = matmulName(shape, node.shape.length === 3);
  const plan: GemmPlan = {
    name, batch, M, K, N, mAlign: 1, kAlign: 1,
    packA: (a) => (transposeA ? packRowsAcrossK(a, M) : packRowsAlongK(a, K)),
    packB: (b) => (transposeB ? packColsAlongK(b, K) : packColsAcrossK(b, N)),
    batchStrideA: M * K,
    batchStrideB: K * N,
    // A stack of one matrix (batch 1, rank 3) keeps its batch axis as a leading row axis of size 1.
    rowDims: node.shape.length === 3 && batch === 1 ? [1, M] : [M],
  };
  return emitGemm(plan, a, b, epilogue);
}
