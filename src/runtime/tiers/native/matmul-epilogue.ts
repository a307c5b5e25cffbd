/**
 * Matmuls whose flat epilogue the kernel does not apply itself, on the native tier: an
 * optimizer step fused into its weight gradient (ir/fusion.ts, mergeProductReaders), SGD's
 * update chain, a gradient's mask. Until the C twin loads, the WebAssembly tier's product and
 * its pass over the raw product; then one C kernel that runs the epilogue on each panel of the
 * product right after computing it (codegen/native/matmul-c.ts), so the variables' loads and
 * the step's square roots overlap the products instead of a pass of their own.
 */
import { emitEpilogueC } from '../../../codegen/native/elementwise-c.js';
import { emitMatmulC } from '../../../codegen/native/matmul-c.js';
import { kernelBuffers } from '../../../codegen/kernel-identity.js';
import { shapeOfMatmul } from '../../../codegen/matmul-shape.js';
import { matchNativeEpilogue } from '../../../codegen/wasm/epilogue-match.js';
import { matchFlatElementwise } from '../../../codegen/wasm/elementwise-match.js';
import { isGemvShape } from '../../../codegen/wasm/gemv-emit.js';
import { BUFFER_ALIGN, bufferBytes } from '../../../ir/memory-plan.js';
import { contractionLowering } from '../wasm/contraction.js';
import { matmulFamily } from '../wasm/matmul.js';
import { epilogueGroup } from '../wasm/product-pass.js';
import type { Lowering } from '../tier.js';
import { nativeKernel } from './kernels.js';
import { loweredWithTwin, nativeThreads } from './swap.js';

const wasmLowering = contractionLowering(matmulFamily);

export const nativeMatmulEpilogueLowering: Lowering = (k) => {
  const node = k.kind === 'contraction' ? matmulFamily.anchor(k) : undefined;
  if (node === undefined || k.epilogue.length === 0 || matchNativeEpilogue(k) !== undefined) return undefined;
  const s = shapeOfMatmul(node);
  if (isGemvShape(s)) return undefined;
  const group = epilogueGroup(k);
  const buffers = kernelBuffers(group);
  const plan = matchFlatElementwise(group, buffers);
  const epilogue = plan === undefined ? undefined : emitEpilogueC(plan, buffers);
  const wasm = epilogue === undefined ? undefined : wasmLowering(k);
  if (epilogue === undefined || wasm === undefined) return undefined;
  const twin = nativeKernel(`${wasm.name}_c`, emitMatmulC(s, { bias: false, relu: false, elementwise: epilogue }).source);
  // The raw product goes in the kernel's scratch (C needs none of the wasm kernel's packing space:
  // its packs are thread-local), on a cache line, as arena buffers are: the tile's rows of 64 bytes
  // split across two lines otherwise, on every k block's load and store.
  const rawAt = (scratchOffset: number) => Math.ceil(scratchOffset / BUFFER_ALIGN) * BUFFER_ALIGN;
  return loweredWithTwin(wasm, twin, nativeThreads(2 * s.batch * s.M * s.K * s.N), ({ byteOffset, scratchOffset }) => [
    rawAt(scratchOffset), byteOffset(node.inputs[0]), byteOffset(node.inputs[1]), 0,
    ...buffers.map((b) => (b === node ? rawAt(scratchOffset) : byteOffset(b))),
  ], () => undefined, Math.max(wasm.scratchBytes, bufferBytes(node) + BUFFER_ALIGN));
};
