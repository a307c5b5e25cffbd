/**
 * A WebAssembly kernel that computes any range of its work: its export takes its arguments (byte
 * offsets of its buffers, then any scratch offset), then a range [r0, r1) of its `units`. Ranges
 * write disjoint memory and each element is computed the same way whichever range holds it, so
 * the worker pool can split one call over threads with results identical to one thread's.
 */
import type { CompiledModule, WasmMemory } from './engine.js';

export type RangedFn = (...args: number[]) => void;

export interface RangedKernel {
  /** Also the export's name. */
  readonly name: string;
  /** The range [0, units) is the whole call. */
  readonly units: number;
  /**
   * Every range reads a strided slice of the whole input (the sum's channel groups), so each
   * thread gets one range: more ranges than threads would mean more passes over the input.
   */
  readonly oneRangePerThread?: boolean;
  /** The compiled module for a shared memory or an own one, for the pool's workers. */
  module(shared: boolean): CompiledModule;
  instantiate(memory: WasmMemory): RangedFn;
}
