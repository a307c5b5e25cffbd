/**
 * Running loss and metric values over an epoch (or an evaluation), averaged exactly as Keras
 * does: losses weighted by batch size, metrics as total / count of per-sample values, stateful
 * metrics (AUC, Precision, ...) from the state variables the compiled steps add to.
 */
import type { LogEntry, StepProgram } from './programs.js';
import { resetSlot, slotResult } from './metric-state.js';
import type { Logs } from './types.js';

export class LogAccumulator {
  private readonly names: string[];
  private readonly totals: Float64Array;
  private readonly counts: Float64Array;

  /** `layout` fixes the names and their order (the same for every batch size). */
  constructor(private readonly layout: readonly LogEntry[]) {
    this.names = layout.map((e) => e.name);
    this.totals = new Float64Array(layout.length);
    this.counts = new Float64Array(layout.length);
  }

  reset(): void {
    this.totals.fill(0);
    this.counts.fill(0);
    for (const e of this.layout) if (e.slot !== undefined) resetSlot(e.slot);
  }

  /** Adds the outputs of the step that just ran. */
  add(step: StepProgram): void {
    const entries = step.entries;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i];
      if (e.kind === 'state') continue;
      const v = step.program.output(e.output)[0];
      this.totals[i] += e.kind === 'mean' ? v * step.batch : v;
      this.counts[i] += e.countOutput === undefined ? e.count : step.program.output(e.countOutput)[0];
    }
  }

  /** The averages so far, under their Keras names, optionally prefixed ('val_'). */
  logs(prefix = ''): Logs {
    const logs: Logs = {};
    this.names.forEach((n, i) => {
      const slot = this.layout[i].slot;
      // A stateful metric's value is its result over the states the compiled steps accumulated.
      if (slot !== undefined) logs[prefix + n] = slotResult(slot)[0];
      else logs[prefix + n] = this.counts[i] === 0 ? 0 : this.totals[i] / this.counts[i];
    });
    return logs;
  }

  get metricNames(): readonly string[] {
    return this.names;
  }
}
