/**
 * The shape facts of a matmul that every tier specialises its kernel to, and the kernel's
 * readable name, so the JavaScript and WebAssembly kernels of one product line up in profiles.
 */
import type { Node } from '../ir/node.js';

export interface MatmulShape {
  /** Independent products of equal shape, one after another; 1 when unbatched. */
  readonly batch: number;
  readonly M: number;
  readonly K: number;
  readonly N: number;
  /** A is stored K x M (its transpose) rather than M x K. */
  readonly transposeA: boolean;
  /** B is stored N x K rather than K x N. */
  readonly transposeB: boolean;
}

export function shapeOfMatmul(node: Node<'matmul'>): MatmulShape {
  const { transposeA, transposeB } = node.attrs;
  const shape = node.shape as readonly number[];
  const a = node.inputs[0].shape as readonly number[];
  const r = shape.length;
  const batch = r === 3 ? shape[0] : 1;
  const [M, N] = [shape[r - 2], shape[r - 1]];
  const K = transposeA ? a[r - 2] : a[r - 1];
  return { batch, M, K, N, transposeA, transposeB };
}

/**
 * `matmul[_b<batch>][_<t|n><t|n>]_MxKxN`, e.g. `matmul_nt_128x512x512`. The batch is named when
 * the product is batched: the JavaScript tier says so for every rank-3 matmul, even of batch 1.
 */
export function matmulName(s: MatmulShape, batched = s.batch > 1): string {
  const flags = s.transposeA || s.transposeB ? `_${s.transposeA ? 't' : 'n'}${s.transposeB ? 't' : 'n'}` : '';
  return `matmul${batched ? `_b${s.batch}` : ''}${flags}_${s.M}x${s.K}x${s.N}`;
}
