import { fusedKernel } from '../codegen/fused-kernel.js';
import type { KernelFn } from '../codegen/kernel.js';
import { matchNativeEpilogue } from '../codegen/wasm/epilogue-match.js';
import { compileWasmMatmul } from '../codegen/wasm/matmul-kernel.js';
import type { FusedKernel } from '../ir/fusion.js';
import type { Node } from '../ir/node.js';
import { bytesPerElement } from './buffers.js';
import type { Memory } from './memory.js';
import { productThenJsEpilogue, productThenSimdEpilogue } from './product-pass.js';
import { wasmElementwiseCall } from './lower-elementwise.js';
import { isConvKernel, wasmConvCall } from './lower-conv.js';
import { wasmPoolCall } from './lower-pool.js';
import { defaultSharedMemory } from './threads/config.js';
import { bindMatmul, matmulThreads } from './threads/parallel-matmul.js';

export type Tier = 'js' | 'wasm';

/** One entry of a program's run loop. */
export interface Call {
  readonly run: KernelFn | ((...args: number[]) => void);
  readonly args: (Float32Array | Int32Array | Uint8Array | number)[];
  /** JavaScript kernels take the memory's views first; they are replaced when the memory grows. */
  readonly takesViews: boolean;
  /** The gather's layer name, to name the layer when an index is out of range. */
  readonly label: string | null;
}

export interface BindContext {
  readonly memory: Memory;
  byteOffset(n: Node): number;
  /** The program's scratch region (16-byte aligned), shared by its calls since they run one at a time. */
  readonly scratchOffset: number;
}

/** A fused kernel lowered to a tier, before memory offsets are known. */
export interface Lowered {
  readonly kernel: FusedKernel;
  readonly name: string;
  /** Generated JavaScript, or the WebAssembly module as text (plus its JS epilogue pass); printed only when a dump asks. */
  readonly source: string;
  readonly buffers: readonly Node[];
  readonly scratchBytes: number;
  bind(ctx: BindContext): Call;
}

const align16 = (n: number) => Math.ceil(n / 16) * 16;

function labelOf(k: FusedKernel): string | null {
  return k.anchor.op === 'gather' ? (k.anchor as Node<'gather'>).attrs.label : k.anchor.op === 'scatterAdd' ? 'scatterAdd' : null;
}

function jsCall(k: FusedKernel): Lowered {
  const { kernel, buffers } = fusedKernel(k);
  return {
    kernel: k, name: kernel.name, source: kernel.source, buffers, scratchBytes: 0,
    bind: ({ memory, byteOffset }) => ({
      run: kernel.run, takesViews: true, label: labelOf(k),
      args: [memory.f32, memory.i32, memory.u8, ...buffers.map((b) => byteOffset(b) / bytesPerElement(b.dtype))],
    }),
  };
}

/**
 * A matmul on the WebAssembly SIMD tier. Bias and relu epilogues run inside the wasm kernel;
 * any other epilogue runs as a JavaScript pass over the raw product, kept in scratch so an
 * in-place variable update still reads the variable's old value. Large products run on the
 * worker pool, one scratch panel per thread.
 */
function wasmMatmulCall(k: FusedKernel): Lowered {
  const node = k.anchor as Node<'matmul'>;
  const native = matchNativeEpilogue(k);
  const options = native !== undefined ? { epilogue: native.epilogue } : {};
  const wasm = compileWasmMatmul(node, { ...options, shared: defaultSharedMemory() });
  const threads = matmulThreads(wasm);
  // A module imports its memory as shared or not: a session that chose otherwise gets its own compile.
  const bound = (memory: Memory, scratchOffset: number) =>
    bindMatmul(memory.shared === wasm.shared ? wasm : compileWasmMatmul(node, { ...options, shared: memory.shared }), memory, scratchOffset, threads);
  // One packed B panel per thread.
  const panel = align16(wasm.scratchBytes) * threads;
  if (native !== undefined) {
    const operands = [k.outputs[0], node.inputs[0], node.inputs[1], ...(native.bias !== undefined ? [native.bias] : [])];
    return {
      kernel: k, name: wasm.name, get source() { return wasm.wat(); }, buffers: operands, scratchBytes: panel,
      bind: ({ memory, byteOffset, scratchOffset }) => ({
        run: bound(memory, scratchOffset), takesViews: false, label: null,
        args: operands.map(byteOffset),
      }),
    };
  }
  return productThenSimdEpilogue(k, wasm.name, () => wasm.wat(), panel, bound) ?? productThenJsEpilogue(k, wasm.name, () => wasm.wat(), panel, bound);
}

export function lowerKernel(k: FusedKernel, tier: Tier): Lowered {
  if (tier === 'wasm' && k.kind === 'contraction' && k.anchor.op === 'matmul') return wasmMatmulCall(k);
  if (tier === 'wasm' && isConvKernel(k)) return wasmConvCall(k);
  if (tier === 'wasm' && k.kind === 'elementwise') return wasmElementwiseCall(k) ?? jsCall(k);
  if (tier === 'wasm' && (k.kind === 'opaque' || k.kind === 'reduce')) return wasmPoolCall(k) ?? jsCall(k);
  return jsCall(k);
}
