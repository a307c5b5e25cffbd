/**
 * Matmuls on the native tier, as a contraction family over the WebAssembly one: every kernel is
 * both: its C twin, loaded at once from the disk cache or compiled in the background (swap.ts), and
 * the WebAssembly kernel, compiled when first called before the twin has loaded (so the first step
 * never waits for a C compiler, and never compiles a module a cached twin replaces). Both apply the same epilogues (bias, relu) and write the
 * same raw product for the epilogue passes the contraction lowering adds, so the rest of the
 * lowering is shared. A GEMV (a product of a few rows, memory-bound) has no C twin: it stays
 * WebAssembly.
 */
import type { Node } from '../../../ir/node.js';
import type { ContractionFamily, ContractionKernel } from '../wasm/contraction.js';
import { isGemv, matmulFamily, type WasmProductKernel } from '../wasm/matmul.js';
import type { NativeKernel } from './kernels.js';
import { nativeTwin, swapping } from './swap.js';

export interface NativeMatmulKernel extends ContractionKernel {
  readonly wasm: WasmProductKernel;
  /** Undefined for a GEMV. */
  readonly native: NativeKernel | undefined;
}

export const nativeMatmulFamily: ContractionFamily<Node<'matmul'>, NativeMatmulKernel> = {
  anchor: matmulFamily.anchor,
  appliesInKernel: matmulFamily.appliesInKernel,
  compile(node, options) {
    const wasm = matmulFamily.compile(node, options);
    if (isGemv(wasm)) return { name: wasm.name, shared: wasm.shared, wasm, native: undefined, wat: () => wasm.wat() };
    const native = nativeTwin(wasm);
    // Named after its WebAssembly twin, which it is until the C kernel loads; the source shows both.
    return {
      name: wasm.name, shared: wasm.shared, wasm, native,
      wat: () => `${wasm.wat()}\n/* and, once compiled, in place of the module above: */\n${native.source}`,
    };
  },
  threads: (kernel) => matmulFamily.threads(kernel.wasm),
  scratchBytes: (kernel, threads) => matmulFamily.scratchBytes(kernel.wasm, threads),
  bind(kernel, memory, scratchOffset, threads) {
    const bindWasm = () => matmulFamily.bind(kernel.wasm, memory, scratchOffset, threads);
    return kernel.native === undefined || isGemv(kernel.wasm) ? bindWasm() : swapping(bindWasm, kernel.native, kernel.wasm, memory);
  },
};
