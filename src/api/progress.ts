/**
 * Keras's progress bar (tf.keras's Progbar and ProgbarLogger), with the same text:
 *   verbose 1:  `12/469 [>.............................] - ETA: 3s - loss: 0.4213 - accuracy: 0.8810`
 *               redrawn in place with \r on a terminal; when stdout is not a terminal only the
 *               finished line of each epoch is written, so logs stay one line an epoch.
 *               The finished line: `469/469 [==============================] - 2s 4ms/step - loss: ...`
 *   verbose 2:  one line an epoch: `469/469 - 2s - loss: 0.4213 - accuracy: 0.8810 - val_loss: ...`
 * Values are shown as given: the engine passes running averages, which Keras treats as stateful.
 */
import { Callback, type Logs } from './callbacks.js';
import { pyExp, pyFixed } from './pyformat.js';

export interface ProgressOutput {
  write(text: string): void;
  /** True when the output is a terminal that can redraw a line in place. */
  readonly isTTY: boolean;
}

export const stdoutOutput: ProgressOutput = {
  write: (text) => void process.stdout.write(text),
  get isTTY() {
    return process.stdout.isTTY === true;
  },
};

export interface ProgbarOptions {
  /** Total steps; the bar needs it. */
  readonly target: number;
  readonly width?: number;
  readonly verbose?: number;
  /** Minimum seconds between redraws. */
  readonly interval?: number;
  readonly unitName?: string;
  readonly output?: ProgressOutput;
  /** Clock in milliseconds, replaceable for tests. */
  readonly now?: () => number;
}

/** Keras's value format: 4 decimals, or exponent form for magnitudes up to 1e-3. */
export function formatValue(v: number): string {
  return Math.abs(v) > 1e-3 ? pyFixed(v, 4) : pyExp(v, 4);
}

/** Keras's ETA text: h:mm:ss, m:ss or Ns (whole seconds, truncated). */
export function formatEta(seconds: number): string {
  const s = Math.floor(seconds);
  if (seconds > 3600) return `${Math.floor(s / 3600)}:${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
  if (seconds > 60) return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
  return `${s}s`;
}

/** Keras's time-per-unit text: ` 2s/step`, ` 4ms/step` or ` 15us/step`. */
export function formatTimePerUnit(seconds: number, unit: string): string {
  if (seconds >= 1 || seconds === 0) return ` ${seconds.toFixed(0)}s/${unit}`;
  if (seconds >= 1e-3) return ` ${(seconds * 1e3).toFixed(0)}ms/${unit}`;
  return ` ${(seconds * 1e6).toFixed(0)}us/${unit}`;
}

export class Progbar {
  readonly target: number;
  readonly width: number;
  readonly verbose: number;
  readonly interval: number;
  readonly unitName: string;
  private readonly output: ProgressOutput;
  private readonly now: () => number;
  private readonly dynamic: boolean;
  private readonly start: number;
  private lastUpdate = 0;
  private totalWidth = 0;
  private timeAfterFirstStep?: number;

  constructor(options: ProgbarOptions) {
    this.target = options.target;
    this.width = options.width ?? 30;
    this.verbose = options.verbose ?? 1;
    this.interval = options.interval ?? 0.05;
    this.unitName = options.unitName ?? 'step';
    this.output = options.output ?? stdoutOutput;
    this.now = options.now ?? (() => performance.now());
    this.dynamic = this.output.isTTY;
    this.start = this.now();
  }

  /** Seconds per step, ignoring the first step (which includes compilation), as Keras estimates. */
  private stepDuration(current: number, now: number): number {
    if (current === 0) return 0;
    const perUnit = this.timeAfterFirstStep !== undefined && current > 1
      ? (now - this.timeAfterFirstStep) / 1000 / (current - 1)
      : (now - this.start) / 1000 / current;
    if (current === 1) this.timeAfterFirstStep = now;
    return perUnit;
  }

  private values(values: readonly (readonly [string, number])[]): string {
    return values.map(([k, v]) => ` - ${k}: ${formatValue(v)}`).join('');
  }

  private bar(current: number): string {
    const digits = Math.floor(Math.log10(this.target)) + 1;
    let bar = `${String(current).padStart(digits)}/${this.target} [`;
    const progWidth = Math.floor((this.width * current) / this.target);
    if (progWidth > 0) bar += '='.repeat(progWidth - 1) + (current < this.target ? '>' : '=');
    return `${bar}${'.'.repeat(Math.max(0, this.width - progWidth))}]`;
  }

  /** Shows progress at step `current`; `finalize` ends the line (the epoch is over). */
  update(current: number, values: readonly (readonly [string, number])[] = [], finalize = current >= this.target): void {
    const now = this.now();
    const elapsed = (now - this.start) / 1000;
    if (this.verbose === 1) {
      const perUnit = this.stepDuration(current, now);
      if (!finalize && (now - this.lastUpdate) / 1000 < this.interval && this.lastUpdate !== 0) return;
      this.lastUpdate = now;
      // Without a terminal a redrawn line would print every update on its own line: show only the last.
      if (!this.dynamic && !finalize) return;
      const bar = this.bar(current);
      let info = finalize
        ? ` - ${elapsed.toFixed(0)}s${formatTimePerUnit(perUnit, this.unitName)}`
        : ` - ETA: ${formatEta(perUnit * (this.target - current))}`;
      info += this.values(values);
      const width = bar.length + info.length;
      const pad = this.dynamic && this.totalWidth > width ? ' '.repeat(this.totalWidth - width) : '';
      this.totalWidth = width;
      this.output.write(`${this.dynamic ? '\r' : ''}${bar}${info}${pad}${finalize ? '\n' : ''}`);
    } else if (this.verbose === 2 && finalize) {
      const digits = Math.floor(Math.log10(this.target)) + 1;
      this.output.write(`${String(current).padStart(digits)}/${this.target} - ${elapsed.toFixed(0)}s${this.values(values)}\n`);
    }
  }
}

export interface ProgbarLoggerOptions {
  readonly output?: ProgressOutput;
  readonly now?: () => number;
}

/**
 * Prints `Epoch i/n` and a progress bar for fit() (Keras's ProgbarLogger). Without a verbose of its
 * own it follows fit()'s. With streamed data of unknown length the first epoch prints only its
 * finished line; later epochs know the step count from it.
 */
export class ProgbarLogger extends Callback {
  private bar?: Progbar;
  private seen = 0;
  private epochs = 0;
  private knownSteps = 0;

  constructor(private readonly ownVerbose?: number, private readonly options: ProgbarLoggerOptions = {}) {
    super();
  }

  get verbose(): number {
    return this.ownVerbose ?? this.params.verbose;
  }

  private output(): ProgressOutput {
    return this.options.output ?? stdoutOutput;
  }

  private newBar(target: number): Progbar {
    return new Progbar({ target, verbose: this.verbose, output: this.output(), now: this.options.now });
  }

  override onTrainBegin(): void {
    this.epochs = this.params.epochs;
    this.knownSteps = this.params.steps;
  }
  override onEpochBegin(epoch: number): void {
    if (this.verbose > 0 && this.epochs > 1) this.output().write(`Epoch ${epoch + 1}/${this.epochs}\n`);
    this.seen = 0;
    this.bar = this.knownSteps > 0 ? this.newBar(this.knownSteps) : undefined;
  }
  override onBatchEnd(batch: number, logs: Logs = {}): void {
    this.seen = batch + 1;
    // The last batch's line is drawn at epoch end, with the validation values.
    if (this.seen <= this.knownSteps) this.bar?.update(this.seen, Object.entries(logs), false);
  }
  override onEpochEnd(_epoch: number, logs: Logs = {}): void {
    if (this.seen === 0) return;
    if (this.knownSteps === 0) this.knownSteps = this.seen;
    (this.bar ?? this.newBar(this.seen)).update(this.seen, Object.entries(logs), true);
  }
}

/** A progress bar for evaluate() and predict(), driven by their own loops. */
export function loopProgbar(verbose: number, steps: number, output?: ProgressOutput): Progbar | undefined {
  return verbose > 0 ? new Progbar({ target: steps, verbose, output }) : undefined;
}
