/**
 * Convolutions and their gradients for the contraction lowering: the kernel applies bias and
 * relu only when its product rows land in the output in order. Convolutions of
 * PARALLEL_MIN_FLOPS or more run each chunk's product on the worker pool, as large matmuls do;
 * the patch gather stays on the calling thread, and a SIMD epilogue pass splits as every pass
 * does (threads/parallel-pass.ts).
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
  // Split by column panels: disjoint columns of the output, so the filter gradient's sum over
  // chunks stays one writer per element.
  threads: (conv) => parallelThreads(conv.flops, conv.panels, conv.shared),
  scratchBytes: (conv, threads) => conv.scratchBytesFor(threads),
  bind: (conv, memory, scratchOffset, threads) =>
    conv.instantiate(memory.wasm, scratchOffset, threads > 1 ? { threads, bind: (kernel, offset) => bindMatmul(kernel, memory, offset, threads) } : undefined),
};
