/**
 * Compiled WebAssembly modules by kernel key and memory kind. A module's memory import says
 * whether the memory is shared, so each kind gets its own module; both are compiled once per key
 * and reused by every program and session.
 */
import { WebAssemblyApi as WA, type CompiledModule, type WasmMemory } from './engine.js';
import { encodeModule, type WasmModule } from './module.js';

export interface CachedModule {
  readonly spec: WasmModule;
  readonly module: CompiledModule;
}

/**
 * A module's key: its kernel's structure and name. The module exports its function under the
 * kernel's name, and kernels of one structure may differ in name (it follows the order their ops
 * were fused in: an optimizer step as a kernel of its own, or as a matmul's epilogue pass), so
 * the structure alone could hand a kernel a module whose export has another name.
 */
export const moduleKey = (name: string, structure: string): string => `${name};${structure}`;

export class ModuleCache {
  private readonly modules = new Map<string, CachedModule>();

  get size(): number {
    return this.modules.size;
  }

  /** The module of `key` for a shared or an own memory, emitted by `emit` the first time. */
  get(key: string, shared: boolean, emit: (shared: boolean) => WasmModule): CachedModule {
    const full = `${shared ? 'shared' : 'own'};${key}`;
    let c = this.modules.get(full);
    if (c === undefined) {
      const spec = emit(shared);
      c = { spec, module: new WA.Module(encodeModule(spec)) };
      this.modules.set(full, c);
    }
    return c;
  }

  /** The export `name` of a fresh instance over `memory`. */
  instantiate<F>(key: string, memory: WasmMemory, emit: (shared: boolean) => WasmModule, name: string): F {
    const c = this.get(key, memory.buffer instanceof SharedArrayBuffer, emit);
    return new WA.Instance(c.module, { env: { memory } }).exports[name] as F;
  }
}
