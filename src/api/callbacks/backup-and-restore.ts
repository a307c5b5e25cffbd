/**
 * Keras 3's BackupAndRestore: backs the training state up into `backupDir` (the model's weights
 * with the optimizer state in `latest.weights.h5`, the epoch reached in `training_metadata.json`)
 * every epoch or every `saveFreq` batches; a later fit() with the same callback restores that
 * state in onTrainBegin and continues where the interrupted run stopped. Both files are written
 * atomically (temporary file, then rename), so an interruption during a backup leaves the
 * previous backup whole.
 *
 * Exactness: the interrupted-then-resumed run ends with the same weights as an uninterrupted one.
 * Shuffling is a function of (session seed, epoch), so it repeats given the same session seed;
 * random layers (Dropout) draw per-run seeds from the session's run counter, which the backup
 * records and the restore sets back. Unlike Keras 3.15, which writes the batch but restarts the
 * epoch from its first batch, a batch-level backup resumes at the batch after the one saved (its
 * epoch's logs then cover the resumed batches only); metadata written by Keras (no
 * `keras_jit_batches_completed`) resumes at the start of the epoch, as Keras does.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { getSession } from '../backend.js';
import { Callback, type Logs } from '../callbacks.js';
import { checkOptions, optionKeys } from '../strict-options.js';
import type { Model } from '../models/model.js';
import type { TrainableModel } from '../training/types.js';
import { BatchCounter, checkSaveFreq, type SaveFreq } from './save-freq.js';

export interface BackupAndRestoreOptions {
  /** 'epoch', or back up after every this many training batches. */
  readonly saveFreq?: SaveFreq;
  /** Keep the previous backup as `*.bkp` and fall back to it when the latest cannot be read. */
  readonly doubleCheckpoint?: boolean;
  /** Remove `backupDir` when fit() finishes (default true). */
  readonly deleteCheckpoint?: boolean;
}

const OPTIONS = optionKeys<BackupAndRestoreOptions>({ saveFreq: true, doubleCheckpoint: true, deleteCheckpoint: true });

/** training_metadata.json: Keras's `epoch` and `batch`, plus what exact resumption needs. */
interface TrainingMetadata {
  readonly epoch: number;
  readonly batch: number;
  readonly keras_jit_batches_completed?: number;
  readonly keras_jit_session_runs?: number;
}

export class BackupAndRestore extends Callback {
  readonly backupDir: string;
  readonly saveFreq: SaveFreq;
  readonly doubleCheckpoint: boolean;
  readonly deleteCheckpoint: boolean;
  private readonly weightsPath: string;
  private readonly metadataPath: string;
  private readonly batches: BatchCounter;
  private currentEpoch = 0;

  constructor(backupDir: string, options: BackupAndRestoreOptions = {}) {
    super();
    checkOptions(options, OPTIONS, 'BackupAndRestore');
    if (typeof backupDir !== 'string' || backupDir === '') throw new Error('Empty `backup_dir` argument passed');
    this.backupDir = backupDir;
    this.saveFreq = options.saveFreq ?? 'epoch';
    this.doubleCheckpoint = options.doubleCheckpoint ?? false;
    this.deleteCheckpoint = options.deleteCheckpoint ?? true;
    if (this.saveFreq !== 'epoch' && !Number.isInteger(this.saveFreq)) {
      throw new Error(`Invalid value for argument \`save_freq\`. Received: save_freq=${String(this.saveFreq)}. Expected either 'epoch' or an integer value.`);
    }
    checkSaveFreq(this.saveFreq, 'BackupAndRestore');
    this.batches = new BatchCounter(this.saveFreq);
    this.weightsPath = join(backupDir, 'latest.weights.h5');
    this.metadataPath = join(backupDir, 'training_metadata.json');
  }

  private get prevWeightsPath(): string {
    return `${this.weightsPath}.bkp`;
  }
  private get prevMetadataPath(): string {
    return `${this.metadataPath}.bkp`;
  }

  private theModel(): Model {
    const model = this.model as unknown as Model | undefined;
    if (model === undefined) throw new Error('BackupAndRestore: no model; the callback runs inside fit()');
    return model;
  }

  override async onTrainBegin(): Promise<void> {
    try {
      await this.load();
    } catch (e) {
      // The latest backup may be corrupt (an interrupted copy, a bad disk): fall back to the previous one.
      if (!existsSync(this.prevWeightsPath)) throw e;
      copyFileSync(this.prevWeightsPath, this.weightsPath);
      if (existsSync(this.prevMetadataPath)) copyFileSync(this.prevMetadataPath, this.metadataPath);
      else rmSync(this.metadataPath, { force: true });
      await this.load();
    }
  }

  private async load(): Promise<void> {
    const model = this.theModel();
    if (!model.built) {
      throw new Error(`To use the BackupAndRestore callback, you model must be built before you call \`fit()\`. Model ${model.name} is unbuilt. You can build it beforehand by calling it on a batch of data.`);
    }
    const session = getSession();
    if (existsSync(this.weightsPath)) {
      const { readHdf5 } = await import('../saving/hdf5/read.js');
      const { loadWeightsFromTree } = await import('../saving/weights/weights-h5.js');
      const { restoreOptimizer } = await import('../saving/weights/optimizer-state.js');
      const root = await readHdf5(new Uint8Array(readFileSync(this.weightsPath)), this.weightsPath);
      loadWeightsFromTree(model, root, this.weightsPath);
      restoreOptimizer(model, root, this.weightsPath);
    }
    if (existsSync(this.metadataPath)) {
      const meta = parseMetadata(readFileSync(this.metadataPath, 'utf8'), this.metadataPath);
      (model as TrainableModel).resumeAt = { epoch: meta.epoch, step: meta.keras_jit_batches_completed ?? 0 };
      if (meta.keras_jit_session_runs !== undefined) session.restoreRunCount(meta.keras_jit_session_runs);
    }
  }

  override onEpochBegin(epoch: number): void {
    this.currentEpoch = epoch;
  }

  override async onTrainBatchEnd(batch: number, _logs?: Logs): Promise<void> {
    if (this.batches.shouldSave(batch)) await this.save({ epoch: this.currentEpoch, batch, keras_jit_batches_completed: batch + 1 });
  }

  override async onEpochEnd(epoch: number): Promise<void> {
    this.currentEpoch = epoch + 1;
    this.batches.resetEpoch();
    if (this.saveFreq === 'epoch') await this.save({ epoch: epoch + 1, batch: 0, keras_jit_batches_completed: 0 });
  }

  private async save(meta: TrainingMetadata): Promise<void> {
    const model = this.theModel();
    const { kerasWeightsTree } = await import('../saving/keras-file.js');
    const { writeHdf5 } = await import('../saving/hdf5/write.js');
    const { writeFileAtomic } = await import('../saving/weights/files.js');
    mkdirSync(this.backupDir, { recursive: true });
    if (this.doubleCheckpoint && existsSync(this.weightsPath)) copyFileSync(this.weightsPath, this.prevWeightsPath);
    if (this.doubleCheckpoint && existsSync(this.metadataPath)) copyFileSync(this.metadataPath, this.prevMetadataPath);
    await writeFileAtomic(this.weightsPath, await writeHdf5(kerasWeightsTree(model, true)));
    const full: TrainingMetadata = { ...meta, keras_jit_session_runs: getSession().runCount };
    await writeFileAtomic(this.metadataPath, new TextEncoder().encode(JSON.stringify(full)));
  }

  override onTrainEnd(): void {
    if (this.deleteCheckpoint && existsSync(this.backupDir)) rmSync(this.backupDir, { recursive: true, force: true });
  }
}

function parseMetadata(text: string, path: string): TrainingMetadata {
  let meta: unknown;
  try {
    meta = JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  const m = meta as Partial<Record<keyof TrainingMetadata, unknown>>;
  const isCount = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0;
  if (typeof meta !== 'object' || meta === null || !isCount(m.epoch)) throw new Error(`${path}: expected an object with an integer "epoch" >= 0, got ${text.slice(0, 200)}`);
  for (const k of ['batch', 'keras_jit_batches_completed', 'keras_jit_session_runs'] as const) {
    if (m[k] !== undefined && !isCount(m[k])) throw new Error(`${path}: "${k}" must be an integer >= 0, got ${JSON.stringify(m[k])}`);
  }
  return meta as TrainingMetadata;
}
