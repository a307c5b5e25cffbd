/**
 * Matmuls for the contraction lowering: the kernel applies any epilogue matchNativeEpilogue
 * accepts; large products split their column panels over the worker pool, one packed B panel
 * of scratch per thread.
 */
import { align16 } from '../../../codegen/align.js';
import { compileWasmMatmul, type WasmMatmulKernel } from '../../../codegen/wasm/matmul-kernel.js';
import type { Node } from '../../../ir/node.js';
import { bindMatmul, matmulThreads } from '../../threads/parallel-matmul.js';
import type { ContractionFamily } from './contraction.js';

export const matmulFamily: ContractionFamily<Node<'matmul'>, WasmMatmulKernel> = {
  anchor: (k) => (k.anchor.op === 'matmul' ? (k.anchor as Node<'matmul'>) : undefined),
  appliesInKernel: () => true,
  compile: compileWasmMatmul,
  threads: matmulThreads,
  scratchBytes: (kernel, threads) => align16(kernel.scratchBytes) * threads,
  bind: bindMatmul,
};
