/**
 * Compiles flat elementwise groups to WebAssembly SIMD and instantiates them over a caller's
 * memory. A compiled module depends on the group's structure and shapes only (buffers by
 * position, as the JavaScript tier's cache key), so it is cached and shared by every program
 * with that group; an instance binds one memory.
 *
 * Kernel signature: one byte offset per buffer, outputs then inputs (as `kernelBuffers`), then a
 * range of blocks (ranged-kernel.ts), [0, units) for the whole group.
 */
import type { FusedKernel } from '../../ir/fusion.js';
import type { Node } from '../../ir/node.js';
import { elementwiseName, kernelBuffers, structuralKey } from '../kernel-identity.js';
import { elementwiseUnits, emitElementwiseModule } from './elementwise-emit.js';
import { matchFlatElementwise, type FlatElementwise } from './elementwise-match.js';
import type { WasmMemory } from './engine.js';
import { wasmFeatures } from './features.js';
import { ModuleCache, moduleKey } from './module-cache.js';
import type { RangedFn, RangedKernel } from './ranged-kernel.js';
import { printWat } from './wat.js';

export type ElementwiseFn = RangedFn;

export interface WasmElementwiseKernel extends RangedKernel {
  /** Readable, e.g. `fused_784x512_multiply_divide_sqrt_add_simd`; also the export's name. */
  readonly name: string;
  /** Outputs then inputs, the order the function takes their byte offsets in. */
  readonly buffers: readonly Node[];
  /** The module in text form, for dumps, as compiled for a shared memory or (by default) an unshared one. */
  wat(shared?: boolean): string;
  instantiate(memory: WasmMemory): ElementwiseFn;
}

const cache = new ModuleCache();

export function wasmElementwiseCacheSize(): number {
  return cache.size;
}

/**
 * The group's SIMD kernel, or undefined when the group is not one the SIMD loop runs (it then
 * stays on the JavaScript tier).
 */
export function compileWasmElementwise(k: FusedKernel): WasmElementwiseKernel | undefined {
  if (!wasmFeatures().simd) return undefined;
  const buffers = kernelBuffers(k);
  const plan = matchFlatElementwise(k, buffers);
  if (plan === undefined) return undefined;
  const name = `${elementwiseName(k, plan.outputs[0].shape)}_simd`;
  const key = moduleKey(name, structuralKey(k, buffers));
  const emit = (shared: boolean) => emitElementwiseModule(plan, name, shared);
  return {
    name, buffers, units: elementwiseUnits(plan),
    module: (shared: boolean) => cache.get(key, shared, emit).module,
    wat: (shared = false) => printWat(cache.get(key, shared, emit).spec),
    instantiate: (memory: WasmMemory): ElementwiseFn => cache.instantiate<ElementwiseFn>(key, memory, emit, name),
  };
}
