/**
 * Decides whether a fused elementwise group can run as a WebAssembly SIMD loop, and if so lays
 * it out for the emitter. The SIMD loop reads every buffer at the element it writes, four lanes
 * at a time, so it serves "flat" groups only: every value has the output's element count or holds
 * one element (a broadcast scalar). An elementwise op's operand with as many elements as its
 * result differs from it by unit axes only, and a reshape keeps row-major order, so in such a
 * group element i of every full-size value is flat element i. Slices of input buffers are read
 * as rows (slice-rows.ts: an LSTM's gates, columns of one matmul's output), the loop then running
 * row by row; pads of the last axis (the concatenation of an LSTM's four gate gradients) split each
 * row into column segments, in each of which a pad is its input shifted or its constant. Other
 * movement ops and index ops are not flat. Values are float32, or bool as lane
 * masks (comparisons, `where` conditions, stored masks); the one int32 value allowed is the step's
 * seed, read by random draws (Dropout's mask) of the output's shape. Anything else stays on the
 * JavaScript tier, which handles every group.
 */
import type { FusedKernel } from '../../ir/fusion.js';
import type { Node } from '../../ir/node.js';
import type { ElementwiseOp, GeneratorOp } from '../../ir/op-kinds.js';
import { OPS } from '../../ir/optable.js';
import { isConcrete, sizeOf } from '../../ir/types.js';
import { padColumns, sliceRows, type PadColumns, type SliceRows } from './slice-rows.js';

/** Ops the SIMD loop computes; `emitElementwiseModule` has one emitter per name. */
export const SIMD_ELEMENTWISE_OPS = [
  'add', 'subtract', 'multiply', 'divide', 'maximum', 'minimum', 'sqrt', 'negative', 'abs',
  'exp', 'log', 'tanh', 'sigmoid', 'sign',
  'less', 'lessEqual', 'greater', 'greaterEqual', 'equal', 'notEqual', 'where', 'cast', 'fill',
  'randomUniform', 'reshape', 'slice', 'pad',
] as const satisfies readonly (ElementwiseOp | GeneratorOp | 'reshape' | 'slice' | 'pad')[];
export type SimdElementwiseOp = (typeof SIMD_ELEMENTWISE_OPS)[number];

const SUPPORTED: ReadonlySet<string> = new Set(SIMD_ELEMENTWISE_OPS);

/** A group the SIMD loop can run, in the order the emitter needs it. */
export interface FlatElementwise {
  /** Elements of the output (every output has as many). */
  readonly size: number;
  /** Buffers in the kernel's parameter order: outputs, then inputs (as `kernelBuffers`). */
  readonly buffers: readonly Node[];
  readonly outputs: readonly Node[];
  /** Computed nodes (inline and outputs), operands before users. */
  readonly order: readonly Node[];
  /**
   * Values equal at every element: fills, one-element buffers, and nodes computed from those
   * only (random draws and slices aside: they are read per element). The emitter computes them once,
   * before the loop.
   */
  readonly uniform: ReadonlySet<Node>;
  /**
   * The loop's rows: 1, or with slices of inputs, every slice's (slice-rows.ts), so element
   * r * cols + c of each full-size value sits at row r, column c.
   */
  readonly rows: number;
  readonly cols: number;
  /** Each slice of an input buffer: where its rows are in that buffer. */
  readonly slices: ReadonlyMap<Node, SliceRows>;
  /** Each pad of the last axis: its low width, input width and the row length (`cols`). */
  readonly pads: ReadonlyMap<Node, PadColumns>;
  /**
   * Where each buffer and computed node is read: outside every pad (undefined) or under a pad,
   * at the pad's column shift; a value under two pads is computed once for each.
   */
  readonly contexts: ReadonlyMap<Node, ReadonlySet<Node | undefined>>;
}

/** The group's layout for the SIMD loop, or undefined when only the JavaScript tier can run it. */
export function matchFlatElementwise(k: FusedKernel, buffers: readonly Node[]): FlatElementwise | undefined {
  if (k.kind !== 'elementwise') return undefined;
  const shape = k.outputs[0].shape;
  if (!isConcrete(shape)) return undefined;
  const size = sizeOf(shape);
  const inputs = new Set(k.inputs);
  const computed = new Set<Node>([...k.inline, ...k.outputs]);
  const one = (n: Node) => isConcrete(n.shape) && sizeOf(n.shape) === 1;
  const full = (n: Node) => isConcrete(n.shape) && sizeOf(n.shape) === size;

  for (const o of k.outputs) {
    if (o.dtype === 'int32' || !full(o) || inputs.has(o)) return undefined;
  }
  for (const n of computed) {
    if (!SUPPORTED.has(n.op) || !typesFit(n)) return undefined;
    if (n.inputs.some((i) => !computed.has(i) && !inputs.has(i))) return undefined;
  }

  // Pads of the last axis: what is under one is read shifted by its low width, in rows of its input's width.
  const pads = new Map<Node, PadColumns>();
  for (const n of computed) {
    if (n.op !== 'pad') continue;
    const cols = padColumns(n as Node<'pad'>);
    if (cols === undefined || !full(n)) return undefined;
    pads.set(n, cols);
  }
  // Each value's contexts: outside every pad (undefined), or under one pad (never nested).
  const contexts = new Map<Node, Set<Node | undefined>>();
  const reach = (n: Node, ctx: Node | undefined): boolean => {
    const seen = contexts.get(n) ?? new Set<Node | undefined>();
    if (seen.has(ctx)) return true;
    seen.add(ctx);
    contexts.set(n, seen);
    if (!computed.has(n)) return true;
    if (n.op === 'pad' && ctx !== undefined) return false;
    const inner = n.op === 'pad' ? n : ctx;
    return n.inputs.every((i) => reach(i, inner));
  };
  if (!k.outputs.every((o) => reach(o, undefined))) return undefined;
  const elements = (ctx: Node | undefined) => (ctx === undefined ? size : (size / pads.get(ctx)!.cols) * pads.get(ctx)!.width);
  const sized = (n: Node, ctx: Node | undefined) => isConcrete(n.shape) && sizeOf(n.shape) === elements(ctx);
  const usedOnlyBy = (b: Node, op: string) => [...computed].every((n) => !n.inputs.includes(b) || n.op === op);
  for (const [n, ctxs] of contexts) {
    for (const ctx of ctxs) {
      if (n.op === 'fill') continue;
      const fits = !computed.has(n)
        ? (n.dtype === 'int32' ? one(n) && usedOnlyBy(n, 'randomUniform') : sized(n, ctx) || one(n) || usedOnlyBy(n, 'slice'))
        : sized(n, ctx) || (one(n) && n.op !== 'randomUniform');
      if (!fits) return undefined;
    }
  }

  // Slices read input buffers directly, in the loop's rows: as long as the output's outside pads,
  // as the pad's input width under one.
  const slices = new Map<Node, SliceRows>();
  for (const n of computed) {
    if (n.op !== 'slice') continue;
    const rows = inputs.has(n.inputs[0]) ? sliceRows(n as Node<'slice'>) : undefined;
    if (rows === undefined) return undefined;
    slices.set(n, rows);
  }
  const padRows = [...pads.values()].map((p) => ({ rows: size / p.cols, cols: p.cols }));
  const outside = [...slices].filter(([n]) => contexts.get(n)!.has(undefined)).map(([, r]) => r);
  const shapes = [...outside, ...padRows];
  const rows = shapes[0]?.rows ?? 1, cols = shapes[0]?.cols ?? size;
  if (shapes.some((r) => r.rows !== rows || r.cols !== cols)) return undefined;
  for (const [n, r] of slices) {
    for (const ctx of contexts.get(n)!) if (ctx !== undefined && (r.rows !== rows || r.cols !== pads.get(ctx)!.width)) return undefined;
  }
  // A draw hashes the flat element index, which the row and segment loops do not keep.
  if ((rows > 1 || pads.size > 0) && [...computed].some((n) => n.op === 'randomUniform')) return undefined;

  // Operands before users, by depth-first search from the outputs through computed nodes.
  const order: Node[] = [];
  const seen = new Set<Node>();
  const visit = (n: Node) => {
    if (seen.has(n) || !computed.has(n)) return;
    seen.add(n);
    n.inputs.forEach(visit);
    order.push(n);
  };
  k.outputs.forEach(visit);

  const uniform = new Set<Node>(k.inputs.filter(one));
  for (const n of order) {
    const perElement = n.op === 'randomUniform' || n.op === 'slice' || n.op === 'pad';
    if (n.op === 'fill' || (!perElement && n.inputs.length > 0 && n.inputs.every((i) => uniform.has(i)))) uniform.add(n);
  }
  return { size, buffers, outputs: k.outputs, order, uniform, rows, cols, slices, pads, contexts };
}

/**
 * float32 arithmetic; comparisons of float32 giving bool masks; `where` on a bool mask choosing
 * float32 values; casts between float32 and bool; reshapes, slices and pads of either; float32 draws from an int32 seed. Other int32
 * values are left to JavaScript.
 */
function typesFit(n: Node): boolean {
  const f32 = (x: Node) => x.dtype === 'float32';
  if (n.op === 'fill') return n.dtype !== 'int32';
  if (n.op === 'randomUniform') return f32(n) && n.inputs[0].dtype === 'int32';
  if (OPS[n.op].compares === true) return n.inputs.every(f32);
  if (n.op === 'where') return n.inputs[0].dtype === 'bool' && f32(n) && f32(n.inputs[1]) && f32(n.inputs[2]);
  if (n.op === 'cast') return n.dtype !== 'int32' && n.inputs[0].dtype !== 'int32';
  if (n.op === 'reshape' || n.op === 'slice' || n.op === 'pad') return n.dtype !== 'int32';
  return f32(n) && n.inputs.every(f32);
}
