/**
 * Matmuls and convolutions (and their gradients) on the WebAssembly tier, one lowering for both.
 * Bias and relu run inside the kernel where it can apply them; an identity group writes its
 * output directly; anything else (another epilogue, an in-place variable update, an epilogue on
 * an output assembled from several passes) runs over the raw product, kept in scratch after the
 * kernel's own: as a WebAssembly SIMD elementwise kernel when the epilogue is flat, else as the
 * JavaScript epilogue pass (product-pass.ts). Large products run on the worker pool.
 */
import { matchNativeEpilogue, type NativeMatch } from '../../../codegen/wasm/epilogue-match.js';
import type { NativeEpilogue } from '../../../codegen/wasm/matmul-emit.js';
import type { FusedKernel } from '../../../ir/fusion.js';
import type { Node } from '../../../ir/node.js';
import type { Memory } from '../../memory.js';
import { defaultSharedMemory } from '../../threads/config.js';
import type { Lowering } from '../tier.js';
import { productThenJsEpilogue, productThenSimdEpilogue } from './product-pass.js';

/** What the lowering needs of a compiled WebAssembly contraction. */
export interface ContractionKernel {
  readonly name: string;
  /** Its module imports the memory as shared (a worker pool's) or not. */
  readonly shared: boolean;
  wat(): string;
}

/** The op-specific parts of a contraction family (matmul.ts, conv.ts). */
export interface ContractionFamily<N extends Node, K extends ContractionKernel> {
  /** The group's anchor when it is this family's, else undefined. */
  anchor(k: FusedKernel): N | undefined;
  /** Whether the kernel applies the matched epilogue itself (else it runs over the raw product). */
  appliesInKernel(node: N, match: NativeMatch): boolean;
  compile(node: N, options: { readonly epilogue?: NativeEpilogue; readonly shared: boolean }): K;
  /** Threads worth giving the kernel (1: the calling thread alone). */
  threads(kernel: K): number;
  /** Scratch for one call on `threads` threads. */
  scratchBytes(kernel: K, threads: number): number;
  /** The kernel over `memory`, its scratch at `scratchOffset`; `bias` only with a bias epilogue. */
  bind(kernel: K, memory: Memory, scratchOffset: number, threads: number): (out: number, in0: number, in1: number, bias?: number) => void;
}

export function contractionLowering<N extends Node, K extends ContractionKernel>(family: ContractionFamily<N, K>): Lowering {
  return (k) => {
    const node = k.kind === 'contraction' ? family.anchor(k) : undefined;
    if (node === undefined) return undefined;
    const match = matchNativeEpilogue(k);
    const direct = match !== undefined && family.appliesInKernel(node, match) ? match : undefined;
    const options = direct !== undefined ? { epilogue: direct.epilogue } : {};
    const kernel = family.compile(node, { ...options, shared: defaultSharedMemory() });
    const threads = family.threads(kernel);
    const scratchBytes = family.scratchBytes(kernel, threads);
    // A module imports its memory as shared or not: a session that chose otherwise gets its own
    // compile (same plan, so the same scratch layout); binding falls back to one thread there.
    const bound = (memory: Memory, scratchOffset: number) =>
      family.bind(memory.shared === kernel.shared ? kernel : family.compile(node, { ...options, shared: memory.shared }), memory, scratchOffset, threads);
    const text = () => kernel.wat();
    if (direct === undefined) return productThenSimdEpilogue(k, kernel.name, text, scratchBytes, bound) ?? productThenJsEpilogue(k, kernel.name, text, scratchBytes, bound);
    const operands = [k.outputs[0], node.inputs[0], node.inputs[1], ...(direct.bias !== undefined ? [direct.bias] : [])];
    return {
      kernel: k, name: kernel.name, get source() { return kernel.wat(); }, buffers: operands, scratchBytes,
      bind: ({ memory, byteOffset, scratchOffset }) => ({
        run: bound(memory, scratchOffset), takesViews: false, label: null,
        args: operands.map(byteOffset),
      }),
    };
  };
}
