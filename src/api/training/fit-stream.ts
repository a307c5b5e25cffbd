/**
 * fit() on streamed batches. The first batch is read, checked and its program compiled before
 * onTrainBegin, so the common mistakes (a wrong shape, a missing y) fail before any weight
 * changes; a later batch that does not match fails naming its batch and epoch.
 */
import { debugLevel } from '../../runtime/debug.js';
import { getSession } from '../backend.js';
import type { Callback, History } from '../callbacks.js';
import { checkOptions, optionKeys } from '../strict-options.js';
import { fitCallbacks } from './fit-callbacks.js';
import { LogAccumulator } from './logs.js';
import { classWeightsToSampleWeights, type ClassWeight } from './sample-weights.js';
import { BatchReader, batchDataset, checkSteps, isBatchSource, type BatchSource, type StreamBatch } from './stream.js';
import { BatchShapeGuard, batchLabel, feedBatch } from './stream-loops.js';
import type { Dataset } from './evaluate.js';
import { prepareDataset } from './evaluate.js';
import { checkValidationFreq, inMemoryValidator, shouldValidate, streamValidator, validationRuns, type ValidationFreq, type Validator } from './validation.js';
import type { DataLike, Logs, TrainableModel } from './types.js';

export interface FitStreamOptions {
  readonly epochs?: number;
  /** Batches per epoch; without it an epoch reads the source to its end (and the source is opened afresh each epoch). */
  readonly stepsPerEpoch?: number;
  readonly classWeight?: ClassWeight;
  /** [x, y], [x, y, sampleWeight], or a stream of batches. */
  readonly validationData?: readonly [DataLike, DataLike] | readonly [DataLike, DataLike, DataLike] | BatchSource;
  readonly validationSteps?: number;
  readonly validationFreq?: ValidationFreq;
  readonly validationBatchSize?: number;
  readonly callbacks?: readonly Callback[];
  readonly verbose?: number;
  readonly initialEpoch?: number;
}

const FIT_STREAM_OPTIONS = optionKeys<FitStreamOptions>({
  epochs: true, stepsPerEpoch: true, classWeight: true, validationData: true, validationSteps: true, validationFreq: true,
  validationBatchSize: true, callbacks: true, verbose: true, initialEpoch: true,
});
/** fit() options that mean something only for in-memory arrays (Keras's rules for datasets and generators). */
const STREAM_UNSUPPORTED = {
  batchSize: 'the batches come from the data source; do not give batchSize with streamed data',
  shuffle: 'streamed batches are used in the order the source yields them; shuffle in the source',
  sampleWeight: 'with streamed data the sample weights come in the batches: yield [x, y, sampleWeight]',
  validationSplit: 'a stream cannot be split; give validationData',
};

function integer(name: string, v: number, min: number): void {
  if (!Number.isInteger(v) || v < min) throw new Error(`fit: ${name} must be an integer >= ${min}, got ${v}`);
}

function makeValidator(model: TrainableModel, options: FitStreamOptions, training: boolean): Validator | undefined {
  const vd = options.validationData;
  if (vd === undefined) {
    for (const k of ['validationSteps', 'validationFreq', 'validationBatchSize'] as const) {
      if (options[k] !== undefined) throw new Error(`fit: ${k} is only used with validationData`);
    }
    return undefined;
  }
  if (isBatchSource(vd)) {
    if (options.validationBatchSize !== undefined) throw new Error('fit: validationBatchSize cannot be given with streamed validationData; its batches come from the source');
    return streamValidator(model, vd, options.validationSteps, training, validationRuns(options.initialEpoch ?? 0, options.epochs ?? 1, options.validationFreq));
  }
  if (options.validationSteps !== undefined) throw new Error('fit: validationSteps applies to streamed validationData; in-memory validationData is evaluated whole');
  const triple = vd as readonly unknown[];
  if (!Array.isArray(triple) || (triple.length !== 2 && triple.length !== 3)) {
    throw new Error(`fit: validationData must be [x, y], [x, y, sampleWeight] or a stream of batches, got ${Array.isArray(triple) ? `an array of ${triple.length}` : typeof triple}`);
  }
  const [vx, vy, vw] = vd as readonly [DataLike, DataLike, DataLike?];
  const data = prepareDataset(model, vx, vy, 'fit', vw, 'validationData ');
  return inMemoryValidator(getSession(), model, data, options.validationBatchSize ?? 32, training);
}

function weigh(data: Dataset, classWeight: ClassWeight | undefined, what: string): Dataset {
  if (classWeight === undefined) return data;
  if (data.ws.length > 0) throw new Error(`${what}: the batch has sample weights and fit() was given classWeight; give one or the other`);
  return { ...data, ws: [classWeightsToSampleWeights(classWeight, data.ys, what)] };
}

export async function fitStream(model: TrainableModel, source: BatchSource, options: FitStreamOptions = {}): Promise<History> {
  checkOptions(options, FIT_STREAM_OPTIONS, 'fit (streamed data)', STREAM_UNSUPPORTED);
  const compiled = model.compiled;
  if (compiled === undefined) throw new Error(`fit: the model '${model.name}' must be compiled before training; call model.compile({ optimizer, loss }) first`);
  const epochs = options.epochs ?? 1;
  const initialEpoch = options.initialEpoch ?? 0;
  const verbose = options.verbose ?? 1;
  integer('epochs', epochs, 0);
  integer('initialEpoch', initialEpoch, 0);
  checkSteps('stepsPerEpoch', options.stepsPerEpoch, 'fit');
  checkValidationFreq(options.validationFreq);
  const stepsPerEpoch = options.stepsPerEpoch;

  const session = getSession();
  const phase = session.learningPhase;
  const training = phase === undefined ? true : phase === 1;
  const validator = makeValidator(model, options, phase === 1);
  const vars = model.trainableVariables();
  compiled.optimizer.build(session, vars);

  const reader = new BatchReader(source, stepsPerEpoch === undefined ? 'perPass' : 'continuous', 'fit');
  const guard = new BatchShapeGuard();
  const isLastStep = (epoch: number, step: number) => epoch === epochs - 1 && stepsPerEpoch !== undefined && step === stepsPerEpoch - 1;
  const readBatch = async (epoch: number, step: number): Promise<Dataset | undefined> => {
    const batch: StreamBatch | undefined = await reader.next(!isLastStep(epoch, step));
    if (batch === undefined) return undefined;
    const what = batchLabel('fit', step, epoch);
    const data = weigh(batchDataset(model, batch, what, true), options.classWeight, what);
    guard.check(data, what);
    return data;
  };

  // The first batch before anything runs: its errors, and its compilation, precede every update.
  let ahead: Dataset | undefined;
  if (epochs > initialEpoch) {
    reader.beginPass();
    ahead = await readBatch(initialEpoch, 0);
    if (ahead === undefined) throw new Error('fit: the data yielded no batches');
    feedBatch(model, 'train', ahead, training);
  }

  const { history, list: callbacks } = fitCallbacks(options.callbacks ?? [], verbose);
  callbacks.configure(model, { verbose, epochs, steps: stepsPerEpoch ?? 0 });
  model.stopTraining = false;
  await callbacks.call((c) => c.onTrainBegin());
  const resume = model.resumeAt;
  model.resumeAt = undefined;
  if (resume !== undefined && (resume.epoch !== 0 || resume.step !== 0)) {
    // The source has already been read ahead for initialEpoch; skipping to a restored epoch would need a re-readable source.
    throw new Error(`fit: resuming a run on streamed data (BackupAndRestore restored epoch ${resume.epoch}, batch ${resume.step}) is not supported; pass in-memory arrays, or start a new fit with initialEpoch: ${resume.epoch}`);
  }
  let epochLogs: Logs = {};
  let ranOut = false;
  for (let epoch = initialEpoch; epoch < epochs && !ranOut; epoch++) {
    await callbacks.call((c) => c.onEpochBegin(epoch));
    if (ahead === undefined) reader.beginPass();
    let acc: LogAccumulator | undefined;
    let step = 0;
    for (; stepsPerEpoch === undefined || step < stepsPerEpoch; step++) {
      const data = ahead ?? (await readBatch(epoch, step));
      ahead = undefined;
      if (data === undefined) break;
      await callbacks.call((c) => c.onTrainBatchBegin(step));
      const p = feedBatch(model, 'train', data, training);
      session.run(p.program);
      acc ??= new LogAccumulator(p.entries);
      acc.add(p);
      const logs = acc.logs();
      await callbacks.call((c) => c.onTrainBatchEnd(step, logs));
      if (model.stopTraining) break;
    }
    if (acc === undefined || (stepsPerEpoch !== undefined && step < stepsPerEpoch && !model.stopTraining)) {
      // Keras's warning and behaviour: training stops where the data did.
      console.warn(`fit: your input ran out of data; interrupting training. Make sure that your data source can generate at least stepsPerEpoch * epochs batches${stepsPerEpoch === undefined ? ', or give a function returning a fresh iterable for each epoch' : ` (${stepsPerEpoch * (epochs - initialEpoch)})`}.`);
      ranOut = true;
      if (acc === undefined) break;
    }
    epochLogs = acc.logs();
    if (validator !== undefined && shouldValidate(epoch, options.validationFreq)) Object.assign(epochLogs, await validator.run());
    await callbacks.call((c) => c.onEpochEnd(epoch, epochLogs));
    if (debugLevel() >= 2) process.stderr.write(session.takeProfileReport(`epoch ${epoch + 1}/${epochs}`));
    if (model.stopTraining) break;
  }
  if (epochs > initialEpoch) compiled.optimizer.finalizeVariableValues(vars);
  await callbacks.call((c) => c.onTrainEnd(epochLogs));
  return history;
}
