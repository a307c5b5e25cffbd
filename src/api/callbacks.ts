/**
 * Keras callbacks: hooks fit(), evaluate() and predict() call at the start and end of training,
 * epochs and batches, with `logs` holding the running (batch) or final (epoch) loss and metric
 * values under Keras's names. Behaviour follows Keras 3's callbacks.
 */
import { writeFileSync, appendFileSync, existsSync, statSync } from 'node:fs';
import { getSession } from './backend.js';
import type { Tensor } from './tensor.js';
import { pyRepr } from './pyformat.js';
import { checkOptions, optionKeys } from './strict-options.js';
import type { Logs, TrainableModel } from './training/types.js';

export type { Logs };

/** What fit() tells callbacks about the run (Keras's `params`). */
export interface TrainingParams {
  readonly verbose: number;
  readonly epochs: number;
  readonly steps: number;
}

type Hook = void | Promise<void>;

export class Callback {
  /** The model being trained; set before onTrainBegin. */
  model?: TrainableModel;
  params: TrainingParams = { verbose: 0, epochs: 0, steps: 0 };

  setModel(model: TrainableModel): void {
    this.model = model;
  }
  setParams(params: TrainingParams): void {
    this.params = params;
  }

  onTrainBegin(_logs?: Logs): Hook {}
  onTrainEnd(_logs?: Logs): Hook {}
  onEpochBegin(_epoch: number, _logs?: Logs): Hook {}
  onEpochEnd(_epoch: number, _logs?: Logs): Hook {}
  /** Keras's on_batch_begin: a training batch begins (onTrainBatchBegin calls it). */
  onBatchBegin(_batch: number, _logs?: Logs): Hook {}
  onBatchEnd(_batch: number, _logs?: Logs): Hook {}
  onTrainBatchBegin(batch: number, logs?: Logs): Hook {
    return this.onBatchBegin(batch, logs);
  }
  onTrainBatchEnd(batch: number, logs?: Logs): Hook {
    return this.onBatchEnd(batch, logs);
  }
  // evaluate() and predict() run synchronously, so their hooks are not awaited.
  onTestBegin(_logs?: Logs): void {}
  onTestEnd(_logs?: Logs): void {}
  onTestBatchBegin(_batch: number, _logs?: Logs): void {}
  onTestBatchEnd(_batch: number, _logs?: Logs): void {}
  onPredictBegin(_logs?: Logs): void {}
  onPredictEnd(_logs?: Logs): void {}
  onPredictBatchBegin(_batch: number, _logs?: Logs): void {}
  onPredictBatchEnd(_batch: number, _logs?: Logs): void {}
}

/** Calls every callback in order, awaiting the ones that return promises. */
export class CallbackList {
  constructor(readonly callbacks: readonly Callback[]) {}

  configure(model: TrainableModel, params: TrainingParams): void {
    for (const c of this.callbacks) {
      c.setModel(model);
      c.setParams(params);
    }
  }
  async call(hook: (c: Callback) => Hook): Promise<void> {
    for (const c of this.callbacks) {
      const r = hook(c);
      if (r !== undefined) await r;
    }
  }
  callSync(hook: (c: Callback) => void): void {
    for (const c of this.callbacks) hook(c);
  }
}

/** Records epoch logs: `history.loss[epoch]`, ... (Keras's History, returned by fit()). */
export class History extends Callback {
  history: Record<string, number[]> = {};
  epoch: number[] = [];
  /** The epoch of each value of each key: val_ keys skip epochs when validationFreq > 1. */
  epochsOf: Record<string, number[]> = {};

  override onTrainBegin(): void {
    this.epoch = [];
  }
  override onEpochEnd(epoch: number, logs: Logs = {}): void {
    this.epoch.push(epoch);
    for (const [k, v] of Object.entries(logs)) {
      (this.history[k] ??= []).push(v);
      (this.epochsOf[k] ??= []).push(epoch);
    }
  }
}

function printMessage(text: string): void {
  process.stdout.write(`${text}\n`);
}

function isAccuracyLike(name: string): boolean {
  const base = name.startsWith('val_') ? name.slice(4) : name;
  return /acc|auc|precision|recall/.test(base) && !/loss|error|crossentropy/.test(base);
}

/** Reads every weight of a model (Keras order), falling back to its trainable variables. */
function snapshotWeights(model: TrainableModel): Float32Array[] | Tensor[] {
  if (model.getWeights !== undefined) return model.getWeights();
  const session = getSession();
  return model.trainableVariables().map((v) => Float32Array.from(session.read(v)));
}
function restoreWeights(model: TrainableModel, weights: Float32Array[] | Tensor[]): void {
  if (model.setWeights !== undefined && weights.every((w) => !(w instanceof Float32Array))) {
    model.setWeights(weights as Tensor[]);
    return;
  }
  const session = getSession();
  model.trainableVariables().forEach((v, i) => session.write(v, weights[i] as Float32Array));
}

export type Mode = 'auto' | 'min' | 'max';

export interface EarlyStoppingOptions {
  readonly monitor?: string;
  readonly minDelta?: number;
  readonly patience?: number;
  readonly verbose?: number;
  readonly mode?: Mode;
  readonly baseline?: number;
  readonly restoreBestWeights?: boolean;
  readonly startFromEpoch?: number;
}

const EARLY_STOPPING_OPTIONS = optionKeys<EarlyStoppingOptions>({
  monitor: true, minDelta: true, patience: true, verbose: true, mode: true, baseline: true, restoreBestWeights: true, startFromEpoch: true,
});

/** Stops training when the monitored value stops improving (Keras 3's EarlyStopping). */
export class EarlyStopping extends Callback {
  readonly monitor: string;
  readonly minDelta: number;
  readonly patience: number;
  readonly verbose: number;
  readonly mode: Mode;
  readonly baseline?: number;
  readonly restoreBestWeights: boolean;
  readonly startFromEpoch: number;
  wait = 0;
  stoppedEpoch = 0;
  best = Infinity;
  bestEpoch = 0;
  private bestWeights?: Float32Array[] | Tensor[];
  private maximize = false;

  constructor(options: EarlyStoppingOptions = {}) {
    super();
    checkOptions(options, EARLY_STOPPING_OPTIONS, 'EarlyStopping');
    this.monitor = options.monitor ?? 'val_loss';
    this.minDelta = Math.abs(options.minDelta ?? 0);
    this.patience = options.patience ?? 0;
    this.verbose = options.verbose ?? 0;
    this.mode = options.mode ?? 'auto';
    this.baseline = options.baseline;
    this.restoreBestWeights = options.restoreBestWeights ?? false;
    this.startFromEpoch = options.startFromEpoch ?? 0;
    if (!['auto', 'min', 'max'].includes(this.mode)) throw new Error(`EarlyStopping: mode must be 'auto', 'min' or 'max', got '${this.mode}'`);
  }

  override onTrainBegin(): void {
    this.wait = 0;
    this.stoppedEpoch = 0;
    this.bestWeights = undefined;
    this.bestEpoch = 0;
    this.maximize = this.mode === 'max' || (this.mode === 'auto' && isAccuracyLike(this.monitor));
    this.best = this.maximize ? -Infinity : Infinity;
  }

  private isImprovement(value: number, reference: number): boolean {
    return this.maximize ? value - this.minDelta > reference : value + this.minDelta < reference;
  }

  override onEpochEnd(epoch: number, logs: Logs = {}): void {
    const current = logs[this.monitor];
    if (current === undefined) {
      console.warn(`Early stopping conditioned on metric \`${this.monitor}\` which is not available. Available metrics are: ${Object.keys(logs).join(',')}`);
      return;
    }
    if (epoch < this.startFromEpoch) return;
    const model = this.model!;
    if (this.restoreBestWeights && this.bestWeights === undefined) {
      // Keras starts from the first epoch's weights so a run that never improves still restores something.
      this.bestWeights = snapshotWeights(model);
      this.bestEpoch = epoch;
    }
    this.wait += 1;
    if (this.isImprovement(current, this.best)) {
      this.best = current;
      this.bestEpoch = epoch;
      if (this.restoreBestWeights) this.bestWeights = snapshotWeights(model);
      if (this.baseline === undefined || this.isImprovement(current, this.baseline)) this.wait = 0;
      return;
    }
    if (this.wait >= this.patience && epoch > 0) {
      this.stoppedEpoch = epoch;
      model.stopTraining = true;
    }
  }

  override onTrainEnd(): void {
    if (this.stoppedEpoch > 0 && this.verbose > 0) printMessage(`Epoch ${this.stoppedEpoch + 1}: early stopping`);
    if (this.restoreBestWeights && this.bestWeights !== undefined) {
      if (this.verbose > 0) printMessage(`Restoring model weights from the end of the best epoch: ${this.bestEpoch + 1}.`);
      restoreWeights(this.model!, this.bestWeights);
    }
  }
}

/** The model's optimizer, whose learning rate LR callbacks read and set. */
function optimizerOf(model: TrainableModel | undefined, who: string) {
  const optimizer = model?.compiled?.optimizer;
  if (optimizer === undefined) throw new Error(`${who}: the model has no optimizer; compile() it first`);
  return optimizer;
}

/** Sets the learning rate at each epoch start from `schedule(epoch, lr)` (Keras's LearningRateScheduler). */
export class LearningRateScheduler extends Callback {
  constructor(readonly schedule: (epoch: number, lr: number) => number, readonly verbose = 0) {
    super();
  }
  override onEpochBegin(epoch: number): void {
    const optimizer = optimizerOf(this.model, 'LearningRateScheduler');
    const lr = this.schedule(epoch, optimizer.learningRate);
    if (typeof lr !== 'number' || !Number.isFinite(lr)) {
      throw new Error(`LearningRateScheduler: the schedule must return a finite number, got ${String(lr)}`);
    }
    optimizer.learningRate = lr;
    if (this.verbose > 0) printMessage(`\nEpoch ${epoch + 1}: LearningRateScheduler setting learning rate to ${pyRepr(lr)}.`);
  }
  override onEpochEnd(_epoch: number, logs?: Logs): void {
    if (logs !== undefined) logs.learning_rate = optimizerOf(this.model, 'LearningRateScheduler').learningRate;
  }
}

export interface ReduceLROnPlateauOptions {
  readonly monitor?: string;
  readonly factor?: number;
  readonly patience?: number;
  readonly verbose?: number;
  readonly mode?: Mode;
  readonly minDelta?: number;
  readonly cooldown?: number;
  readonly minLr?: number;
}

const REDUCE_LR_OPTIONS = optionKeys<ReduceLROnPlateauOptions>({
  monitor: true, factor: true, patience: true, verbose: true, mode: true, minDelta: true, cooldown: true, minLr: true,
});

/** Multiplies the learning rate by `factor` when the monitored value plateaus (Keras 3's ReduceLROnPlateau). */
export class ReduceLROnPlateau extends Callback {
  readonly monitor: string;
  readonly factor: number;
  readonly patience: number;
  readonly verbose: number;
  readonly mode: Mode;
  readonly minDelta: number;
  readonly cooldown: number;
  readonly minLr: number;
  wait = 0;
  cooldownCounter = 0;
  best = Infinity;
  private maximize = false;

  constructor(options: ReduceLROnPlateauOptions = {}) {
    super();
    checkOptions(options, REDUCE_LR_OPTIONS, 'ReduceLROnPlateau');
    this.monitor = options.monitor ?? 'val_loss';
    this.factor = options.factor ?? 0.1;
    this.patience = options.patience ?? 10;
    this.verbose = options.verbose ?? 0;
    this.mode = options.mode ?? 'auto';
    this.minDelta = options.minDelta ?? 1e-4;
    this.cooldown = options.cooldown ?? 0;
    this.minLr = options.minLr ?? 0;
    if (this.factor >= 1) throw new Error('ReduceLROnPlateau does not support a factor >= 1.0.');
  }

  private reset(): void {
    // Keras: 'min', or 'auto' without 'acc' in the monitored name, minimises.
    this.maximize = this.mode === 'max' || (this.mode === 'auto' && this.monitor.includes('acc'));
    this.best = this.maximize ? -Infinity : Infinity;
    this.cooldownCounter = 0;
    this.wait = 0;
  }
  override onTrainBegin(): void {
    this.reset();
  }
  private improved(current: number): boolean {
    return this.maximize ? current > this.best + this.minDelta : current < this.best - this.minDelta;
  }

  override onEpochEnd(epoch: number, logs: Logs = {}): void {
    const optimizer = optimizerOf(this.model, 'ReduceLROnPlateau');
    logs.learning_rate = optimizer.learningRate;
    const current = logs[this.monitor];
    if (current === undefined) {
      console.warn(`Learning rate reduction is conditioned on metric \`${this.monitor}\` which is not available. Available metrics are: ${Object.keys(logs).join(',')}.`);
      return;
    }
    const inCooldown = () => this.cooldownCounter > 0;
    if (inCooldown()) {
      this.cooldownCounter -= 1;
      this.wait = 0;
    }
    if (this.improved(current)) {
      this.best = current;
      this.wait = 0;
    } else if (!inCooldown()) {
      this.wait += 1;
      if (this.wait >= this.patience) {
        const old = optimizer.learningRate;
        if (old > Math.fround(this.minLr)) {
          const next = Math.max(old * this.factor, this.minLr);
          optimizer.learningRate = next;
          if (this.verbose > 0) printMessage(`\nEpoch ${epoch + 1}: ReduceLROnPlateau reducing learning rate to ${pyRepr(next)}.`);
          this.cooldownCounter = this.cooldown;
          this.wait = 0;
        }
      }
    }
  }
}

/** Stops training at the first batch whose loss is NaN or infinite. */
export class TerminateOnNaN extends Callback {
  override onBatchEnd(batch: number, logs: Logs = {}): void {
    const loss = logs.loss;
    if (loss !== undefined && !Number.isFinite(loss)) {
      printMessage(`Batch ${batch}: Invalid loss, terminating training`);
      if (this.model !== undefined) this.model.stopTraining = true;
    }
  }
}

export interface CSVLoggerOptions {
  readonly separator?: string;
  readonly append?: boolean;
}

const CSV_LOGGER_OPTIONS = optionKeys<CSVLoggerOptions>({ separator: true, append: true });

/**
 * Streams epoch logs to a CSV file, as Keras's CSVLogger: an 'epoch' column then the log keys
 * sorted, Python float formatting, CRLF line ends (Python's csv excel dialect).
 */
export class CSVLogger extends Callback {
  readonly separator: string;
  readonly append: boolean;
  private keys?: string[];
  private writeHeader = true;

  constructor(readonly filename: string, options: CSVLoggerOptions = {}) {
    super();
    checkOptions(options, CSV_LOGGER_OPTIONS, 'CSVLogger');
    this.separator = options.separator ?? ',';
    this.append = options.append ?? false;
  }

  override onTrainBegin(): void {
    this.keys = undefined;
    this.writeHeader = !(this.append && existsSync(this.filename) && statSync(this.filename).size > 0);
    if (!this.append) writeFileSync(this.filename, '');
  }

  private row(cells: readonly string[]): string {
    const quote = (c: string) => (c.includes(this.separator) || c.includes('"') || /[\r\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c);
    return `${cells.map(quote).join(this.separator)}\r\n`;
  }

  override onEpochEnd(epoch: number, logs: Logs = {}): void {
    if (this.keys === undefined) this.keys = Object.keys(logs).sort();
    let text = '';
    if (this.writeHeader) {
      text += this.row(['epoch', ...this.keys]);
      this.writeHeader = false;
    }
    text += this.row([String(epoch), ...this.keys.map((k) => (k in logs ? pyRepr(logs[k]) : 'NA'))]);
    appendFileSync(this.filename, text);
  }
}
