/**
 * Flat elementwise kernels and multi-tensor groups on the native tier: the wasm tier's SIMD call,
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
import type { Call, Lowered } from '../tier.js';
import { elementwiseLoweringOf, groupLoweringOf, simdPart, type SimdPartLowering } from '../wasm/simd-loop.js';
import { addonNow } from './addon.js';
import { nativeKernel } from './kernels.js';
import { nativeStats } from './swap.js';
import { nativeCall, nativeThreadsNow } from './threads.js';

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

const nativePart: SimdPartLowering = (k) => {
  const wasm = simdPart(k);
  const plans = wasm === undefined ? undefined : plansOf(k);
  const c = plans === undefined ? undefined : emitElementwiseC(plans, wasm!.buffers);
  if (wasm === undefined || c === undefined) return wasm;
  const twin = nativeKernel(`${wasm.name}_c`, c.source);
  const threads = passThreads(kernelWork(k), c.units, defaultSharedMemory());
  const lowered: Lowered = {
    ...wasm,
    get source() { return `${wasm.source}\n/* C twin, swapped in once compiled */\n${c.source}`; },
    bind: (ctx): Call => {
      const call = wasm.bind(ctx);
      const offsets = wasm.buffers.map(ctx.byteOffset);
      const via = nativeThreadsNow();
      let run = (): void => { (call.run as (...args: unknown[]) => void).apply(undefined, call.args); };
      twin.whenLoaded((index) => {
        const addon = addonNow();
        if (addon === undefined) return;
        const native = nativeCall(addon, index, ctx.memory, threads, via);
        run = () => {
          nativeStats.calls++;
          nativeStats.elementwiseCalls++;
          native(...offsets);
        };
      });
      return { run: () => run(), args: [], takesViews: false, label: null };
    },
  };
  return lowered;
};

export const nativeElementwiseLowering = elementwiseLoweringOf(nativePart);
export const nativeGroupLowering = groupLoweringOf(nativePart);
