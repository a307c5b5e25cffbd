/**
 * The types the training engine shares with models and callbacks: what compile() records, and
 * what the engine needs of a model beyond tracing (its compiled config, the stop flag callbacks
 * raise, and weight access for restoring the best weights).
 */
import type { TraceableModel } from '../engine-types.js';
import type { Loss, LossIdentifier } from '../losses.js';
import type { MetricIdentifier } from '../metrics.js';
import type { Optimizer, OptimizerIdentifier } from '../optimizers.js';
import type { NestedArray, Tensor } from '../tensor.js';

export interface CompileOptions {
  /** Defaults to 'rmsprop', as Keras. */
  readonly optimizer?: OptimizerIdentifier;
  /** One loss for every output, or one per output (array in output order, or by output name). */
  readonly loss?: LossIdentifier | readonly (LossIdentifier | null)[] | Readonly<Record<string, LossIdentifier>>;
  /** For one output a list; for several, a list of lists (one per output) or a record by output name. */
  readonly metrics?: readonly MetricIdentifier[] | readonly (readonly MetricIdentifier[] | MetricIdentifier | null)[] | Readonly<Record<string, MetricIdentifier | readonly MetricIdentifier[]>>;
  /** Scales each output's loss in the total; one number for a single output. */
  readonly lossWeights?: number | readonly number[] | Readonly<Record<string, number>>;
  /** Metrics weighted by the sample weights fit() and evaluate() are given (the same forms as `metrics`). */
  readonly weightedMetrics?: CompileOptions['metrics'];
}

/** What compile() resolved, per model output. Metrics stay identifiers until the label shapes are known ('accuracy'). */
export interface CompiledConfig {
  /** Distinguishes recompilations in program cache keys. */
  readonly id: number;
  readonly optimizer: Optimizer;
  readonly losses: readonly (Loss | null)[];
  readonly lossWeights: readonly number[];
  readonly metrics: readonly (readonly MetricIdentifier[])[];
  readonly weightedMetrics: readonly (readonly MetricIdentifier[])[];
}

/** A model the engine can train: a TraceableModel plus the fields Keras's Model has for training. */
export interface TrainableModel extends TraceableModel {
  compiled?: CompiledConfig;
  /** Set by callbacks (EarlyStopping, TerminateOnNaN) to end fit() after the current batch. */
  stopTraining?: boolean;
  /**
   * Set in onTrainBegin by BackupAndRestore (Keras's `model._initial_epoch`): fit() starts at this
   * epoch and, within it, at this batch, then clears it.
   */
  resumeAt?: { readonly epoch: number; readonly step: number };
  getWeights?(): Tensor[];
  setWeights?(weights: readonly Tensor[]): void;
}

/** One array of samples per model input or output: a tensor, nested JS arrays, a list, or a record by name. */
export type DataLike = Tensor | NestedArray | readonly (Tensor | NestedArray)[] | Readonly<Record<string, Tensor | NestedArray>>;

export type Logs = Record<string, number>;
