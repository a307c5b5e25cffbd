/**
 * Matmuls for the contraction lowering: the kernel applies any epilogue matchNativeEpilogue
 * accepts; large products split their column panels over the worker pool, one packed B panel
 * of scratch per thread. A product of a few rows (a single-sample or small-batch predict) runs
 * as a GEMV instead (codegen/wasm/gemv-emit.ts): B read in place, no scratch, one thread.
 */
import { align16 } from '../../../codegen/align.js';
import { isGemvShape } from '../../../codegen/wasm/gemv-emit.js';
import { compileWasmGemv, type WasmGemvKernel } from '../../../codegen/wasm/gemv-kernel.js';
import { compileWasmMatmul, type WasmMatmulKernel } from '../../../codegen/wasm/matmul-kernel.js';
import { shapeOfMatmul } from '../../../codegen/matmul-shape.js';
import type { Node } from '../../../ir/node.js';
import { bindMatmul, matmulThreads } from '../../threads/parallel-matmul.js';
import type { ContractionFamily } from './contraction.js';

/** A matmul on this tier: the GEMM, or the GEMV for products of a few rows. */
export type WasmProductKernel = WasmMatmulKernel | WasmGemvKernel;
type Kernel = WasmProductKernel;
export const isGemv = (k: Kernel): k is WasmGemvKernel => 'kind' in k && k.kind === 'gemv';

export const matmulFamily: ContractionFamily<Node<'matmul'>, Kernel> = {
  anchor: (k) => (k.anchor.op === 'matmul' ? (k.anchor as Node<'matmul'>) : undefined),
  appliesInKernel: () => true,
  compile: (node, options) => (isGemvShape(shapeOfMatmul(node)) ? compileWasmGemv(node, options) : compileWasmMatmul(node, options)),
  threads: (kernel) => (isGemv(kernel) ? 1 : matmulThreads(kernel)),
  scratchBytes: (kernel, threads) => (isGemv(kernel) ? 0 : align16(kernel.scratchBytes) * threads),
  bind: (kernel, memory, scratchOffset, threads) => (isGemv(kernel) ? kernel.instantiate(memory.wasm) : bindMatmul(kernel, memory, scratchOffset, threads)),
};
