/**
 * Per-kernel timing of a compiled program (KERAS_JIT_DEBUG >= 2). The program's instrumented run
 * loop records each call's wall time here; the report groups calls by kernel name, slowest first,
 * with each kernel's share of the step and its rate: GFLOP/s for contractions (where arithmetic
 * is the limit), GB/s through its buffers otherwise (where memory is).
 */
export interface KernelCost {
  readonly name: string;
  /** Floating-point operations of one call; 0 when the kernel is not a contraction. */
  readonly flops: number;
  /** Bytes read and written through buffers by one call. */
  readonly bytes: number;
}

export interface ProfileRow {
  readonly name: string;
  readonly calls: number;
  readonly ms: number;
  /** Fraction of the summed kernel time of the program. */
  readonly share: number;
  /** 'GFLOP/s' or 'GB/s' value. */
  readonly rate: number;
  readonly unit: 'GFLOP/s' | 'GB/s';
}

export class ProgramProfile {
  /** Accumulated milliseconds per call position of the program. */
  private readonly ms: Float64Array;
  /** Runs recorded since the last reset. */
  steps = 0;

  constructor(readonly costs: readonly KernelCost[]) {
    this.ms = new Float64Array(costs.length);
  }

  add(call: number, ms: number): void {
    this.ms[call] += ms;
  }

  reset(): void {
    this.ms.fill(0);
    this.steps = 0;
  }

  /** Rows grouped by kernel name (a kernel may run at several positions), slowest first. */
  rows(): ProfileRow[] {
    const total = this.ms.reduce((a, b) => a + b, 0);
    const byName = new Map<string, { calls: number; ms: number; flops: number; bytes: number }>();
    this.costs.forEach((c, i) => {
      const row = byName.get(c.name) ?? { calls: 0, ms: 0, flops: 0, bytes: 0 };
      row.calls += this.steps;
      row.ms += this.ms[i];
      row.flops += c.flops * this.steps;
      row.bytes += c.bytes * this.steps;
      byName.set(c.name, row);
    });
    return [...byName].map(([name, r]) => {
      const seconds = r.ms / 1000;
      const flops = r.flops > 0;
      const rate = seconds > 0 ? (flops ? r.flops : r.bytes) / seconds / 1e9 : 0;
      return { name, calls: r.calls, ms: r.ms, share: total > 0 ? r.ms / total : 0, rate, unit: flops ? 'GFLOP/s' as const : 'GB/s' as const };
    }).sort((a, b) => b.ms - a.ms || (a.name < b.name ? -1 : 1));
  }

  /** Summed kernel time of all recorded runs, in ms. */
  get totalMs(): number {
    return this.ms.reduce((a, b) => a + b, 0);
  }
}

/** The profile as a table: a title line, a header, one row per kernel. */
export function formatProfile(title: string, profile: ProgramProfile): string {
  const rows = profile.rows();
  const perStep = profile.steps > 0 ? profile.totalMs / profile.steps : 0;
  const nameWidth = Math.max(6, ...rows.map((r) => r.name.length));
  const lines = [
    `${title}: ${profile.steps} steps, ${perStep.toFixed(3)} ms/step in kernels`,
    `  ${'kernel'.padEnd(nameWidth)}  ${'calls'.padStart(6)}  ${'total ms'.padStart(10)}  ${'share'.padStart(6)}  ${'rate'.padStart(16)}`,
  ];
  for (const r of rows) {
    const rate = `${r.rate.toFixed(2)} ${r.unit}`;
    lines.push(`  ${r.name.padEnd(nameWidth)}  ${String(r.calls).padStart(6)}  ${r.ms.toFixed(2).padStart(10)}  ${`${(r.share * 100).toFixed(1)}%`.padStart(6)}  ${rate.padStart(16)}`);
  }
  return `${lines.join('\n')}\n`;
}
