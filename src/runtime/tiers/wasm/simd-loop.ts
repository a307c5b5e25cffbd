/**
 * Elementwise groups, max pooling, its gradient and the bias gradient's sum on the WebAssembly
 * tier, as one function over byte offsets of the session memory. Flat float32 elementwise groups
 * (optimizer updates, masks and activations without broadcasting or random draws) run as a SIMD
 * loop; pooling and the sum over every axis but the last are NHWC with four channels per f32x4
 * (codegen/wasm/pool-kernel.ts). Groups neither covers stay on JavaScript.
 */
import { compileWasmElementwise } from '../../../codegen/wasm/elementwise-kernel.js';
import { compileWasmPool } from '../../../codegen/wasm/pool-kernel.js';
import type { WasmMemory } from '../../../codegen/wasm/engine.js';
import type { FusedKernel } from '../../../ir/fusion.js';
import type { Node } from '../../../ir/node.js';
import { defaultSharedMemory } from '../../threads/config.js';
import type { Lowered, Lowering } from '../tier.js';

/** A compiled WebAssembly kernel that takes the byte offsets of `buffers` (then its scratch's, if any). */
interface BufferKernel {
  readonly name: string;
  readonly buffers: readonly Node[];
  readonly scratchBytes?: number;
  wat(shared?: boolean): string;
  instantiate(memory: WasmMemory): (...byteOffsets: number[]) => void;
}

function bufferCall(k: FusedKernel, wasm: BufferKernel | undefined): Lowered | undefined {
  if (wasm === undefined) return undefined;
  const scratchBytes = wasm.scratchBytes ?? 0;
  return {
    // The text form is printed only when a dump asks for it, for the memory sessions get by default.
    kernel: k, name: wasm.name, get source() { return wasm.wat(defaultSharedMemory()); }, buffers: wasm.buffers, scratchBytes,
    bind: ({ memory, byteOffset, scratchOffset }) => ({
      run: wasm.instantiate(memory.wasm), takesViews: false, label: null,
      args: [...wasm.buffers.map(byteOffset), ...(scratchBytes > 0 ? [scratchOffset] : [])],
    }),
  };
}

export const elementwiseLowering: Lowering = (k) => (k.kind === 'elementwise' ? bufferCall(k, compileWasmElementwise(k)) : undefined);

const pooling = (k: FusedKernel) => (k.kind === 'opaque' && (k.anchor.op === 'maxPool2d' || k.anchor.op === 'maxPool2dGrad')) || (k.kind === 'reduce' && k.anchor.op === 'sum');

export const poolLowering: Lowering = (k) => (pooling(k) ? bufferCall(k, compileWasmPool(k)) : undefined);
