/**
 * What one run of a fused kernel costs in work, for profiles: floating-point operations of a
 * contraction (a multiply and an add per term), and bytes moved through its buffers otherwise.
 * Profiles divide these by measured time to print GFLOP/s or GB/s.
 */
import type { FusedKernel } from './fusion.js';
import { bufferBytes } from './memory-plan.js';
import type { Node } from './node.js';
import { concrete, sizeOf } from './types.js';
import { OPS } from './optable.js';

const size = (n: Node): number => sizeOf(concrete(n.shape, 'cost'));

/** 2 × (output elements) × (terms summed per element) of a contraction; 0 for other kernels. */
export function kernelFlops(k: FusedKernel): number {
  if (k.kind !== 'contraction') return 0;
  const a = k.anchor;
  const [x, y] = a.inputs;
  if (a.op === 'matmul') {
    const r = x.shape.length;
    const transposeA = (a as Node<'matmul'>).attrs.transposeA;
    const inner = concrete(x.shape, 'cost')[transposeA ? r - 2 : r - 1];
    return 2 * size(a) * inner;
  }
  // Convolutions: every output element of the forward conv sums kh·kw·cin terms, and both
  // backprops compute the same products (over dy, whose size is the forward output's).
  const filter = concrete((a.op === 'conv2dBackpropFilter' ? a : y).shape, 'cost');
  const perOutput = filter[0] * filter[1] * filter[2];
  const forwardOut = a.op === 'conv2d' ? size(a) : size(a.op === 'conv2dBackpropInput' ? x : y);
  return 2 * forwardOut * perOutput;
}

/** Bytes the kernel reads and writes through buffers (each buffer counted once). */
export function kernelBytes(k: FusedKernel): number {
  let bytes = 0;
  for (const n of new Set([...k.inputs, ...k.outputs])) bytes += bufferBytes(n);
  return bytes;
}

/** The nodes a kernel computes: its anchor, epilogue, inline values and outputs (a group's members' too). */
function computedNodes(k: FusedKernel): Set<Node> {
  if (k.members !== undefined) return new Set(k.members.flatMap((m) => [...computedNodes(m)]));
  return new Set([k.anchor, ...k.epilogue, ...k.inline, ...k.outputs].filter((n) => !k.inputs.includes(n)));
}

/**
 * A pass's work in bytes-equivalent: the bytes it moves plus what its elements cost to compute
 * (OpRule.passCost: random draws and transcendentals cost a SIMD loop more than its loads and
 * stores do), so that a pass of few bytes but heavy arithmetic is split over threads as a pass
 * moving as many bytes would be.
 */
export function kernelWork(k: FusedKernel): number {
  let work = kernelBytes(k);
  for (const n of computedNodes(k)) work += (OPS[n.op].passCost ?? 0) * size(n);
  return work;
}
