/**
 * trainOnBatch, testOnBatch and predictOnBatch: one step on one batch, through the same cached
 * programs fit(), evaluate() and predict() run (a program is keyed by the batch size and data
 * signature, so repeated calls on batches of one shape compile once). The values returned are
 * the batch's own: Keras resets the metrics at the start of each of these calls.
 */
import { getSession } from '../backend.js';
import { checkOptions, optionKeys } from '../strict-options.js';
import { Tensor, type TensorData } from '../tensor.js';
import { concrete } from '../../ir/types.js';
import { BatchFeeder } from './batches.js';
import { checkInputShapes, identityOrder, toTensors } from './data.js';
import { prepareDataset, type Dataset } from './evaluate.js';
import { beginTraining, endTraining, isTraining } from './busy.js';
import { LogAccumulator } from './logs.js';
import { stepProgram, sigsOf, type GraphKind, type StepProgram } from './programs.js';
import { classWeightsToSampleWeights, type ClassWeight } from './sample-weights.js';
import type { DataLike, Logs, TrainableModel } from './types.js';

export interface TrainOnBatchOptions {
  /** Weights of the samples' losses: one per sample, or one array per output. */
  readonly sampleWeight?: DataLike;
  /** Class index to weight, for a single output. */
  readonly classWeight?: ClassWeight;
  /** Return `{ loss, accuracy, ... }` instead of the values in order. */
  readonly returnDict?: boolean;
}

export interface TestOnBatchOptions {
  readonly sampleWeight?: DataLike;
  readonly returnDict?: boolean;
}

const TRAIN_ON_BATCH_OPTIONS = optionKeys<TrainOnBatchOptions>({ sampleWeight: true, classWeight: true, returnDict: true });
const TEST_ON_BATCH_OPTIONS = optionKeys<TestOnBatchOptions>({ sampleWeight: true, returnDict: true });

/** The loss alone, the values in order, or the record by name (Keras's return_dict). */
export type BatchResult = number | number[] | Logs;

function formatResult(logs: Logs, returnDict: boolean | undefined): BatchResult {
  if (returnDict === true) return logs;
  const values = Object.values(logs);
  return values.length === 1 ? values[0] : values;
}

/** Runs one step of `kind` on the whole of `data` as one batch and returns its logs. */
export function runOneBatch(model: TrainableModel, kind: GraphKind, data: Dataset, training: boolean): { step: StepProgram; logs: Logs } {
  const session = getSession();
  const step = stepProgram(session, model, kind, data.n, training, sigsOf(data.xs), sigsOf(data.ys), sigsOf(data.ws));
  const order = identityOrder(data.n);
  new BatchFeeder(data.xs).feed(step, order, 0);
  new BatchFeeder(data.ys).feed(step, order, 0, data.xs.length);
  new BatchFeeder(data.ws).feed(step, order, 0, data.xs.length + data.ys.length);
  session.run(step.program);
  const acc = new LogAccumulator(step.entries);
  acc.add(step);
  return { step, logs: acc.logs() };
}

function requireCompiled(model: TrainableModel, fn: string): NonNullable<TrainableModel['compiled']> {
  if (model.compiled === undefined) throw new Error(`${fn}: the model '${model.name}' must be compiled first; call model.compile({ optimizer, loss })`);
  return model.compiled;
}

/** One optimizer step on (x, y); the batch's loss and metrics. */
export async function trainOnBatch(model: TrainableModel, x: DataLike, y: DataLike | undefined, options: TrainOnBatchOptions = {}): Promise<BatchResult> {
  checkOptions(options, TRAIN_ON_BATCH_OPTIONS, 'trainOnBatch');
  if (y === undefined) throw new Error('trainOnBatch: y (the targets) is required');
  const compiled = requireCompiled(model, 'trainOnBatch');
  let data = prepareDataset(model, x, y, 'trainOnBatch', options.sampleWeight);
  if (options.classWeight !== undefined) {
    if (options.sampleWeight !== undefined) throw new Error('trainOnBatch: you cannot give classWeight and sampleWeight at the same time');
    data = { ...data, ws: [classWeightsToSampleWeights(options.classWeight, data.ys, 'trainOnBatch')] };
  }
  beginTraining(model, 'trainOnBatch');
  try {
    const session = getSession();
    compiled.optimizer.build(session, model.trainableVariables());
    const phase = session.learningPhase;
    return formatResult(runOneBatch(model, 'train', data, phase === undefined ? true : phase === 1).logs, options.returnDict);
  } finally {
    endTraining(model);
  }
}

/** The loss and metrics of (x, y) as one batch, changing nothing. */
export function testOnBatch(model: TrainableModel, x: DataLike, y: DataLike | undefined, options: TestOnBatchOptions = {}): BatchResult {
  checkOptions(options, TEST_ON_BATCH_OPTIONS, 'testOnBatch');
  if (y === undefined) throw new Error('testOnBatch: y (the targets) is required');
  requireCompiled(model, 'testOnBatch');
  const data = prepareDataset(model, x, y, 'testOnBatch', options.sampleWeight);
  return formatResult(runOneBatch(model, 'evaluate', data, getSession().learningPhase === 1).logs, options.returnDict);
}

/** The model's outputs for x as one batch. */
export function predictOnBatch(model: TrainableModel, x: DataLike): Tensor | Tensor[] {
  const xs = toTensors(x, model.inputNames, model.inputDtypes, 'x', 'predictOnBatch');
  checkInputShapes(xs, model.inputNames, model.inputShapes, model.name, 'predictOnBatch');
  const n = xs[0].shape[0];
  if (xs.some((t) => t.shape[0] !== n)) throw new Error(`predictOnBatch: data cardinality is ambiguous: make sure all arrays contain the same number of samples. 'x' sizes: ${xs.map((t) => t.shape[0]).join(', ')}`);
  if (n === 0) throw new Error('predictOnBatch: the data has no samples');
  return predictRows(model, xs, n);
}

/** One predict step over `n` rows of `xs`, read back as one tensor per output. */
export function predictRows(model: TrainableModel, xs: readonly Tensor[], n: number): Tensor | Tensor[] {
  const session = getSession();
  const step = stepProgram(session, model, 'predict', n, session.learningPhase === 1, sigsOf(xs), []);
  new BatchFeeder(xs).feed(step, identityOrder(n), 0);
  session.run(step.program);
  const tensors = step.program.spec.graph.outputs.map((o, i) => {
    const shape = concrete(o.shape, 'predict output');
    return new Tensor(step.program.output(i).slice() as TensorData, [...shape], o.dtype);
  });
  return tensors.length === 1 ? tensors[0] : tensors;
}

export { isTraining };
