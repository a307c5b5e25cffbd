/**
 * Decides whether a row kernel (a fused reduction group, ir/fusion.ts: one or more stages over
 * the rows of one domain) can run as a WebAssembly SIMD row loop (row-emit.ts), and if so lays it
 * out for the emitter. The loop serves reductions over the last axis only, whose rows are
 * contiguous: element c of row r of every full-size value is flat element r * cols + c. An
 * elementwise group that reads row values broadcast along its last axis runs as one map stage
 * over its output's rows.
 *
 * Every value is one of three levels: `uniform` (fills, one-element buffers and what is computed
 * from them only: computed once, before the rows), `row` (the stages' reductions, buffers with one
 * element per row, row values broadcast along the last axis, and what is computed from those:
 * computed once per row, as a splat), or `element` (buffers of the domain's size, a stage's map
 * outputs, an iota along the last axis, and what reads any of them: computed in a stage's loop
 * over the row's columns). A row value reaches an element only through a broadcast along the last
 * axis (explicit, or an elementwise operand of the row's shape). Anything else (other broadcasts,
 * movement ops, random draws, int32 values) stays on the JavaScript tier, which runs every group.
 */
import type { FusedKernel, Stage } from '../../ir/fusion.js';
import type { Node } from '../../ir/node.js';
import { OPS } from '../../ir/optable.js';
import { isConcrete, sizeOf } from '../../ir/types.js';
import { SIMD_ELEMENTWISE_OPS } from './elementwise-match.js';

export type Level = 'uniform' | 'row' | 'element';

/** The ops a row loop computes: the SIMD loop's, less what it reads by flat index or segment, plus row broadcasts and column indices. */
const ROW_OPS: ReadonlySet<string> = new Set([
  ...SIMD_ELEMENTWISE_OPS.filter((op) => op !== 'randomUniform' && op !== 'slice' && op !== 'pad'),
  'broadcastTo', 'iota',
]);

/** One pass over each row: a reduction (`reduce`) with the row-level epilogue after it, or a map stage storing its outputs. */
export interface RowStage {
  /** The stage's reduction; undefined for a map stage. */
  readonly reduce: Node<'sum' | 'max'> | undefined;
  /** Row values this stage's column loop reads that no earlier stage computed in this row, operands first. */
  readonly rowsBefore: readonly Node[];
  /** Element-level buffers the column loop loads: inputs, and map outputs an earlier stage stored in this row. */
  readonly loads: readonly Node[];
  /** Element-level nodes the column loop computes, operands first. */
  readonly columns: readonly Node[];
  /** Outputs the column loop stores (a map stage's). */
  readonly columnStores: readonly Node[];
  /** Row values computed after the reduction for the row outputs, operands first. */
  readonly rowsAfter: readonly Node[];
  /** Row-level outputs stored once per row, after the reduction. */
  readonly rowStores: readonly Node[];
}

export interface RowKernelPlan {
  readonly rows: number;
  /** The row length: the domain's last axis. */
  readonly cols: number;
  /** Buffers in the kernel's parameter order: outputs, then inputs (as `kernelBuffers`). */
  readonly buffers: readonly Node[];
  /** The buffers it reads. */
  readonly inputs: readonly Node[];
  readonly stages: readonly RowStage[];
  /** One-element buffers, splatted once. */
  readonly uniformBuffers: readonly Node[];
  /** Uniform nodes computed once before the rows, operands first. */
  readonly uniform: readonly Node[];
  readonly level: ReadonlyMap<Node, Level>;
}

/** The group's layout for the row loop, or undefined when only the JavaScript tier can run it. */
export function matchRowKernel(k: FusedKernel, buffers: readonly Node[]): RowKernelPlan | undefined {
  const stages = stagesOf(k);
  if (stages === undefined) return undefined;
  const first = stages[0].anchor;
  const dom = stages[0].map === true ? k.outputs[0].shape : first.inputs[0].shape;
  if (!isConcrete(dom) || dom.length === 0) return undefined;
  const last = dom.length - 1;
  if (stages[0].map !== true) {
    if (first.op !== 'sum' && first.op !== 'max') return undefined;
    const axes = (first as Node<'sum' | 'max'>).attrs.axes;
    if (axes.length !== 1 || axes[0] !== last) return undefined;
  }
  const cols = dom[last], total = sizeOf(dom), rows = total / cols;
  if (cols === 0 || rows === 0) return undefined;

  const inputs = new Set(k.inputs);
  const anchors = new Map<Node, number>();
  stages.forEach((s, i) => { if (s.map !== true) anchors.set(s.anchor, i); });
  for (const a of anchors.keys()) {
    if (a.op !== 'sum' && a.op !== 'max') return undefined;
    const r = a as Node<'sum' | 'max'>;
    if (r.attrs.axes.length !== 1 || r.attrs.axes[0] !== last || r.dtype !== 'float32' || r.inputs[0].dtype !== 'float32') return undefined;
  }
  const mapOutputs = new Set(stages.filter((s) => s.map === true).flatMap((s) => s.epilogue));
  const computed = new Set<Node>([...k.inline, ...k.outputs]);
  const size = (n: Node) => (isConcrete(n.shape) ? sizeOf(n.shape) : -1);
  /** A row value (its shape, left-padded with ones, is `shape` with the last axis 1) broadcast over rows of `shape`. */
  const rowBroadcast = (x: Node, shape: readonly number[]) => {
    if (!isConcrete(x.shape) || shape.length === 0 || shape[shape.length - 1] !== cols || sizeOf(shape) !== total) return false;
    const padded = [...new Array<number>(Math.max(0, shape.length - x.shape.length)).fill(1), ...x.shape];
    return padded.length === shape.length && padded.every((d, i) => d === (i === shape.length - 1 ? 1 : shape[i]));
  };

  // Levels, by structure; undefined for a node the row loop cannot compute.
  const level = new Map<Node, Level>();
  const failed = new Set<Node>();
  const levelOf = (n: Node): Level | undefined => {
    const known = level.get(n);
    if (known !== undefined || failed.has(n)) return known;
    const l = classify(n);
    if (l === undefined) failed.add(n); else level.set(n, l);
    return l;
  };
  const classify = (n: Node): Level | undefined => {
    if (n.dtype === 'int32' || !isConcrete(n.shape)) return undefined;
    // Rows of one column: a value per element is one per row, and the reduction's epilogue reads it as such.
    if (inputs.has(n)) return size(n) === 1 ? 'uniform' : size(n) === rows ? 'row' : size(n) === total ? 'element' : undefined;
    if (anchors.has(n)) return size(n) === rows && levelOf(n.inputs[0]) !== undefined ? 'row' : undefined;
    if (!computed.has(n) || !ROW_OPS.has(n.op) || !typesFit(n)) return undefined;
    if (n.op === 'fill') return 'uniform';
    if (n.op === 'iota') {
      const shape = n.shape as readonly number[];
      return (n as Node<'iota'>).attrs.axis === shape.length - 1 && shape[shape.length - 1] === cols && size(n) === total ? 'element' : undefined;
    }
    const operands = n.inputs.map(levelOf);
    if (operands.some((l) => l === undefined)) return undefined;
    const shape = n.shape as readonly number[];
    // Same element count: the same flat index (elementwise operands then differ by unit axes only).
    const fits = (x: Node) => size(x) === size(n) || size(x) === 1 || (levelOf(x) === 'row' && rowBroadcast(x, shape));
    if (!n.inputs.every(fits)) return undefined;
    const rank: Record<Level, number> = { uniform: 0, row: 1, element: 2 };
    const top = operands.reduce<Level>((a, l) => (rank[l!] > rank[a] ? l! : a), 'uniform');
    if (mapOutputs.has(n) && ((top !== 'element' && cols > 1) || size(n) !== total)) return undefined;
    return top;
  };
  for (const n of [...computed, ...inputs]) if (levelOf(n) === undefined) return undefined;

  // Each output is stored by exactly one stage: a map stage's in its column loop, a reduction's at the row.
  const stored = new Set<Node>();
  const uniformNodes: Node[] = [];
  const uniformSeen = new Set<Node>();
  const rowDone = new Set<Node>();
  const available = new Set<Node>(inputs);
  const planned: RowStage[] = [];
  const addUniform = (n: Node) => {
    if (uniformSeen.has(n)) return;
    uniformSeen.add(n);
    if (inputs.has(n)) return;
    n.inputs.forEach(addUniform);
    uniformNodes.push(n);
  };
  for (let s = 0; s < stages.length; s++) {
    const stage = stages[s];
    const rowsBefore: Node[] = [], loads: Node[] = [], columns: Node[] = [];
    const seen = new Set<Node>();
    let ok = true;
    /** Row values in dependency order; `upTo` is the last stage whose reduction they may read. */
    const row = (n: Node, upTo: number, into: Node[]) => {
      if (rowDone.has(n)) return;
      const at = anchors.get(n);
      if (at !== undefined) { ok = false; return; } // an anchor is done at its stage's end, so this one is not ready
      rowDone.add(n);
      if (!inputs.has(n)) for (const i of n.inputs) visit(i, upTo, into, undefined);
      into.push(n);
    };
    /** Adds what computing `n` needs: uniform values, row values (into `rowInto`), loads and column nodes. */
    const visit = (n: Node, upTo: number, rowInto: Node[], cols: Node[] | undefined): void => {
      const l = level.get(n)!;
      if (l === 'uniform') { addUniform(n); return; }
      if (l === 'row') { if (anchors.has(n) && anchors.get(n)! <= upTo) return; row(n, upTo, rowInto); return; }
      if (cols === undefined) { ok = false; return; } // an element value outside a column loop
      if (seen.has(n)) return;
      seen.add(n);
      if (available.has(n)) { loads.push(n); return; }
      for (const i of n.inputs) visit(i, upTo, rowInto, cols);
      cols.push(n);
    };
    if (stage.map === true) {
      for (const o of stage.epilogue) visit(o, s - 1, rowsBefore, columns);
      const columnStores = stage.epilogue.filter((o) => !stored.has(o));
      columnStores.forEach((o) => stored.add(o));
      if (!ok) return undefined;
      planned.push({ reduce: undefined, rowsBefore, loads, columns, columnStores, rowsAfter: [], rowStores: [] });
      for (const o of stage.epilogue) available.add(o);
      continue;
    }
    const r = stage.anchor as Node<'sum' | 'max'>;
    visit(r.inputs[0], s - 1, rowsBefore, columns);
    rowDone.add(r);
    const rowStores = k.outputs.filter((o) => (o === r || stage.epilogue.includes(o)) && !stored.has(o));
    const rowsAfter: Node[] = [];
    for (const o of rowStores) {
      if (level.get(o) !== 'row' || size(o) !== rows) return undefined;
      visit(o, s, rowsAfter, undefined);
      stored.add(o);
    }
    if (!ok) return undefined;
    planned.push({ reduce: r, rowsBefore, loads, columns, columnStores: [], rowsAfter, rowStores });
  }
  if (!k.outputs.every((o) => stored.has(o))) return undefined;
  const uniformBuffers = k.inputs.filter((b) => level.get(b) === 'uniform');
  return { rows, cols, buffers, inputs: k.inputs, stages: planned, uniformBuffers, uniform: uniformNodes, level };
}

/**
 * A reduction group's stages; an elementwise group is one map stage over its outputs' rows (a
 * loop the flat SIMD loop declined because it broadcasts row values along the last axis:
 * attention's softmax gradient, (dp / sum + row term) * p).
 */
function stagesOf(k: FusedKernel): readonly Stage[] | undefined {
  if (k.kind === 'reduce') return k.stages ?? [{ anchor: k.anchor, epilogue: k.epilogue }];
  if (k.kind === 'elementwise') return [{ anchor: k.anchor, epilogue: k.outputs, map: true }];
  return undefined;
}

/**
 * float32 arithmetic; comparisons of float32 giving bool masks; `where` on a bool mask choosing
 * float32 values; casts between float32 and bool; reshapes and broadcasts of either; float32
 * column indices. Other int32 values are left to JavaScript.
 */
function typesFit(n: Node): boolean {
  const f32 = (x: Node) => x.dtype === 'float32';
  if (n.op === 'fill') return n.dtype !== 'int32';
  if (n.op === 'iota') return f32(n);
  if (OPS[n.op].compares === true) return n.inputs.every(f32);
  if (n.op === 'where') return n.inputs[0].dtype === 'bool' && f32(n) && f32(n.inputs[1]) && f32(n.inputs[2]);
  if (n.op === 'cast') return n.dtype !== 'int32' && n.inputs[0].dtype !== 'int32';
  if (n.op === 'reshape' || n.op === 'broadcastTo') return n.dtype !== 'int32' && n.dtype === n.inputs[0].dtype;
  return f32(n) && n.inputs.every(f32);
}
