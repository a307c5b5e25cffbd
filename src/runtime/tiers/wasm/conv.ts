/**
 * Convolutions and their gradients for the contraction lowering: the kernel applies bias and
 * relu only when its product rows land in the output in order. Convolutions of
 * PARALLEL_MIN_FLOPS or more run on the worker pool, as large matmuls do: split by chunks of
 * tiles or patches (Winograd, and one-GEMM plans, which gather on every thread), or by column
 * panels of each chunk's product (the strided input gradient); a SIMD epilogue pass over the raw
 * product splits as every pass does (threads/parallel-pass.ts).
 */
import { compileWasmConv, type WasmConvKernel } from '../../../codegen/wasm/conv-kernel.js';
import { planConv, type ConvOp } from '../../../codegen/wasm/conv-plan.js';
import type { Node } from '../../../ir/node.js';
import { isConvOp } from '../../../ir/op-kinds.js';
import { bindMatmul, parallelThreads } from '../../threads/parallel-matmul.js';
import type { ContractionFamily } from './contraction.js';

export const convFamily: ContractionFamily<Node<ConvOp>, WasmConvKernel> = {
  anchor: (k) => (isConvOp(k.anchor.op) ? (k.anchor as Node<ConvOp>) : undefined),
  appliesInKernel: (node, match) => planConv(node).rowsInOrder || (!match.epilogue.bias && !match.epilogue.relu),
  compile: compileWasmConv,
  // `panels` are the units the kernel splits into: chunks, or column panels (conv-kernel.ts).
  threads: (conv) => parallelThreads(conv.flops, conv.panels, conv.shared),
  scratchBytes: (conv, threads) => conv.scratchBytesFor(threads),
  bind: (conv, memory, scratchOffset, threads) =>
    conv.instantiate(memory.wasm, scratchOffset, threads > 1 ? { threads, bind: (kernel, offset) => bindMatmul(kernel, memory, offset, threads) } : undefined),
};
