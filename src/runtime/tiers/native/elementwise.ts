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
import type { Call, Lowered, Lowering } from '../tier.js';
import { elementwiseLoweringOf, groupLoweringOf, poolLowering, simdPart, type SimdPartLowering } from '../wasm/simd-loop.js';
import { compileWasmPool, sumGroup } from '../../../codegen/wasm/pool-kernel.js';
import { emitSumC } from '../../../codegen/native/sum-c.js';
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

/** `wasm`'s call until `source` compiles, then the C twin's over the same offsets and units (`units`, for its threads). */
function withCTwin(k: FusedKernel, wasm: Lowered, source: string, units: number): Lowered {
  const twin = nativeKernel(`${wasm.name}_c`, source);
  const threads = passThreads(kernelWork(k), units, defaultSharedMemory());
  // Fields copied one by one: spreading `wasm` would evaluate its `source` getter, printing the
  // module's text on every compile instead of only when a dump asks.
  return {
    kernel: wasm.kernel, name: wasm.name, buffers: wasm.buffers, scratchBytes: wasm.scratchBytes,
    get source() { return `${wasm.source}\n/* C twin, swapped in once compiled */\n${source}`; },
    bind: (ctx): Call => {
      const offsets = wasm.buffers.map(ctx.byteOffset);
      const via = nativeThreadsNow();
      // The wasm call is bound (its module compiled) only if it runs before the twin loads.
      let run = (): void => {
        const call = wasm.bind(ctx);
        run = () => { (call.run as (...args: unknown[]) => void).apply(undefined, call.args); };
        run();
      };
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
