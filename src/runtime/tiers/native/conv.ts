/**
 * Convolutions on the native tier: the WebAssembly convolution (patch gathers and scatters, filter
 * repacks) with each of its matmul products bound through the hook it offers for threads, so
 * the forward and input-gradient products become their C twins once compiled (swap.ts), and so do
 * Winograd's chunks in all three forms (winograd-c.ts, winograd-filter-c.ts), and a few-tap
 * convolution's chunk module in its forward and filter-gradient forms (few-taps-conv-c.ts); its
 * input gradient stays WebAssembly (few-taps-input.ts).
 * Products the dot kernel computes (fewer than four columns), the im2col filter gradient's and the
 * other im2col chunk modules stay WebAssembly.
 */
import type { WasmConvKernel } from '../../../codegen/wasm/conv-kernel.js';
import type { WasmMatmulKernel } from '../../../codegen/wasm/matmul-kernel.js';
import type { RangeKernel } from '../../../codegen/wasm/range-kernel.js';
import type { ConvOp } from '../../../codegen/wasm/conv-plan.js';
import type { Node } from '../../../ir/node.js';
import { threadCount } from '../../threads/config.js';
import { bindMatmul } from '../../threads/parallel-matmul.js';
import type { ContractionFamily, ContractionKernel } from '../wasm/contraction.js';
import { convFamily } from '../wasm/conv.js';
import { emitWinogradC } from '../../../codegen/native/winograd-c.js';
import { emitWinogradFilterC } from '../../../codegen/native/winograd-filter-c.js';
import { nativeKernel, type NativeKernel } from './kernels.js';
import { emitFewTapsConvC, emitFewTapsFilterC } from '../../../codegen/native/few-taps-conv-c.js';
import { fewTapsConv, type FewTapsConv } from '../../../codegen/few-taps.js';
import type { MatmulFn } from '../../../codegen/wasm/matmul-kernel.js';
import type { Memory } from '../../memory.js';
import { nativeTwin, swapping, swappingRange } from './swap.js';

export interface NativeConvKernel extends ContractionKernel {
  readonly wasm: WasmConvKernel;
  /** A few-tap convolution's geometry, for its C twin (few-taps-conv-c.ts). */
  readonly fewTaps: FewTapsConv | undefined;
}

/** A product the hook binds is a plain matmul kernel (which has a C twin), or a whole range module. */
const isMatmulProduct = (k: RangeKernel): k is WasmMatmulKernel => 'tile' in k && 'accumulate' in k;

/** The hook binds products only for two threads or more; the scratch for two is one panel more. */
const HOOK_THREADS = 2;

export const nativeConvFamily: ContractionFamily<Node<ConvOp>, NativeConvKernel> = {
  anchor: convFamily.anchor,
  appliesInKernel: convFamily.appliesInKernel,
  compile(node, options) {
    const wasm = convFamily.compile(node, options);
    // Winograd kernels have twins of their own; a few-tap one would not take Winograd anyway.
    const fewTaps = wasm.winograd === undefined ? fewTapsConv(node) : undefined;
    return { name: wasm.name, shared: wasm.shared, wasm, fewTaps, wat: () => `${wasm.wat()}\n/* its matmul products run as C kernels once compiled */` };
  },
  threads: (kernel) => Math.max(HOOK_THREADS, convFamily.threads(kernel.wasm)),
  scratchBytes: (kernel, threads) => convFamily.scratchBytes(kernel.wasm, threads),
  bind(kernel, memory, scratchOffset, threads) {
    const wasmThreads = convFamily.threads(kernel.wasm);
    // A convolution runs its products chunk by chunk: each chunk is small, but the whole
    // convolution decides threads, as on the wasm tier.
    const cThreads = wasmThreads > 1 ? threadCount() : undefined;
    return kernel.wasm.instantiate(memory.wasm, scratchOffset, {
      threads,
      bind: (product, offset) => {
        // Bound (its module compiled) only if it runs before its C twin loads.
        const bindWasm = () => bindMatmul(product, memory, offset, wasmThreads);
        const spec = kernel.wasm.winograd;
        const { partials } = kernel.wasm;
        const ranges = (source: string) => swappingRange(bindWasm, nativeKernel(`${kernel.wasm.name}_c`, source), memory, cThreads ?? 1);
        // One partial sum per thread the wasm kernel was bound for, at its place in the scratch
        // (`offset`), so the caller's zeroing, summing and output transform serve both.
        const sums = (source: string) => filterTwin(bindWasm, nativeKernel(`${kernel.wasm.name}_c`, source), memory, cThreads ?? 1, offset);
        if (!isMatmulProduct(product)) {
          // Winograd's chunks have a C twin in all three forms, and so have few-tap convolutions'
          // im2col chunks (the image read in place); other im2col chunk modules stay wasm.
          if (spec !== undefined) {
            if (spec.op !== 'conv2dBackpropFilter') return ranges(emitWinogradC(spec, kernel.wasm.epilogue).source);
            return partials === undefined ? bindWasm() : sums(emitWinogradFilterC(spec, { panels: threads, ...partials }).source);
          }
          const g = kernel.fewTaps;
          // The input gradient's kernel (wasm/few-taps-input.ts) has no C twin.
          if (g === undefined || g.op === 'conv2dBackpropInput') return bindWasm();
          if (g.op === 'conv2d') return ranges(emitFewTapsConvC(g, kernel.wasm.epilogue));
          return partials === undefined ? bindWasm() : sums(emitFewTapsFilterC(g, { panels: threads, ...partials }));
        }
        // The filter gradient's products (C += over chunks of pixels) measured slower as C
        // kernels than as wasm ones (docs/ARCHITECTURE.md, "Decisions"): they stay wasm.
        return product.accumulate ? bindWasm() : swapping(bindWasm, nativeTwin(product), product, memory, cThreads);
      },
    });
  },
};

/**
 * A filter gradient's chunks until `twin` loads, then the twin summing into the partials at
 * `scratch`: the wasm call takes no scratch argument (its instances own theirs), the C one is
 * handed it where a product takes its bias.
 */
function filterTwin(bindWasm: () => MatmulFn, twin: NativeKernel, memory: Memory, threads: number, scratch: number): MatmulFn {
  const bindChunks = (): MatmulFn => {
    const chunks = bindWasm();
    return (c, a, b) => chunks(c, a, b, 0);
  };
  const swapped = swappingRange(bindChunks, twin, memory, threads);
  return (c, a, b) => swapped(c, a, b, scratch);
}
