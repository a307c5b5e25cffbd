/**
 * Keras's TensorBoard callback: event files under `logDir/train` and `logDir/validation` that
 * TensorBoard reads. Epoch scalars are `epoch_<metric>` (validation values without their val_
 * prefix, in the validation run, as Keras 3 writes them, plus `epoch_learning_rate`); with
 * updateFreq 'batch' or N, the running batch values as `batch_<metric>` every N batches; with
 * histogramFreq N, a histogram of every trainable weight every N epochs.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { getSession } from '../backend.js';
import { Callback, type Logs } from '../callbacks.js';
import { checkOptions, optionKeys } from '../strict-options.js';
import { eventRecord, histogramOf, type SummaryValue } from './event-file.js';

export interface TensorBoardOptions {
  /** 'epoch' (default), 'batch' (every batch) or a number N: batch values every N batches. */
  readonly updateFreq?: 'epoch' | 'batch' | number;
  /** Weight histograms every N epochs; 0 (default) writes none. */
  readonly histogramFreq?: number;
}

const TENSORBOARD_OPTIONS = optionKeys<TensorBoardOptions>({ updateFreq: true, histogramFreq: true });
const TENSORBOARD_UNSUPPORTED = {
  writeGraph: 'the model graph is not written (see utils.plotModel and utils.plotProgram)',
  writeImages: 'weight images are not written',
  writeStepsPerSecond: 'steps per second are not written',
  profileBatch: 'there is no TensorFlow profiler; see KERAS_JIT_DEBUG=2 for per-kernel profiles',
  embeddingsFreq: 'embeddings are not written',
  embeddingsMetadata: 'embeddings are not written',
};

let fileCounter = 0;

/** One event file, appended record by record so a crash loses at most the record being written. */
class EventWriter {
  private fd?: number;
  constructor(readonly dir: string) {}

  private open(): number {
    if (this.fd === undefined) {
      mkdirSync(this.dir, { recursive: true });
      const name = `events.out.tfevents.${Math.floor(Date.now() / 1000)}.${hostname()}.${process.pid}.${fileCounter++}.v2`;
      this.fd = openSync(join(this.dir, name), 'a');
      writeSync(this.fd, eventRecord(Date.now() / 1000, 0, { fileVersion: 'brain.Event:2' }));
    }
    return this.fd;
  }
  write(step: number, values: readonly SummaryValue[]): void {
    if (values.length > 0) writeSync(this.open(), eventRecord(Date.now() / 1000, step, { values }));
  }
  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

export class TensorBoard extends Callback {
  readonly updateFreq: number | 'epoch';
  readonly histogramFreq: number;
  private train?: EventWriter;
  private validation?: EventWriter;
  private globalBatch = 0;

  constructor(readonly logDir = 'logs', options: TensorBoardOptions = {}) {
    super();
    checkOptions(options, TENSORBOARD_OPTIONS, 'TensorBoard', TENSORBOARD_UNSUPPORTED);
    if (typeof logDir !== 'string' || logDir === '') throw new Error(`TensorBoard: logDir must be a directory path, got ${JSON.stringify(logDir)}`);
    const freq = options.updateFreq ?? 'epoch';
    if (freq === 'batch') this.updateFreq = 1;
    else if (freq === 'epoch') this.updateFreq = 'epoch';
    else if (typeof freq === 'number' && Number.isInteger(freq) && freq >= 1) this.updateFreq = freq;
    else throw new Error(`TensorBoard: updateFreq must be 'epoch', 'batch' or an integer >= 1, got ${JSON.stringify(freq)}`);
    this.histogramFreq = options.histogramFreq ?? 0;
    if (!Number.isInteger(this.histogramFreq) || this.histogramFreq < 0) throw new Error(`TensorBoard: histogramFreq must be an integer >= 0, got ${String(options.histogramFreq)}`);
  }

  override onTrainBegin(): void {
    this.train = new EventWriter(join(this.logDir, 'train'));
    this.validation = new EventWriter(join(this.logDir, 'validation'));
    this.globalBatch = 0;
  }

  override onTrainBatchEnd(_batch: number, logs: Logs = {}): void {
    this.globalBatch++;
    if (this.updateFreq === 'epoch' || this.globalBatch % this.updateFreq !== 0) return;
    this.train?.write(this.globalBatch, Object.entries(logs).map(([k, v]) => ({ tag: `batch_${k}`, scalar: v })));
  }

  override onEpochEnd(epoch: number, logs: Logs = {}): void {
    const entries = Object.entries(logs);
    const trainValues: SummaryValue[] = entries.filter(([k]) => !k.startsWith('val_')).map(([k, v]) => ({ tag: `epoch_${k}`, scalar: v }));
    const lr = this.model?.compiled?.optimizer.learningRate;
    if (typeof lr === 'number' && !('learning_rate' in logs)) trainValues.push({ tag: 'epoch_learning_rate', scalar: lr });
    if (this.histogramFreq > 0 && epoch % this.histogramFreq === 0 && this.model !== undefined) {
      const session = getSession();
      for (const v of this.model.trainableVariables()) trainValues.push({ tag: `${v.label}/histogram`, histogram: histogramOf(session.read(v)) });
    }
    this.train?.write(epoch, trainValues);
    this.validation?.write(epoch, entries.filter(([k]) => k.startsWith('val_')).map(([k, v]) => ({ tag: `epoch_${k.slice(4)}`, scalar: v })));
  }

  override onTrainEnd(): void {
    this.train?.close();
    this.validation?.close();
  }
}
