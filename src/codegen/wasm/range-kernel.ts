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

/** The range kernel of a compiled module whose export `name` covers `panels` units. */
export function rangeKernel(name: string, module: CompiledModule, panels: number, scratchBytes: number, shared: boolean): RangeKernel {
  const instantiatePanels = (memory: WasmMemory, scratchOffset: number): PanelFn =>
    new WA.Instance(module, { env: { memory, scratch: scratchOffset } }).exports[name] as PanelFn;
  return {
    name, module, panels, scratchBytes, shared, instantiatePanels,
    instantiate(memory, scratchOffset): MatmulFn {
      const run = instantiatePanels(memory, scratchOffset);
      return (c, a, b, bias = 0) => run(c, a, b, bias, 0, panels);
    },
  };
}
