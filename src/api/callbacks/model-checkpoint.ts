/**
 * Keras 3's ModelCheckpoint: saves the model (`model.save`, `.keras` / `.h5`) or its weights
 * (`model.saveWeights`, `.weights.h5`) at the end of every epoch or every `saveFreq` batches,
 * optionally only when the monitored value improves. The filepath is a Python format template
 * filled with `epoch` (from 1), `batch` (from 1, batch saves only) and the logs. Both save paths
 * write a temporary file and rename it, so an interrupted save never leaves a half-written file.
 */
import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { Callback, type Logs } from '../callbacks.js';
import { checkOptions, optionKeys } from '../strict-options.js';
import { checkMode, monitorDirection, type Direction, type Mode } from './monitor.js';
import { pyFormat, pyFormatFloat, PyKeyError, type PyValue } from './py-format.js';
import { checkSaveFreq, type SaveFreq, BatchCounter } from './save-freq.js';

export interface ModelCheckpointOptions {
  /** The log key compared for saveBestOnly (default 'val_loss'). */
  readonly monitor?: string;
  /** 1 prints a line whenever the callback saves or decides not to. */
  readonly verbose?: number;
  /** Save only when `monitor` improves on the best value so far. */
  readonly saveBestOnly?: boolean;
  /** `model.saveWeights` (filepath ending in `.weights.h5`) instead of `model.save`. */
  readonly saveWeightsOnly?: boolean;
  readonly mode?: Mode;
  /** 'epoch', or save after every this many training batches. */
  readonly saveFreq?: SaveFreq;
  /** The "best" value before the first save (saveBestOnly). */
  readonly initialValueThreshold?: number;
}

const OPTIONS = optionKeys<ModelCheckpointOptions>({
  monitor: true, verbose: true, saveBestOnly: true, saveWeightsOnly: true, mode: true, saveFreq: true, initialValueThreshold: true,
});

/** What ModelCheckpoint needs of a model beyond training: Model's save methods. */
interface SavableModel {
  save(path: string, options?: { readonly overwrite?: boolean }): Promise<void>;
  saveWeights(path: string): Promise<void>;
}

function printMessage(text: string): void {
  process.stdout.write(`${text}\n`);
}

export class ModelCheckpoint extends Callback {
  readonly filepath: string;
  readonly monitor: string;
  readonly verbose: number;
  readonly saveBestOnly: boolean;
  readonly saveWeightsOnly: boolean;
  readonly mode: Mode;
  readonly saveFreq: SaveFreq;
  /** The best monitored value so far (undefined before the first). */
  best?: number;
  private direction?: Direction;
  private currentEpoch = 0;
  private readonly batches: BatchCounter;

  constructor(filepath: string, options: ModelCheckpointOptions = {}) {
    super();
    checkOptions(options, OPTIONS, 'ModelCheckpoint');
    if (typeof filepath !== 'string' || filepath === '') throw new Error(`ModelCheckpoint: filepath must be a non-empty string, got ${String(filepath)}`);
    this.filepath = filepath;
    this.monitor = options.monitor ?? 'val_loss';
    this.verbose = options.verbose ?? 0;
    this.saveBestOnly = options.saveBestOnly ?? false;
    this.saveWeightsOnly = options.saveWeightsOnly ?? false;
    this.mode = checkMode(options.mode ?? 'auto', 'ModelCheckpoint');
    this.saveFreq = options.saveFreq ?? 'epoch';
    this.best = options.initialValueThreshold;
    if (this.saveFreq !== 'epoch' && !Number.isInteger(this.saveFreq)) {
      throw new Error(`Unrecognized save_freq: ${String(this.saveFreq)}. Expected save_freq are 'epoch' or integer values`);
    }
    checkSaveFreq(this.saveFreq, 'ModelCheckpoint');
    this.batches = new BatchCounter(this.saveFreq);
    if (this.saveWeightsOnly) {
      if (!filepath.endsWith('.weights.h5')) {
        throw new Error(`When using \`save_weights_only=True\` in \`ModelCheckpoint\`, the filepath provided must end in \`.weights.h5\` (Keras weights format). Received: filepath=${filepath}`);
      }
    } else if (!filepath.endsWith('.keras') && !filepath.endsWith('.h5')) {
      throw new Error(`The filepath provided must end in \`.keras\` (Keras model format). Received: filepath=${filepath}`);
    }
  }

  override onEpochBegin(epoch: number): void {
    this.currentEpoch = epoch;
  }

  override async onTrainBatchEnd(batch: number, logs?: Logs): Promise<void> {
    if (this.batches.shouldSave(batch)) await this.saveModel(this.currentEpoch, batch, logs ?? {});
  }

  override async onEpochEnd(epoch: number, logs?: Logs): Promise<void> {
    this.resolveDirection();
    if (this.saveFreq === 'epoch') await this.saveModel(epoch, undefined, logs ?? {});
  }

  /**
   * Keras sets the direction at the first epoch end (when the metrics are built); a batch-level
   * save before that would call an unset comparison in Keras, so here the first save resolves it.
   */
  private resolveDirection(): Direction {
    this.direction ??= monitorDirection(this.model, this.monitor, this.mode, 'ModelCheckpoint');
    return this.direction;
  }

  /** The path for this save: Keras's `filepath.format(epoch=epoch + 1, [batch=batch + 1,] **logs)`. */
  filePathFor(epoch: number, batch: number | undefined, logs: Logs): string {
    const values: Record<string, PyValue> = {};
    // Keras passes epoch (and batch) first and the logs as **kwargs; a log named 'epoch' is Python's TypeError.
    values.epoch = { int: epoch + 1 };
    if (batch !== undefined && !('batch' in logs)) values.batch = { int: batch + 1 };
    for (const [k, v] of Object.entries(logs)) {
      if (k === 'epoch') throw new Error("str.format() got multiple values for keyword argument 'epoch'");
      values[k] = v;
    }
    try {
      return pyFormat(this.filepath, values);
    } catch (e) {
      if (e instanceof PyKeyError) throw new Error(`Failed to format this callback filepath: "${this.filepath}". Reason: ${e.message}`);
      throw e;
    }
  }

  private shouldSave(epoch: number, logs: Logs, filepath: string): boolean {
    if (!this.saveBestOnly) {
      if (this.verbose > 0) printMessage(`\nEpoch ${epoch + 1}: saving model to ${filepath}`);
      return true;
    }
    const current = logs[this.monitor];
    if (current === undefined) {
      console.warn(`Can save best model only with ${this.monitor} available.`);
      return true;
    }
    const bestText = this.best === undefined ? 'None' : pyFormatFloat(this.best, '.5f');
    const up = this.resolveDirection() === 'up';
    // Keras compares with ops.less / ops.greater: a NaN is never an improvement.
    const improved = this.best === undefined || (up ? current > this.best : current < this.best);
    if (improved) {
      if (this.verbose > 0) printMessage(`\nEpoch ${epoch + 1}: ${this.monitor} improved from ${bestText} to ${pyFormatFloat(current, '.5f')}, saving model to ${filepath}`);
      this.best = current;
      return true;
    }
    if (this.verbose > 0) printMessage(`\nEpoch ${epoch + 1}: ${this.monitor} did not improve from ${bestText}`);
    return false;
  }

  private async saveModel(epoch: number, batch: number | undefined, logs: Logs): Promise<void> {
    const filepath = this.filePathFor(epoch, batch, logs);
    if (!this.shouldSave(epoch, logs, filepath)) return;
    const dir = dirname(filepath);
    if (dir !== '' && dir !== '.') mkdirSync(dir, { recursive: true });
    if (statSync(filepath, { throwIfNoEntry: false })?.isDirectory() === true) {
      throw new Error(`Please specify a non-directory filepath for ModelCheckpoint. Filepath used is an existing directory: ${filepath}`);
    }
    const model = this.model as unknown as Partial<SavableModel> | undefined;
    if (model?.save === undefined || model.saveWeights === undefined) throw new Error('ModelCheckpoint: the model has no save() / saveWeights(); checkpoints need a Sequential or functional Model');
    if (this.saveWeightsOnly) await model.saveWeights(filepath);
    else await model.save(filepath, { overwrite: true });
    if (this.verbose > 0) printMessage(`\nEpoch ${epoch + 1}: finished saving model to ${filepath}`);
  }
}
