/**
 * The body of a `scan` (docs/ARCHITECTURE.md, "Recurrence"): a graph from its parameters (the
 * carries, one step's slice of each sequence, the constants) to the new carries and the step's
 * outputs. It is compiled once and run once per step.
 */
import type { Node } from './node.js';
import type { DType, Dim, Shape } from './types.js';
import { formatShape, ShapeError } from './types.js';
import { scanGradientPlan } from './scan-vjp.js';

/**
 * Attribute value of a scan node. Only `key` is enumerable, so interning and dumps see the body's
 * structural identity (its nodes' ids) and never walk or copy the body's graph itself.
 */
export class ScanBody {
  readonly key: string;
  readonly #params: readonly Node<'input'>[];
  readonly #outputs: readonly Node[];

  constructor(params: readonly Node<'input'>[], outputs: readonly Node[]) {
    this.#params = Object.freeze([...params]);
    this.#outputs = Object.freeze([...outputs]);
    this.key = `(${params.map((p) => p.id).join(',')})->(${outputs.map((o) => o.id).join(',')})`;
  }

  /** Carry parameters, then one step's slice of each sequence, then constants. */
  get params(): readonly Node<'input'>[] { return this.#params; }
  /** The new carries, then the step's outputs. */
  get outputs(): readonly Node[] { return this.#outputs; }
}

/** What one output of a scan node is: its shape and dtype, and its offset in the packed buffer. */
export interface ScanPart {
  readonly shape: Shape;
  readonly dtype: DType;
}

export interface ScanShape {
  readonly body: ScanBody;
  readonly length: number;
  readonly carries: number;
  readonly xs: number;
  readonly save: boolean;
}

/**
 * The outputs a scan node packs into its one buffer, in order: the final carries, each step
 * output stacked over time (time-major), and when `save` is set the residuals its gradient reads
 * (scan-vjp.ts: the carry entering each step and values the step computes), stacked the same
 * way. Stacks are indexed by sequence position, so a reverse scan's step for position t writes row t.
 */
export function scanParts(a: ScanShape): ScanPart[] {
  const outs = a.body.outputs;
  const carries = outs.slice(0, a.carries).map((o) => ({ shape: o.shape, dtype: o.dtype }));
  const ys = outs.slice(a.carries).map((o) => ({ shape: [a.length, ...o.shape], dtype: o.dtype }));
  return [...carries, ...ys, ...savedStacks(a).map((v) => ({ shape: [a.length, ...v.shape], dtype: v.dtype }))];
}

/** The forward values a saving scan stacks per step for its gradient (none if it does not save or cannot be differentiated). */
export function savedStacks(a: ScanShape): readonly Node[] {
  if (!a.save) return [];
  const plan = scanGradientPlan(a);
  return plan instanceof Error ? [] : plan.stacked.map((s) => s.node);
}

export function partSize(shape: Shape): Dim {
  let n = 1;
  for (const d of shape) {
    if (d === null) return null;
    n *= d;
  }
  return n;
}

/**
 * Parts start on multiples of this many elements (64 bytes, the arena's buffer alignment), so
 * fusion can hand every part to kernels as a buffer of its own, read in place.
 */
export const PART_ALIGN_ELEMENTS = 16;

/** Element offsets of each part in the packed buffer (undefined while a size is symbolic). */
export function partOffsets(parts: readonly ScanPart[]): number[] | undefined {
  const offsets: number[] = [];
  let at = 0;
  for (const p of parts) {
    const n = partSize(p.shape);
    if (n === null) return undefined;
    offsets.push(at);
    at = Math.ceil((at + n) / PART_ALIGN_ELEMENTS) * PART_ALIGN_ELEMENTS;
  }
  return offsets;
}

/** The packed buffer's length in elements: the last part's end (null while a size is symbolic). */
export function packedLength(parts: readonly ScanPart[]): number | null {
  const offsets = partOffsets(parts);
  if (offsets === undefined) return null;
  return parts.length === 0 ? 0 : offsets[offsets.length - 1] + (partSize(parts[parts.length - 1].shape) as number);
}

/**
 * Checks a body against the scan's operands: every carry and step output float32, each new
 * carry shaped as its carry, each sequence of the given length, and the body a function of its
 * parameters alone (no variable or program input captured, no random draw).
 */
export function checkScan(inputs: readonly Node[], a: ScanShape, sourcesOf: (outputs: readonly Node[]) => readonly Node[]): void {
  const { body } = a;
  const fail = (why: string): never => { throw new ShapeError(`scan: ${why}`); };
  if (body.params.length !== inputs.length) fail(`the body has ${body.params.length} parameters but the scan has ${inputs.length} operands`);
  if (body.outputs.length < a.carries) fail(`the body returns ${body.outputs.length} values, fewer than its ${a.carries} carries`);
  if (!Number.isInteger(a.length) || a.length < 0) fail(`the length must be a non-negative integer, got ${a.length}`);
  const same = (x: Shape, y: Shape) => x.length === y.length && x.every((d, i) => d === y[i]);
  inputs.forEach((x, i) => {
    const p = body.params[i];
    const isX = i >= a.carries && i < a.carries + a.xs;
    const expected = isX ? x.shape.slice(1) : x.shape;
    if (isX && x.shape[0] !== a.length) fail(`sequence ${i - a.carries} has ${String(x.shape[0])} steps, expected ${a.length} (time is axis 0)`);
    if (!same(p.shape, expected) || p.dtype !== x.dtype) fail(`operand ${i} is ${x.dtype}${formatShape(x.shape)} but the body's parameter is ${p.dtype}${formatShape(p.shape)}`);
  });
  body.outputs.forEach((o, i) => {
    if (o.dtype !== 'float32') fail(`body output ${i} is ${o.dtype}; carries and step outputs must be float32`);
    if (i < a.carries && !same(o.shape, body.params[i].shape)) fail(`new carry ${i} has shape ${formatShape(o.shape)} but its carry has ${formatShape(body.params[i].shape)}`);
  });
  const params = new Set<Node>(body.params);
  for (const s of sourcesOf(body.outputs)) {
    if (params.has(s)) continue;
    if (s.op === 'variable' || s.op === 'input') fail(`the body reads ${s.op} '${(s as Node<'input'>).attrs.label}' directly; pass it to the scan as a constant`);
    if (s.op === 'randomUniform') fail('the body draws random numbers; draw them outside and pass them as a constant or a sequence');
  }
}

/** Where result `index` of a compiled scan starts in its packed buffer, in elements. */
export function scanPartOffset(node: Node<'scan'>, index: number): number {
  const offsets = partOffsets(scanParts(node.attrs));
  if (offsets === undefined) throw new ShapeError('scan: its results still have a symbolic dimension; compiled programs need concrete shapes');
  return offsets[index];
}
