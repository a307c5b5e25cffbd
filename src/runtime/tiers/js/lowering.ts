/** The JavaScript lowering: every fused kernel as one generated function over the memory's views. */
import { fusedKernel } from '../../../codegen/fused-kernel.js';
import type { FusedKernel } from '../../../ir/fusion.js';
import type { Node } from '../../../ir/node.js';
import { bytesPerElement } from '../../buffers.js';
import type { Lowered } from '../tier.js';

function labelOf(k: FusedKernel): string | null {
  return k.anchor.op === 'gather' ? (k.anchor as Node<'gather'>).attrs.label : k.anchor.op === 'scatterAdd' ? 'scatterAdd' : null;
}

export function jsLowering(k: FusedKernel): Lowered {
  const { kernel, buffers } = fusedKernel(k);
  return {
    kernel: k, name: kernel.name, source: kernel.source, buffers, scratchBytes: 0,
    bind: ({ memory, byteOffset }) => ({
      run: kernel.run, takesViews: true, label: labelOf(k),
      args: [memory.f32, memory.i32, memory.u8, ...buffers.map((b) => byteOffset(b) / bytesPerElement(b.dtype))],
    }),
  };
}
