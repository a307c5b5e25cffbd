/**
 * Elementwise groups on the WebAssembly tier: flat float32 groups (optimizer updates, masks and
 * activations without broadcasting or random draws) run as a SIMD loop over the session memory;
 * the caller keeps every other group on JavaScript.
 */
import { compileWasmElementwise } from '../codegen/wasm/elementwise-kernel.js';
import type { FusedKernel } from '../ir/fusion.js';
import type { Lowered } from './lower.js';
import { defaultSharedMemory } from './threads/config.js';

/** The group as a WebAssembly SIMD call, or undefined when the SIMD loop does not apply. */
export function wasmElementwiseCall(k: FusedKernel): Lowered | undefined {
  const wasm = compileWasmElementwise(k);
  if (wasm === undefined) return undefined;
  return {
    // The text form is printed only when a dump asks for it, for the memory sessions get by default.
    kernel: k, name: wasm.name, get source() { return wasm.wat(defaultSharedMemory()); }, buffers: wasm.buffers, scratchBytes: 0,
    bind: ({ memory, byteOffset }) => ({
      run: wasm.instantiate(memory.wasm), takesViews: false, label: null,
      args: wasm.buffers.map(byteOffset),
    }),
  };
}
