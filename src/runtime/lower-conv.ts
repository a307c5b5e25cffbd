/**
 * Lowers a fused convolution group (conv2d or one of its gradients) to the WebAssembly tier.
 * Bias and relu run inside the kernel when its product rows land in the output in order; an
 * identity group writes its output directly; anything else (another epilogue, an in-place
 * variable update, an epilogue on an output assembled from several passes) runs over the raw
 * product, kept in scratch after the kernel's own: as a WebAssembly SIMD elementwise kernel when
 * the epilogue is flat (the relu gradient's mask fused into mnist_cnn's input gradient: ~2-3 ms
 * against ~6 ms for the JavaScript pass over 128x26x26x32), else as the JavaScript epilogue pass.
 * Convolutions of PARALLEL_MIN_FLOPS or more run each chunk's product on the worker pool, as
 * large matmuls do (mnist_cnn, 2 threads: the 32->64 forward and filter gradient ~1.7x faster);
 * the patch gather and any epilogue pass stay on the calling thread.
 */
import { compileWasmConv, type WasmConvKernel } from '../codegen/wasm/conv-kernel.js';
import { planConv, type ConvOp } from '../codegen/wasm/conv-plan.js';
import { matchNativeEpilogue } from '../codegen/wasm/epilogue-match.js';
import type { FusedKernel } from '../ir/fusion.js';
import type { Node } from '../ir/node.js';
import { isConvOp } from '../ir/op-kinds.js';
import type { Lowered } from './lower.js';
import { productThenJsEpilogue, productThenSimdEpilogue } from './product-pass.js';
import type { Memory } from './memory.js';
import { defaultSharedMemory } from './threads/config.js';
import { bindMatmul, parallelThreads } from './threads/parallel-matmul.js';

export function isConvKernel(k: FusedKernel): boolean {
  return k.kind === 'contraction' && isConvOp(k.anchor.op);
}

const align16 = (n: number) => Math.ceil(n / 16) * 16;

export function wasmConvCall(k: FusedKernel): Lowered {
  const node = k.anchor as Node<ConvOp>;
  const match = matchNativeEpilogue(k);
  const direct = match !== undefined && (planConv(node).rowsInOrder || (!match.epilogue.bias && !match.epilogue.relu));
  const options = match !== undefined && direct ? { epilogue: match.epilogue } : {};
  const conv = compileWasmConv(node, { ...options, shared: defaultSharedMemory() });
  // Large convolutions split each chunk's product over the pool by column panels (disjoint
  // columns of the output, so the filter gradient's sum over chunks stays one writer per element).
  const threads = parallelThreads(conv.flops, conv.panels, conv.shared);
  const scratchBytes = conv.scratchBytesFor(threads);
  // A module imports its memory as shared or not: a session that chose otherwise gets its own
  // compile (same plan, so the same scratch layout); bindMatmul falls back to one thread there.
  const bound = (memory: Memory, scratchOffset: number) =>
    (memory.shared === conv.shared ? conv : compileWasmConv(node, { ...options, shared: memory.shared })).instantiate(memory.wasm, scratchOffset,
      threads > 1 ? { threads, bind: (kernel, offset) => bindMatmul(kernel, memory, offset, threads) } : undefined);
  if (match !== undefined && direct) {
    const operands = [k.outputs[0], node.inputs[0], node.inputs[1], ...(match.bias !== undefined ? [match.bias] : [])];
    return {
      kernel: k, name: conv.name, get source() { return conv.wat(); }, buffers: operands, scratchBytes,
      bind: ({ memory, byteOffset, scratchOffset }) => ({
        run: bound(memory, scratchOffset), takesViews: false, label: null,
        args: operands.map(byteOffset),
      }),
    };
  }
  return productThenSimdEpilogue(k, conv.name, () => conv.wat(), scratchBytes, bound) ?? jsEpilogueCall(k, conv, scratchBytes, bound);
}

type Bind = (memory: Memory, scratchOffset: number) => (out: number, in0: number, in1: number) => void;

function jsEpilogueCall(k: FusedKernel, conv: WasmConvKernel, convScratch: number, bound: Bind): Lowered {
  return productThenJsEpilogue(k, conv.name, () => conv.wat(), convScratch, bound);
}
