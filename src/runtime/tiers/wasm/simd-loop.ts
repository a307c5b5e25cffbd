/**
 * Elementwise groups, row kernels (reductions over the last axis), max pooling, its gradient and
 * the bias gradient's sum on the WebAssembly tier, as one function over byte offsets of the
 * session memory. Flat float32 elementwise groups
 * (optimizer updates, masks and activations without broadcasting or random draws) run as a SIMD
 * loop; pooling and the sum over every axis but the last are NHWC with four channels per f32x4
 * (codegen/wasm/pool-kernel.ts). Groups neither covers stay on JavaScript.
 */
import { groupName, kernelBuffers } from '../../../codegen/kernel-identity.js';
import { compileWasmElementwise } from '../../../codegen/wasm/elementwise-kernel.js';
import { compileWasmGroup } from '../../../codegen/wasm/group-kernel.js';
import { compileWasmPool } from '../../../codegen/wasm/pool-kernel.js';
import { compileWasmRows } from '../../../codegen/wasm/row-kernel.js';
import type { RangedKernel } from '../../../codegen/wasm/ranged-kernel.js';
import { kernelWork } from '../../../ir/cost.js';
import type { FusedKernel } from '../../../ir/fusion.js';
import { groupOf } from '../../../ir/multi-tensor.js';
import type { Node } from '../../../ir/node.js';
import { jsLowering } from '../js/lowering.js';
import { defaultSharedMemory } from '../../threads/config.js';
import { bindPass, passThreads } from '../../threads/parallel-pass.js';
import type { BindContext, Call, Lowered, Lowering } from '../tier.js';

/** A compiled WebAssembly kernel that takes the byte offsets of `buffers` (then its scratch's, if any), then a range. */
interface BufferKernel extends RangedKernel {
  readonly buffers: readonly Node[];
  readonly scratchBytes?: number;
  wat(shared?: boolean): string;
}

function bufferCall(k: FusedKernel, wasm: BufferKernel | undefined): Lowered | undefined {
  if (wasm === undefined) return undefined;
  const scratchBytes = wasm.scratchBytes ?? 0;
  const threads = passThreads(kernelWork(k), wasm.units, defaultSharedMemory());
  return {
    // The text form is printed only when a dump asks for it, for the memory sessions get by default.
    kernel: k, name: wasm.name, get source() { return wasm.wat(defaultSharedMemory()); }, buffers: wasm.buffers, scratchBytes,
    bind: ({ memory, byteOffset, scratchOffset }) => ({
      ...bindPass(wasm, memory, [...wasm.buffers.map(byteOffset), ...(scratchBytes > 0 ? [scratchOffset] : [])], threads),
      takesViews: false, label: null,
    }),
  };
}

/**
 * A flat elementwise kernel, or a group whose members all fit the SIMD loop, as one SIMD call:
 * the parts a multi-tensor kernel is lowered to (`groupLoweringOf`). Other tiers wrap it (the
 * native tier swaps in C once compiled).
 */
export type SimdPartLowering = (k: FusedKernel) => Lowered | undefined;

export const simdPart: SimdPartLowering = (k) =>
  k.kind === 'elementwise' ? bufferCall(k, compileWasmElementwise(k))
  : k.kind === 'group' && k.members !== undefined ? bufferCall(k, compileWasmGroup(k)) : undefined;

export const elementwiseLoweringOf = (part: SimdPartLowering): Lowering => (k) => (k.kind === 'elementwise' ? part(k) : undefined);

const pooling = (k: FusedKernel) => (k.kind === 'opaque' && (k.anchor.op === 'maxPool2d' || k.anchor.op === 'maxPool2dGrad')) || (k.kind === 'reduce' && k.anchor.op === 'sum');

export const poolLowering: Lowering = (k) => (pooling(k) ? bufferCall(k, compileWasmPool(k)) : undefined);

/**
 * Row kernels (reductions over the last axis with their stages, codegen/wasm/row-match.ts) as a
 * SIMD loop per row, split over threads by rows; also elementwise groups the flat loop declined
 * because they broadcast row values along the last axis (it comes after elementwiseLowering). A
 * group the row loop cannot express (another axis, a random draw, a broadcast other than along
 * the row, int32 values) declines here and runs as its JavaScript kernel.
 */
export const rowLowering: Lowering = (k) => (k.kind === 'reduce' || k.kind === 'elementwise' ? bufferCall(k, compileWasmRows(k)) : undefined);

/**
 * A multi-tensor kernel: one call when every member fits the SIMD loop; else its SIMD members
 * as one call and the rest as one JavaScript kernel, run by one call (the members touch
 * disjoint memory, so regrouping them keeps what each computes). Declines when no member fits:
 * the JavaScript lowering then runs the whole group as one function. `part` lowers the SIMD
 * calls.
 */
export const groupLoweringOf = (part: SimdPartLowering): Lowering => (k) => {
  if (k.kind !== 'group' || k.members === undefined) return undefined;
  const whole = part(k);
  if (whole !== undefined) return whole;
  const simd = k.members.filter((m) => compileWasmElementwise(m) !== undefined);
  if (simd.length === 0) return undefined;
  const rest = k.members.filter((m) => !simd.includes(m));
  const piece = (ms: readonly FusedKernel[]) => (ms.length === 1 ? ms[0] : groupOf(ms));
  const wasm = part(piece(simd));
  if (wasm === undefined) return undefined;
  return composite(k, [wasm, jsLowering(piece(rest))]);
};

export const elementwiseLowering = elementwiseLoweringOf(simdPart);
export const groupLowering = groupLoweringOf(simdPart);

/** Several lowered parts as one call; it takes the memory's views, and hands them to the parts that take them. */
function composite(k: FusedKernel, parts: readonly Lowered[]): Lowered {
  return {
    kernel: k, name: `${groupName(k)}_simd_js`, buffers: kernelBuffers(k),
    get source() { return parts.map((p) => p.source).join('\n'); },
    scratchBytes: Math.max(0, ...parts.map((p) => p.scratchBytes)),
    bind: (ctx: BindContext): Call => {
      const calls = parts.map((p) => p.bind(ctx));
      const { memory } = ctx;
      const run = (f32: Float32Array, i32: Int32Array, u8: Uint8Array): void => {
        for (const c of calls) {
          if (c.takesViews) { c.args[0] = f32; c.args[1] = i32; c.args[2] = u8; }
          (c.run as (...args: unknown[]) => void).apply(undefined, c.args);
        }
      };
      return { run, takesViews: true, label: null, args: [memory.f32, memory.i32, memory.u8] };
    },
  };
}
