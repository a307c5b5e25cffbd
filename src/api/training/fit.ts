/**
 * fit(): Keras's training loop. Everything that can fail on the data or the model (shapes,
 * sample counts, graph construction, compilation of every program the run needs) happens before
 * the first step, so a failed call leaves the weights as they were. Each step then only copies
 * the batch's rows into the program inputs, runs the program and reads back a few scalars.
 */
import { debugLevel } from '../../runtime/debug.js';
import { getSession } from '../backend.js';
import type { Callback, History } from '../callbacks.js';
import { whileTraining } from './busy.js';
import { fitCallbacks } from './fit-callbacks.js';
import { fitStream } from './fit-stream.js';
import { isBatchSource, type BatchSource } from './stream.js';
import { checkValidationFreq, inMemoryValidator, shouldValidate, streamValidator, validationRuns, type ValidationFreq } from './validation.js';
import { BatchFeeder, BatchPlan } from './batches.js';
import { identityOrder, shuffleOrder, sliceRows, splitAt } from './data.js';
import { classWeightsToSampleWeights, type ClassWeight } from './sample-weights.js';
import { prepareDataset, type Dataset } from './evaluate.js';
import { LogAccumulator } from './logs.js';
import type { Tensor } from '../tensor.js';
import type { DataLike, Logs, TrainableModel } from './types.js';
import { checkOptions, optionKeys } from '../strict-options.js';

export interface FitOptions {
  readonly epochs?: number;
  readonly batchSize?: number;
  /** Weights of the samples' losses (and of weightedMetrics): one per sample, or one array per output. */
  readonly sampleWeight?: DataLike;
  /** Class index to weight, for a single output: each sample weighs what its class does. */
  readonly classWeight?: ClassWeight;
  /** [x, y] or [x, y, sampleWeight] to evaluate at the end of every epoch (logged as val_loss, val_accuracy, ...). */
  readonly validationData?: readonly [DataLike, DataLike] | readonly [DataLike, DataLike, DataLike] | BatchSource;
  /** Fraction of the samples, taken from the end before shuffling, held out for validation. */
  readonly validationSplit?: number;
  readonly validationBatchSize?: number;
  readonly shuffle?: boolean;
  readonly callbacks?: readonly Callback[];
  /** 0 silent, 1 progress bar, 2 one line an epoch. */
  readonly verbose?: number;
  /** The epoch to start at (for resuming a run); epochs are counted from 0 up to `epochs`. */
  readonly initialEpoch?: number;
  /** Streamed data only: batches per epoch (without it an epoch reads the source to its end). */
  readonly stepsPerEpoch?: number;
  /** Streamed validationData only: batches per validation run. */
  readonly validationSteps?: number;
  /** Validate every N epochs, or after the listed epochs (counted from 1). */
  readonly validationFreq?: ValidationFreq;
}

const FIT_OPTIONS = optionKeys<FitOptions>({
  epochs: true, batchSize: true, sampleWeight: true, classWeight: true, validationData: true, validationSplit: true, validationBatchSize: true,
  shuffle: true, callbacks: true, verbose: true, initialEpoch: true, stepsPerEpoch: true, validationSteps: true, validationFreq: true,
});

function checkInteger(name: string, v: number, min: number): void {
  if (!Number.isInteger(v) || v < min) throw new Error(`fit: ${name} must be an integer >= ${min}, got ${v}`);
}

/** Training data and (optionally) validation data, split as Keras does. */
function prepare(model: TrainableModel, x: DataLike, y: DataLike, options: FitOptions): { train: Dataset; validation?: Dataset } {
  const train = weighByClass(prepareDataset(model, x, y, 'fit', options.sampleWeight), options);
  if (options.stepsPerEpoch !== undefined) throw new Error('fit: stepsPerEpoch applies to streamed data (an iterable of batches); with in-memory arrays an epoch is one pass over the samples');
  if (options.validationData === undefined && options.validationSplit === undefined) {
    for (const k of ['validationSteps', 'validationFreq', 'validationBatchSize'] as const) {
      if (options[k] !== undefined) throw new Error(`fit: ${k} is only used with validationData or validationSplit`);
    }
  }
  if (options.validationSteps !== undefined && !isBatchSource(options.validationData)) {
    throw new Error('fit: validationSteps applies to streamed validationData; in-memory validation data is evaluated whole');
  }
  if (isBatchSource(options.validationData)) {
    if (options.validationSplit !== undefined && options.validationSplit !== 0) throw new Error('fit: give either validationData or validationSplit, not both');
    return { train };
  }
  if (options.validationData !== undefined) {
    if (options.validationSplit !== undefined && options.validationSplit !== 0) {
      throw new Error('fit: give either validationData or validationSplit, not both (Keras would use validationData and drop validationSplit)');
    }
    const triple = options.validationData as readonly unknown[];
    if (!Array.isArray(triple) || (triple.length !== 2 && triple.length !== 3)) {
      throw new Error(`fit: validationData must be [x, y] or [x, y, sampleWeight], got ${Array.isArray(triple) ? `an array of ${triple.length}` : typeof triple}`);
    }
    const [vx, vy, vw] = options.validationData as readonly [DataLike, DataLike, DataLike?];
    return { train, validation: prepareDataset(model, vx, vy, 'fit', vw, 'validationData ') };
  }
  const split = options.validationSplit ?? 0;
  if (split === 0) return { train };
  const at = splitAt(train.n, split);
  const head = (ts: readonly Tensor[]) => ts.map((t) => sliceRows(t, 0, at));
  const tail = (ts: readonly Tensor[]) => ts.map((t) => sliceRows(t, at, train.n));
  return {
    train: { xs: head(train.xs), ys: head(train.ys), ws: head(train.ws), n: at },
    validation: { xs: tail(train.xs), ys: tail(train.ys), ws: tail(train.ws), n: train.n - at },
  };
}

/** classWeight as the sample weights it stands for (Keras refuses both at once). */
function weighByClass(data: Dataset, options: FitOptions): Dataset {
  if (options.classWeight === undefined) return data;
  if (options.sampleWeight !== undefined) throw new Error('fit: you cannot give classWeight and sampleWeight at the same time');
  return { ...data, ws: [classWeightsToSampleWeights(options.classWeight, data.ys, 'fit')] };
}

/**
 * Keras's fit on in-memory arrays (x, y) or on streamed batches (x an iterable, y undefined).
 * A model trains one fit() at a time: a second one is refused before it touches anything.
 */
export function fitModel(model: TrainableModel, x: DataLike | BatchSource, y: DataLike | undefined, options: FitOptions = {}): Promise<History> {
  return whileTraining(model, 'fit', () => {
    if (isBatchSource(x)) {
      if (y !== undefined) throw new Error('fit: with streamed data the targets come in the batches ([x, y]); y must be undefined');
      return fitStream(model, x, options as Parameters<typeof fitStream>[2]);
    }
    return fitArrays(model, x, y, options);
  });
}

async function fitArrays(model: TrainableModel, x: DataLike, y: DataLike | undefined, options: FitOptions): Promise<History> {
  checkOptions(options, FIT_OPTIONS, 'fit');
  checkValidationFreq(options.validationFreq);
  if (y === undefined) throw new Error('fit: y (the targets) is required');
  const compiled = model.compiled;
  if (compiled === undefined) throw new Error(`fit: the model '${model.name}' must be compiled before training; call model.compile({ optimizer, loss }) first`);
  const epochs = options.epochs ?? 1;
  const initialEpoch = options.initialEpoch ?? 0;
  const batchSize = options.batchSize ?? 32;
  const verbose = options.verbose ?? 1;
  checkInteger('epochs', epochs, 0);
  checkInteger('initialEpoch', initialEpoch, 0);
  checkInteger('batchSize', batchSize, 1);

  const session = getSession();
  // An unset learning phase trains with 1 and validates with 0; a forced phase applies to both.
  const phase = session.learningPhase;
  const training = phase === undefined ? true : phase === 1;
  const { train, validation } = prepare(model, x, y, options);

  const vars = model.trainableVariables();
  compiled.optimizer.build(session, vars);
  const plan = new BatchPlan(session, model, 'train', train.n, batchSize, training, train.xs, train.ys, train.ws);
  const valPass = isBatchSource(options.validationData)
    ? streamValidator(model, options.validationData, options.validationSteps, phase === 1, validationRuns(initialEpoch, epochs, options.validationFreq))
    : validation === undefined ? undefined : inMemoryValidator(session, model, validation, options.validationBatchSize ?? batchSize, phase === 1);

  const { history, list: callbacks } = fitCallbacks(options.callbacks ?? [], verbose);
  callbacks.configure(model, { verbose, epochs, steps: plan.steps });

  const xFeed = new BatchFeeder(train.xs);
  const yFeed = new BatchFeeder(train.ys);
  const wFeed = new BatchFeeder(train.ws);
  const order = identityOrder(train.n);
  const acc = new LogAccumulator(plan.entries);
  model.stopTraining = false;

  await callbacks.call((c) => c.onTrainBegin());
  const start = takeResumePoint(model, initialEpoch);
  if (start.step > plan.steps) throw new Error(`fit: the run to resume had completed ${start.step} batches of epoch ${start.epoch + 1}, but this fit has ${plan.steps} batches an epoch; resume with the same data and batchSize`);
  let epochLogs: Logs = {};
  for (let epoch = start.epoch; epoch < epochs; epoch++) {
    await callbacks.call((c) => c.onEpochBegin(epoch));
    if (options.shuffle ?? true) shuffleOrder(order, session.seed, epoch);
    acc.reset();
    for (let step = epoch === start.epoch ? start.step : 0; step < plan.steps; step++) {
      await callbacks.call((c) => c.onTrainBatchBegin(step));
      const p = plan.program(step);
      xFeed.feed(p, order, step * plan.batch);
      yFeed.feed(p, order, step * plan.batch, train.xs.length);
      wFeed.feed(p, order, step * plan.batch, train.xs.length + train.ys.length);
      session.run(p.program);
      acc.add(p);
      const logs = acc.logs();
      await callbacks.call((c) => c.onTrainBatchEnd(step, logs));
      if (model.stopTraining) break;
    }
    epochLogs = acc.logs();
    if (valPass !== undefined && shouldValidate(epoch, options.validationFreq)) Object.assign(epochLogs, await valPass.run());
    await callbacks.call((c) => c.onEpochEnd(epoch, epochLogs));
    // KERAS_JIT_DEBUG=2: where this epoch's time went, per kernel (after the progress bar's line).
    if (debugLevel() >= 2) process.stderr.write(session.takeProfileReport(`epoch ${epoch + 1}/${epochs}`));
    if (model.stopTraining) break;
  }
  if (epochs > start.epoch) compiled.optimizer.finalizeVariableValues(vars);
  await callbacks.call((c) => c.onTrainEnd(epochLogs));
  return history;
}

/**
 * Where training starts: a restore point set by a callback in onTrainBegin (BackupAndRestore),
 * else initialEpoch. As Keras's `self._initial_epoch or initial_epoch`, a restored epoch 0 at its
 * first batch means initialEpoch.
 */
export function takeResumePoint(model: TrainableModel, initialEpoch: number): { epoch: number; step: number } {
  const at = model.resumeAt;
  model.resumeAt = undefined;
  if (at === undefined || (at.epoch === 0 && at.step === 0)) return { epoch: initialEpoch, step: 0 };
  return at;
}
