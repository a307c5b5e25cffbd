/**
 * A multi-tensor kernel (ir/multi-tensor.ts) as one WebAssembly module: each member's SIMD loop
 * (elementwise-emit.ts) as an internal function, and one exported function that takes the
 * group's buffer offsets and calls the members in order with theirs. One call from JavaScript
 * runs every member; it serves only groups whose members all fit the SIMD loop. Its range is over
 * the members' units (elementwiseUnits: blocks, or rows for a member in row mode) laid end to
 * end, so threads share a group by size, not by member count.
 */
import type { FusedKernel } from '../../ir/fusion.js';
import { groupName, kernelBuffers, structuralKey } from '../kernel-identity.js';
import { FuncBuilder } from './builder.js';
import { elementwiseUnits, emitElementwiseModule } from './elementwise-emit.js';
import type { ElementwiseFn, WasmElementwiseKernel } from './elementwise-kernel.js';
import { matchFlatElementwise, type FlatElementwise } from './elementwise-match.js';
import type { WasmMemory } from './engine.js';
import { wasmFeatures } from './features.js';
import { envMemory, type WasmModule } from './module.js';
import { ModuleCache, moduleKey } from './module-cache.js';
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
  const key = moduleKey(name, structuralKey(k, buffers));
  const emit = (shared: boolean) => emitGroupModule(k, members, plans, name, shared);
  return {
    // The members' units one after another (emitGroupModule).
    name, buffers, units: plans.reduce((n, plan) => n + elementwiseUnits(plan), 0),
    module: (shared: boolean) => cache.get(key, shared, emit).module,
    wat: (shared = false) => printWat(cache.get(key, shared, emit).spec),
    instantiate: (memory: WasmMemory): ElementwiseFn => cache.instantiate<ElementwiseFn>(key, memory, emit, name),
  };
}

function emitGroupModule(k: FusedKernel, members: readonly FusedKernel[], plans: readonly FlatElementwise[], name: string, shared: boolean): WasmModule {
  const buffers = kernelBuffers(k);
  // Member i is function i; the dispatcher comes last.
  const funcs = plans.map((plan, i) => ({ ...emitElementwiseModule(plan, `${name}_${i}`, shared).funcs[0], exported: false }));
  const params = [...buffers.map((_, i) => ({ name: `o${i}`, type: 'i32' as const })), { name: 'r0', type: 'i32' as const }, { name: 'r1', type: 'i32' as const }];
  const f = new FuncBuilder(name, params);
  const [r0, r1] = [f.param(buffers.length), f.param(buffers.length + 1)];
  const lo = f.local('lo', 'i32'), hi = f.local('hi', 'i32');
  /** x = clamp(r - base, 0, blocks), signed. */
  const clamp = (x: typeof lo, r: typeof lo, base: number, blocks: number) => {
    f.get(r).i32(base).op('i32.sub').set(x);
    f.i32(0).get(x).get(x).i32(0).op('i32.lt_s').op('select').set(x);
    f.i32(blocks).get(x).get(x).i32(blocks).op('i32.gt_s').op('select').set(x);
  };
  let base = 0;
  members.forEach((m, i) => {
    const blocks = elementwiseUnits(plans[i]);
    // The group's units are its members' one after another: member i gets its part of [r0, r1).
    clamp(lo, r0, base, blocks);
    clamp(hi, r1, base, blocks);
    f.get(lo).get(hi).op('i32.lt_s');
    f.if(() => {
      for (const b of kernelBuffers(m)) f.get(f.param(buffers.indexOf(b)));
      f.get(lo).get(hi).op('call', i);
    });
    base += blocks;
  });
  return { memory: envMemory(shared), globals: [], funcs: [...funcs, f.func()] };
}
