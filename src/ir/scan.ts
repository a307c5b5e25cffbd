/**
 * Building scans: traces a step function on fresh parameters into a ScanBody and makes the scan
 * node and views of its results. The layers of src/api/layers/rnn/ and the scan's own gradient
 * (ops/loop.ts) build recurrences through here.
 */
import * as Build from './build.js';
import { make, type Node } from './node.js';
import { savedStacks, ScanBody } from './scan-body.js';
import { ShapeError } from './types.js';

export interface ScanStep {
  /** The new carries, shaped as the carries. */
  readonly carries: readonly Node[];
  /** The step's outputs, stacked over time by the scan. */
  readonly ys: readonly Node[];
}

export interface ScanOptions {
  /** Steps run from the last position to the first; stacked outputs stay indexed by position. */
  readonly reverse?: boolean;
  /** Keep, per step, the values the gradient reads (default true; scan-vjp.ts). Without them the scan cannot be differentiated. */
  readonly save?: boolean;
  /** Number of steps; needed only when there are no sequences. */
  readonly length?: number;
}

export interface ScanResult {
  readonly node: Node<'scan'>;
  readonly carries: readonly Node[];
  /** Each step output stacked over time: [length, ...step shape]. */
  readonly ys: readonly Node[];
  /**
   * The residuals the gradient reads, each stacked over time (empty unless saved): first the
   * carries entering each step that it reads, then values the step computes. They carry no gradient.
   */
  readonly saved: readonly Node[];
}

/** The scan node and its views, for a body already traced. */
export function scanNode(body: ScanBody, inputs: readonly Node[], carries: number, xs: number, length: number, reverse: boolean, save: boolean): ScanResult {
  const attrs = { body, length, reverse, carries, xs, save };
  const node = make('scan', inputs, attrs);
  const ys = body.outputs.length - carries;
  const view = (i: number) => make('scanOutput', [node], { index: i });
  return {
    node,
    carries: Array.from({ length: carries }, (_, i) => view(i)),
    ys: Array.from({ length: ys }, (_, i) => view(carries + i)),
    saved: savedStacks(attrs).map((_, i) => view(carries + ys + i)),
  };
}

/**
 * `lax.scan`: `step(carries, xsAtT, consts)` runs once per position t of axis 0 of `xs`, threading
 * the carries. The step may read only its arguments (weights come in as `consts`).
 */
export function scan(step: (carries: readonly Node[], xs: readonly Node[], consts: readonly Node[]) => ScanStep, init: readonly Node[], xs: readonly Node[], consts: readonly Node[] = [], options: ScanOptions = {}): ScanResult {
  const length = options.length ?? xs[0]?.shape[0];
  if (length === undefined || length === null) throw new ShapeError('scan: the number of steps is unknown; give sequences with a known axis 0 or the length option');
  for (const x of xs) if (x.shape.length === 0) throw new ShapeError('scan: a sequence must have rank >= 1 (time is axis 0), got a scalar');
  const carryParams = init.map((c, i) => Build.input(`scan:carry${i}`, c.shape, c.dtype));
  const xParams = xs.map((x, i) => Build.input(`scan:x${i}`, x.shape.slice(1), x.dtype));
  const constParams = consts.map((k, i) => Build.input(`scan:const${i}`, k.shape, k.dtype));
  const out = step(carryParams, xParams, constParams);
  if (out.carries.length !== init.length) throw new ShapeError(`scan: the step returned ${out.carries.length} carries, expected ${init.length}`);
  const body = new ScanBody([...carryParams, ...xParams, ...constParams], [...out.carries, ...out.ys]);
  return scanNode(body, [...init, ...xs, ...consts], init.length, xs.length, length, options.reverse ?? false, options.save ?? true);
}
