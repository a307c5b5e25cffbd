import type { OpAttrs, OpName } from '../attrs.js';
import type * as Build from '../build.js';
import type { Node } from '../node.js';
import type { ConcreteShape, DType, Shape } from '../types.js';

/**
 * How a primitive may be fused (docs/ARCHITECTURE.md, "Fusion kinds"):
 * - source: a buffer from outside the program (inputs, variables)
 * - generator: computed from its index alone (constants, iota, random numbers); inlined wherever used
 * - elementwise: one output element from the same-index elements of its inputs; fuses into loops
 * - movement: re-indexes its input (reshape, transpose, broadcast, slice, pad, concatenate); fuses as index arithmetic
 * - reduce: folds axes; absorbs elementwise producers and consumers
 * - contraction: matmul and convolutions; absorb an elementwise epilogue
 * - opaque: its own kernel (pooling, gather, scatter-add)
 * - loop: a scan, whose body is compiled once as a program of its own and run once per step
 */
export type FusionKind = 'source' | 'generator' | 'elementwise' | 'movement' | 'reduce' | 'contraction' | 'opaque' | 'loop';

/** A float64 tensor of the reference interpreter; int32 and bool values are held as numbers too. */
export interface RefTensor {
  readonly shape: ConcreteShape;
  readonly data: Float64Array;
}

/** What the reference interpreter supplies to the ops that read state outside the graph. */
export interface RefContext {
  source(node: Node<'input'> | Node<'variable'>): RefTensor;
}

export type Builder = typeof Build;

export interface OpRule<K extends OpName, Kind extends FusionKind = FusionKind> {
  readonly arity: number | 'variadic';
  readonly kind: Kind;
  /**
   * Worth storing rather than recomputing in each consumer (transcendentals, division, random
   * draws that hash per element, movement ops with per-element branches). Default false.
   */
  readonly expensive?: boolean;
  /**
   * What computing one element costs a WebAssembly SIMD pass, in bytes: the bytes a memory-bound
   * pass moves in the same time on one thread (bench/passes.ts measures both). A pass's work is its
   * bytes plus these, and decides whether it is worth splitting over threads. Default 0 (arithmetic
   * that hides behind the loads and stores).
   */
  readonly passCost?: number;
  /** Attributes the dumps do not print: shown by the type annotation or the header's label. */
  readonly hiddenAttrs?: readonly (keyof OpAttrs[K] & string)[];
  /**
   * Its value at an element depends on the element's coordinates, not its flat index alone, so a
   * flat loop cannot compute it. True of every movement op by its kind; set for other ops.
   */
  readonly coordinates?: boolean;
  /** An elementwise comparison: two operands of one dtype, a bool result. */
  readonly compares?: boolean;
  /**
   * Constant folding when inputs are fills: given each input's fill value (undefined where the
   * input is not a fill), the output's single value, or undefined when it is not one value.
   * Elementwise ops need none: simplify folds them through `ref`.
   */
  foldFills?(values: readonly (number | undefined)[], node: Node<K>): number | undefined;
  shape(inputs: readonly Node[], attrs: OpAttrs[K]): Shape;
  dtype(inputs: readonly Node[], attrs: OpAttrs[K]): DType;
  /**
   * The vector-Jacobian product: given the cotangent `g` of this node's output, the cotangent of
   * each input (null where the input is not differentiable, e.g. integer indices).
   */
  vjp(g: Node, node: Node<K>, b: Builder): readonly (Node | null)[];
  /** The definition of the op, in float64. Inputs have concrete shapes. */
  ref(inputs: readonly RefTensor[], node: Node<K>, ctx: RefContext): RefTensor;
}

/** Records of the ops `Names`, all of fusion kind `Kind` (so the op table's type says each op's kind). */
export type RuleTable<Names extends OpName, Kind extends FusionKind = FusionKind> = { readonly [K in Names]: OpRule<K, Kind> };
