/**
 * Matmuls on the native tier, as a contraction family over the WebAssembly one: every kernel is
 * both, the WebAssembly kernel compiled at once (so the first step runs without waiting) and its
 * C twin in the background (swap.ts). Both apply the same epilogues (bias, relu) and write the
 * same raw product for the epilogue passes the contraction lowering adds, so the rest of the
 * lowering is shared.
 */
import type { WasmMatmulKernel } from '../../../codegen/wasm/matmul-kernel.js';
import type { Node } from '../../../ir/node.js';
import type { ContractionFamily, ContractionKernel } from '../wasm/contraction.js';
import { matmulFamily } from '../wasm/matmul.js';
import type { NativeKernel } from './kernels.js';
import { nativeTwin, swapping } from './swap.js';

export interface NativeMatmulKernel extends ContractionKernel {
  readonly wasm: WasmMatmulKernel;
  readonly native: NativeKernel;
}

export const nativeMatmulFamily: ContractionFamily<Node<'matmul'>, NativeMatmulKernel> = {
  anchor: matmulFamily.anchor,
  appliesInKernel: matmulFamily.appliesInKernel,
  compile(node, options) {
    const wasm = matmulFamily.compile(node, options);
    const native = nativeTwin(wasm);
    // Named after its WebAssembly twin, which it is until the C kernel loads; the source shows both.
    return {
      name: wasm.name, shared: wasm.shared, wasm, native,
      wat: () => `${wasm.wat()}\n/* and, once compiled, in place of the module above: */\n${native.source}`,
    };
  },
  threads: (kernel) => matmulFamily.threads(kernel.wasm),
  scratchBytes: (kernel, threads) => matmulFamily.scratchBytes(kernel.wasm, threads),
  bind: (kernel, memory, scratchOffset, threads) => swapping(matmulFamily.bind(kernel.wasm, memory, scratchOffset, threads), kernel.native, kernel.wasm, memory),
};
