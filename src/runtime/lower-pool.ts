/**
 * Max pooling, its gradient and the bias gradient's sum over every axis but the last on the
 * WebAssembly tier (see codegen/wasm/pool-kernel.ts): NHWC with four channels per f32x4; groups
 * it does not cover (C % 4 != 0, fused producers or epilogues) stay on JavaScript.
 */
import { compileWasmPool } from '../codegen/wasm/pool-kernel.js';
import type { FusedKernel } from '../ir/fusion.js';
import type { Lowered } from './lower.js';
import { defaultSharedMemory } from './threads/config.js';

/** The group as a WebAssembly SIMD pooling or row-sum call, or undefined when it is not one. */
export function wasmPoolCall(k: FusedKernel): Lowered | undefined {
  if (!((k.kind === 'opaque' && (k.anchor.op === 'maxPool2d' || k.anchor.op === 'maxPool2dGrad')) || (k.kind === 'reduce' && k.anchor.op === 'sum'))) return undefined;
  const wasm = compileWasmPool(k);
  if (wasm === undefined) return undefined;
  const scratch = wasm.scratchBytes > 0;
  return {
    kernel: k, name: wasm.name, get source() { return wasm.wat(defaultSharedMemory()); }, buffers: wasm.buffers, scratchBytes: wasm.scratchBytes,
    bind: ({ memory, byteOffset, scratchOffset }) => ({
      run: wasm.instantiate(memory.wasm), takesViews: false, label: null,
      args: [...wasm.buffers.map(byteOffset), ...(scratch ? [scratchOffset] : [])],
    }),
  };
}
