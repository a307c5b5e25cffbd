/**
 * What the worker pool needs of a kernel to split it over threads: a compiled module whose export
 * `(a0, a1, a2, a3, p0, p1)` computes units [p0, p1) of the work (a matmul's column panels, a
 * Winograd convolution's chunks of tiles) with its own scratch (`env.scratch`) and no state shared
 * with the other units.
 */
import { WebAssemblyApi as WA, type CompiledModule, type WasmMemory } from './engine.js';
import type { MatmulFn, PanelFn } from './matmul-kernel.js';

export interface RangeKernel {
  /** The export's name. */
  readonly name: string;
  readonly module: CompiledModule;
  /** Units [0, units) of the whole call. */
  readonly panels: number;
  /** Bytes of scratch each instance needs. */
  readonly scratchBytes: number;
  /** Its module imports the memory as shared. */
  readonly shared: boolean;
  /** The whole call on the calling thread. */
  instantiate(memory: WasmMemory, scratchOffset: number): MatmulFn;
  instantiatePanels(memory: WasmMemory, scratchOffset: number): PanelFn;
}

/**
 * The range kernel of a module whose export `name` covers `panels` units. `module` may be a
 * function compiling it: then it is compiled on first use (a native twin that loads from its
 * cache at once leaves it never compiled).
 */
export function rangeKernel(name: string, module: CompiledModule | (() => CompiledModule), panels: number, scratchBytes: number, shared: boolean): RangeKernel {
  let compiled = typeof module === 'function' ? undefined : module;
  const moduleNow = (): CompiledModule => (compiled ??= (module as () => CompiledModule)());
  const instantiatePanels = (memory: WasmMemory, scratchOffset: number): PanelFn =>
    new WA.Instance(moduleNow(), { env: { memory, scratch: scratchOffset } }).exports[name] as PanelFn;
  return {
    name, get module() { return moduleNow(); }, panels, scratchBytes, shared, instantiatePanels,
    instantiate(memory, scratchOffset): MatmulFn {
      const run = instantiatePanels(memory, scratchOffset);
      return (c, a, b, bias = 0) => run(c, a, b, bias, 0, panels);
    },
  };
}
