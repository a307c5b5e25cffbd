import { align16 } from '../../../codegen/align.js';
import { fusedEpiloguePass } from '../../../codegen/fused-kernel.js';
import { compileWasmElementwise } from '../../../codegen/wasm/elementwise-kernel.js';
import { kernelWork } from '../../../ir/cost.js';
import type { FusedKernel } from '../../../ir/fusion.js';
import { bufferBytes } from '../../../ir/memory-plan.js';
import type { Node } from '../../../ir/node.js';
import { bytesPerElement } from '../../buffers.js';
import type { Memory } from '../../memory.js';
import { defaultSharedMemory } from '../../threads/config.js';
import { bindPass, passThreads } from '../../threads/parallel-pass.js';
import type { Lowered } from '../tier.js';

/** A WebAssembly contraction bound to a memory and scratch: `(out, in0, in1)` in byte offsets. */
type ProductFn = (out: number, in0: number, in1: number) => void;

/** Binds a WebAssembly contraction to a memory and scratch. */
export type BindProduct = (memory: Memory, scratchOffset: number) => ProductFn;

/**
 * A contraction on the WebAssembly tier whose epilogue the wasm kernel cannot apply: the kernel
 * writes the raw product to scratch (after its own `kernelScratch` bytes), then the group's
 * epilogue runs as generated JavaScript over it. The product stays out of the outputs so an
 * in-place update still reads the variable's old value.
 */
export function productThenJsEpilogue(k: FusedKernel, kernelName: string, kernelText: () => string, kernelScratch: number, bind: BindProduct): Lowered {
  const node = k.anchor;
  const pass = fusedEpiloguePass(k);
  const own = align16(kernelScratch);
  return {
    kernel: k,
    name: `${kernelName}${pass.kernel.name.slice(Math.max(0, pass.kernel.name.indexOf('_epilogue')))}`,
    get source() { return `${kernelText()}\n${pass.kernel.source}`; },
    buffers: pass.buffers,
    scratchBytes: own + bufferBytes(node),
    bind: ({ memory, byteOffset, scratchOffset }) => {
      const product = bind(memory, scratchOffset);
      const [a, b] = [byteOffset(node.inputs[0]), byteOffset(node.inputs[1])];
      const rawByte = scratchOffset + own;
      // Views first, refreshed each run (the memory may have grown); no array is made per step.
      const args: (Float32Array | Int32Array | Uint8Array | number)[] = [memory.f32, memory.i32, memory.u8,
        ...pass.buffers.map((n) => byteOffset(n) / bytesPerElement(n.dtype)), rawByte / 4];
      const epilogue = pass.kernel.run as (...xs: unknown[]) => void;
      return {
        run: () => {
          product(rawByte, a, b);
          args[0] = memory.f32; args[1] = memory.i32; args[2] = memory.u8;
          epilogue.apply(undefined, args);
        },
        takesViews: false, label: null, args: [],
      };
    },
  };
}

/** A contraction's epilogue as an elementwise kernel reading the product (the anchor) as a buffer. */
export function epilogueGroup(k: FusedKernel): FusedKernel {
  const node = k.anchor;
  const computed = new Set<Node>([...k.epilogue, ...k.inline, ...k.outputs]);
  computed.delete(node);
  const read = new Set([...computed].flatMap((n) => n.inputs));
  return {
    kind: 'elementwise', anchor: k.outputs[0], epilogue: [], outputs: k.outputs,
    inline: new Set([...computed].filter((n) => !k.outputs.includes(n))),
    inputs: [node, ...k.inputs.filter((i) => i !== node && read.has(i))],
  };
}

/**
 * The same with the epilogue as an elementwise group over the raw product on the WebAssembly
 * SIMD loop, split over the worker pool when it is large (threads/parallel-pass.ts); undefined
 * when that loop cannot run it (broadcast operands such as a bias, other ops). The JavaScript
 * epilogue above runs on the calling thread.
 */
export function productThenSimdEpilogue(k: FusedKernel, kernelName: string, kernelText: () => string, kernelScratch: number, bind: BindProduct): Lowered | undefined {
  const node = k.anchor;
  const group = epilogueGroup(k);
  const simd = compileWasmElementwise(group);
  if (simd === undefined) return undefined;
  const own = align16(kernelScratch);
  const threads = passThreads(kernelWork(group), simd.units, defaultSharedMemory());
  const prefix = `fused_${node.shape.join('x')}`;
  return {
    // `fused_<shape>_<ops>_simd` after the contraction's name, without repeating the shape.
    kernel: k, name: `${kernelName}${simd.name.startsWith(prefix) ? simd.name.slice(prefix.length) : `_${simd.name}`}`,
    get source() { return `${kernelText()}\n${simd.wat()}`; },
    buffers: [...k.outputs, node.inputs[0], node.inputs[1], ...simd.buffers.filter((b) => b !== node && !k.outputs.includes(b))],
    scratchBytes: own + bufferBytes(node),
    bind: ({ memory, byteOffset, scratchOffset }) => {
      const product = bind(memory, scratchOffset);
      const rawByte = scratchOffset + own;
      const [a, b] = [byteOffset(node.inputs[0]), byteOffset(node.inputs[1])];
      const epilogue = bindPass(simd, memory, simd.buffers.map((n) => (n === node ? rawByte : byteOffset(n))), threads);
      const { run, args } = epilogue;
      return {
        run: () => {
          product(rawByte, a, b);
          run.apply(undefined, args);
        },
        takesViews: false, label: null, args: [],
      };
    },
  };
}
