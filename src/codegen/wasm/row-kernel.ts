/**
 * Compiles row kernels (fused reductions over the last axis, with their map stages and row
 * epilogues, and elementwise groups broadcasting row values along the last axis; row-match.ts) to WebAssembly SIMD and instantiates them over a caller's memory. A
 * compiled module depends on the group's structure and shapes only, so it is cached and shared
 * by every program with that group; an instance binds one memory.
 *
 * Kernel signature: one byte offset per buffer, outputs then inputs (as `kernelBuffers`), then a
 * range of rows (ranged-kernel.ts), [0, rows) for the whole group.
 */
import type { FusedKernel } from '../../ir/fusion.js';
import type { Node } from '../../ir/node.js';
import { elementwiseName, kernelBuffers, reduceName, structuralKey } from '../kernel-identity.js';
import type { WasmMemory } from './engine.js';
import { wasmFeatures } from './features.js';
import { ModuleCache, moduleKey } from './module-cache.js';
import type { RangedFn, RangedKernel } from './ranged-kernel.js';
import { emitRowModule } from './row-emit.js';
import { matchRowKernel } from './row-match.js';
import { printWat } from './wat.js';

export interface WasmRowKernel extends RangedKernel {
  /** Readable, e.g. `max_128x10_axis1_subtract_exp_simd`; also the export's name. */
  readonly name: string;
  /** Outputs then inputs, the order the function takes their byte offsets in. */
  readonly buffers: readonly Node[];
  /** The module in text form, for dumps, as compiled for a shared memory or (by default) an unshared one. */
  wat(shared?: boolean): string;
  instantiate(memory: WasmMemory): RangedFn;
}

const cache = new ModuleCache();

/**
 * The group's SIMD row kernel, or undefined when the group is not one the row loop runs (it then
 * stays on the JavaScript tier).
 */
export function compileWasmRows(k: FusedKernel): WasmRowKernel | undefined {
  if (!wasmFeatures().simd) return undefined;
  const buffers = kernelBuffers(k);
  const plan = matchRowKernel(k, buffers);
  if (plan === undefined) return undefined;
  const name = `${k.kind === 'reduce' ? reduceName(k) : elementwiseName(k, k.outputs[0].shape)}_simd`;
  const key = moduleKey(name, structuralKey(k, buffers));
  const emit = (shared: boolean) => emitRowModule(plan, name, shared);
  return {
    name, buffers, units: plan.rows,
    module: (shared: boolean) => cache.get(key, shared, emit).module,
    wat: (shared = false) => printWat(cache.get(key, shared, emit).spec),
    instantiate: (memory: WasmMemory): RangedFn => cache.instantiate<RangedFn>(key, memory, emit, name),
  };
}
