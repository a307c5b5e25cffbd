/**
 * The stride phases of the input gradient. With stride s, input row h receives gradient only
 * from the filter rows kh with kh*d = h + pad (mod s), so the rows fall into s classes by
 * (h + pad) mod s, each a stride-1 correlation of dy with a sub-grid of the filter. Computing one
 * GEMM per class does exactly the useful multiply-adds, where one implicit GEMM over all taps
 * would multiply by zeros for all but 1/s of them (per axis), and still stores each element once.
 */
/** A run of filter positions kh = first + step*t, t < count, along one axis. */
export interface TapRun {
  readonly first: number;
  readonly step: number;
  readonly count: number;
}

export interface AxisPhase {
  /** The first input row of the class and how many rows it has (every s-th from `first`). */
  readonly first: number;
  readonly count: number;
  /** The filter rows that reach this class. */
  readonly taps: TapRun;
  /** dy row = (first + s*t) / s-step arithmetic: oh = t + base - tapIndex * delta. */
  readonly base: number;
  readonly delta: number;
}

/** The non-empty classes of one spatial axis: input size, filter size, stride, dilation, leading pad. */
export function axisPhases(size: number, filter: number, stride: number, dilation: number, pad: number): AxisPhase[] {
  const phases: AxisPhase[] = [];
  for (let q = 0; q < stride; q++) {
    const first = (((q - pad) % stride) + stride) % stride;
    if (first >= size) continue;
    const count = Math.ceil((size - first) / stride);
    const rows: number[] = [];
    for (let kh = 0; kh < filter; kh++) if ((kh * dilation) % stride === q) rows.push(kh);
    const step = rows.length > 1 ? rows[1] - rows[0] : 1;
    const taps: TapRun = { first: rows[0] ?? 0, step, count: rows.length };
    // oh*s = h + pad - kh*d with h = first + s*t and kh = taps.first + step*a; both are exact.
    const base = (first + pad - taps.first * dilation) / stride;
    const delta = (step * dilation) / stride;
    if (rows.length > 0 && (!Number.isInteger(base) || (rows.length > 1 && !Number.isInteger(delta)))) {
      throw new Error(`codegen: stride phase ${q} of ${stride} is not aligned`);
    }
    phases.push({ first, count, taps, base: rows.length > 0 ? base : 0, delta: rows.length > 1 ? delta : 0 });
  }
  return phases;
}
