/**
 * Flat elementwise kernels, multi-tensor groups and the bias gradient's sum on the native tier: the wasm tier's SIMD call,
 * replaced by its C twin (codegen/native/elementwise-c.ts) once that is compiled, as the matmuls
 * are (swap.ts). The C kernel takes the wasm kernel's offsets and units, so it splits over the
 * same threads. Groups C does not cover (random draws, transcendentals, slices and pads) keep
 * their wasm call.
 */
import { emitElementwiseC } from '../../../codegen/native/elementwise-c.js';
import { kernelBuffers } from '../../../codegen/kernel-identity.js';
import { matchFlatElementwise, type FlatElementwise } from '../../../codegen/wasm/elementwise-match.js';
import { kernelWork } from '../../../ir/cost.js';
import type { FusedKernel } from '../../../ir/fusion.js';
import { defaultSharedMemory } from '../../threads/config.js';
import { passThreads } from '../../threads/parallel-pass.js';
import type { Lowered, Lowering } from '../tier.js';
import { elementwiseLoweringOf, groupLoweringOf, poolLowering, simdPart, type SimdPartLowering } from '../wasm/simd-loop.js';
import { compileWasmPool, sumGroup } from '../../../codegen/wasm/pool-kernel.js';
import { emitSumC } from '../../../codegen/native/sum-c.js';
import { nativeKernel } from './kernels.js';
import { loweredWithTwin, nativeStats } from './swap.js';

/** The layouts of a flat kernel, or of every member of a group; undefined if one has none. */
function plansOf(k: FusedKernel): FlatElementwise[] | undefined {
  const members = k.kind === 'group' ? k.members ?? [] : [k];
  const plans: FlatElementwise[] = [];
  for (const m of members) {
    const plan = matchFlatElementwise(m, kernelBuffers(m));
    if (plan === undefined) return undefined;
    plans.push(plan);
  }
  return plans;
}

/** `wasm`'s call until `source` compiles, then the C twin's over the same offsets and units (`units`, for its threads). */
function withCTwin(k: FusedKernel, wasm: Lowered, source: string, units: number): Lowered {
  const threads = passThreads(kernelWork(k), units, defaultSharedMemory());
  return loweredWithTwin(wasm, nativeKernel(`${wasm.name}_c`, source), threads, (ctx) => wasm.buffers.map(ctx.byteOffset), () => { nativeStats.elementwiseCalls++; });
}

const nativePart: SimdPartLowering = (k) => {
  const wasm = simdPart(k);
  const plans = wasm === undefined ? undefined : plansOf(k);
  const c = plans === undefined ? undefined : emitElementwiseC(plans, wasm!.buffers);
  return wasm === undefined || c === undefined ? wasm : withCTwin(k, wasm, c.source, c.units);
};

/** The bias gradient's sum as C (sum-c.ts); max pooling and its gradient stay wasm. */
export const nativePoolLowering: Lowering = (k) => {
  const wasm = poolLowering(k);
  const kernel = wasm === undefined ? undefined : compileWasmPool(k);
  if (wasm === undefined || kernel === undefined || kernel.plan.kind !== 'sum') return wasm;
  const { rows, c } = kernel.plan;
  return withCTwin(k, wasm, emitSumC(rows, c, sumGroup(c)), kernel.units);
};

export const nativeElementwiseLowering = elementwiseLoweringOf(nativePart);
export const nativeGroupLowering = groupLoweringOf(nativePart);
