/**
 * evaluate() and predict() on streamed batches: asynchronous, since the source may be. The
 * callbacks and progress bar follow the in-memory versions.
 */
import { getSession } from '../backend.js';
import { CallbackList, type Callback } from '../callbacks.js';
import { loopProgbar } from '../progress.js';
import { checkOptions, optionKeys } from '../strict-options.js';
import type { Tensor } from '../tensor.js';
import { BatchReader, checkSteps, type BatchSource } from './stream.js';
import { evaluateStreamPass, predictStreamPass } from './stream-loops.js';
import type { Logs, TrainableModel } from './types.js';

export interface StreamEvaluateOptions {
  /** Batches to read; without it the source is read to its end. */
  readonly steps?: number;
  readonly verbose?: number;
  readonly callbacks?: readonly Callback[];
}
export type StreamPredictOptions = StreamEvaluateOptions;

const STREAM_OPTIONS = optionKeys<StreamEvaluateOptions>({ steps: true, verbose: true, callbacks: true });
const UNSUPPORTED = {
  batchSize: 'the batches come from the data source; do not give batchSize with streamed data',
  sampleWeight: 'with streamed data the sample weights come in the batches: yield [x, y, sampleWeight]',
};

export async function evaluateStreamLogs(model: TrainableModel, source: BatchSource, options: StreamEvaluateOptions = {}): Promise<Logs> {
  checkOptions(options, STREAM_OPTIONS, 'evaluate (streamed data)', UNSUPPORTED);
  checkSteps('steps', options.steps, 'evaluate');
  if (model.compiled === undefined) throw new Error(`evaluate: the model '${model.name}' must be compiled first; call model.compile({ optimizer, loss })`);
  const verbose = options.verbose ?? 1;
  const callbacks = new CallbackList(options.callbacks ?? []);
  callbacks.configure(model, { verbose, epochs: 1, steps: options.steps ?? 0 });
  const bar = options.steps === undefined ? undefined : loopProgbar(verbose, options.steps);
  callbacks.callSync((c) => c.onTestBegin());
  const reader = new BatchReader(source, 'perPass', 'evaluate');
  const logs = await evaluateStreamPass(model, reader, options.steps, getSession().learningPhase === 1, 'evaluate', (step, batchLogs) => {
    callbacks.callSync((c) => c.onTestBatchEnd(step, batchLogs));
    bar?.update(step + 1, Object.entries(batchLogs), false);
  });
  if (options.steps !== undefined) bar?.update(options.steps, Object.entries(logs), true);
  callbacks.callSync((c) => c.onTestEnd(logs));
  return logs;
}

export async function evaluateStream(model: TrainableModel, source: BatchSource, options: StreamEvaluateOptions = {}): Promise<number | number[]> {
  const values = Object.values(await evaluateStreamLogs(model, source, options));
  return values.length === 1 ? values[0] : values;
}

export async function predictStream(model: TrainableModel, source: BatchSource, options: StreamPredictOptions = {}): Promise<Tensor | Tensor[]> {
  checkOptions(options, STREAM_OPTIONS, 'predict (streamed data)', UNSUPPORTED);
  checkSteps('steps', options.steps, 'predict');
  const verbose = options.verbose ?? 1;
  const callbacks = new CallbackList(options.callbacks ?? []);
  callbacks.configure(model, { verbose, epochs: 1, steps: options.steps ?? 0 });
  const bar = options.steps === undefined ? undefined : loopProgbar(verbose, options.steps);
  callbacks.callSync((c) => c.onPredictBegin());
  const reader = new BatchReader(source, 'perPass', 'predict');
  const out = await predictStreamPass(model, reader, options.steps, 'predict', (step) => {
    callbacks.callSync((c) => c.onPredictBatchEnd(step));
    bar?.update(step + 1, [], step + 1 === options.steps);
  });
  callbacks.callSync((c) => c.onPredictEnd());
  return out;
}
