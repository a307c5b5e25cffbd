/**
 * A byte copy within a session memory as WebAssembly's `memory.copy`: the engine's memmove.
 * Typed-array `copyWithin` over a SharedArrayBuffer moves data with relaxed atomics, several
 * times slower (bench/scan-copies.ts measures both); a scan step's slices in and results out are
 * such copies. One function per memory, made on first use.
 */
import { FuncBuilder } from './builder.js';
import type { WasmMemory } from './engine.js';
import { envMemory } from './module.js';
import { ModuleCache } from './module-cache.js';

/** Copies `bytes` bytes from `from` to `to` (the ranges may overlap, as memmove's). */
export type MemoryCopy = (to: number, from: number, bytes: number) => void;

const cache = new ModuleCache();
const copies = new WeakMap<WasmMemory, MemoryCopy>();

function emit(shared: boolean) {
  const f = new FuncBuilder('copy', [{ name: 'to', type: 'i32' }, { name: 'from', type: 'i32' }, { name: 'bytes', type: 'i32' }]);
  f.get(f.param(0)).get(f.param(1)).get(f.param(2)).op('memory.copy', 0, 0);
  return { memory: envMemory(shared), globals: [], funcs: [f.func()] };
}

/** The copy over `memory`. */
export function memoryCopy(memory: WasmMemory): MemoryCopy {
  let copy = copies.get(memory);
  if (copy === undefined) {
    copy = cache.instantiate<MemoryCopy>('memory.copy', memory, emit, 'copy');
    copies.set(memory, copy);
  }
  return copy;
}
