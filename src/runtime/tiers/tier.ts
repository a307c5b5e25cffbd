/**
 * The one interface every kernel tier implements, and what a lowering produces. A tier is an
 * ordered list of lowerings; a fused kernel takes the first that accepts it, else the JavaScript
 * lowering, which accepts every kernel (index.ts lowerKernel; docs/ARCHITECTURE.md, "Tiers" and
 * "Adding a kernel tier").
 */
import type { KernelFn } from '../../codegen/kernel.js';
import type { FusedKernel } from '../../ir/fusion.js';
import type { Node } from '../../ir/node.js';
import type { TierChoice } from '../env.js';
import type { Memory } from '../memory.js';

/** One entry of a program's run loop. */
export interface Call {
  readonly run: KernelFn | ((...args: number[]) => void);
  readonly args: (Float32Array | Int32Array | Uint8Array | number)[];
  /** JavaScript kernels take the memory's views first; they are replaced when the memory grows. */
  readonly takesViews: boolean;
  /** The gather's layer name, to name the layer when an index is out of range. */
  readonly label: string | null;
}

export interface BindContext {
  readonly memory: Memory;
  byteOffset(n: Node): number;
  /** The program's scratch region (16-byte aligned), shared by its calls since they run one at a time. */
  readonly scratchOffset: number;
}

/** A fused kernel lowered to a tier, before memory offsets are known. */
export interface Lowered {
  readonly kernel: FusedKernel;
  readonly name: string;
  /** Generated JavaScript, or the WebAssembly module as text (plus its JS epilogue pass); printed only when a dump asks. */
  readonly source: string;
  readonly buffers: readonly Node[];
  readonly scratchBytes: number;
  bind(ctx: BindContext): Call;
}

/** Lowers a kernel the lowering covers; undefined hands it on to the next one. */
export type Lowering = (k: FusedKernel) => Lowered | undefined;

export interface KernelTier<Name extends string = string> extends TierChoice<Name> {
  /** Tried in order; a kernel none of them takes runs as generated JavaScript. */
  readonly lowerings: readonly Lowering[];
}
