/**
 * A multi-tensor kernel (ir/multi-tensor.ts) as one WebAssembly module: each member's SIMD loop
 * (elementwise-emit.ts) as an internal function, and one exported function that takes the
 * group's buffer offsets and calls the members in order with theirs. One call from JavaScript
 * runs every member; it serves only groups whose members all fit the SIMD loop.
 */
import type { FusedKernel } from '../../ir/fusion.js';
import { groupName, kernelBuffers, structuralKey } from '../kernel-identity.js';
import { FuncBuilder } from './builder.js';
import { emitElementwiseModule } from './elementwise-emit.js';
import type { ElementwiseFn, WasmElementwiseKernel } from './elementwise-kernel.js';
import { matchFlatElementwise, type FlatElementwise } from './elementwise-match.js';
import type { WasmMemory } from './engine.js';
import { wasmFeatures } from './features.js';
import { envMemory, type WasmModule } from './module.js';
import { ModuleCache } from './module-cache.js';
import { printWat } from './wat.js';

const cache = new ModuleCache();

/** The group's module, or undefined when a member is not one the SIMD loop runs. */
export function compileWasmGroup(k: FusedKernel): WasmElementwiseKernel | undefined {
  const members = k.members;
  if (!wasmFeatures().simd || k.kind !== 'group' || members === undefined) return undefined;
  const plans: FlatElementwise[] = [];
  for (const m of members) {
    const plan = matchFlatElementwise(m, kernelBuffers(m));
    if (plan === undefined) return undefined;
    plans.push(plan);
  }
  const buffers = kernelBuffers(k);
  const name = `${groupName(k)}_simd`;
  const key = structuralKey(k, buffers);
  const emit = (shared: boolean) => emitGroupModule(k, members, plans, name, shared);
  return {
    name, buffers,
    wat: (shared = false) => printWat(cache.get(key, shared, emit).spec),
    instantiate: (memory: WasmMemory): ElementwiseFn => cache.instantiate<ElementwiseFn>(key, memory, emit, name),
  };
}

function emitGroupModule(k: FusedKernel, members: readonly FusedKernel[], plans: readonly FlatElementwise[], name: string, shared: boolean): WasmModule {
  const buffers = kernelBuffers(k);
  // Member i is function i; the dispatcher comes last.
  const funcs = plans.map((plan, i) => ({ ...emitElementwiseModule(plan, `${name}_${i}`, shared).funcs[0], exported: false }));
  const f = new FuncBuilder(name, buffers.map((_, i) => ({ name: `o${i}`, type: 'i32' as const })));
  members.forEach((m, i) => {
    for (const b of kernelBuffers(m)) f.get(f.param(buffers.indexOf(b)));
    f.op('call', i);
  });
  return { memory: envMemory(shared), globals: [], funcs: [...funcs, f.func()] };
}
