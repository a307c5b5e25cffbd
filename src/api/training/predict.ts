/**
 * predict(): the model's outputs for every sample, computed batch by batch and gathered into one
 * tensor per output.
 */
import { concrete } from '../../ir/types.js';
import { newArray } from '../../runtime/buffers.js';
import { getSession } from '../backend.js';
import { CallbackList, type Callback } from '../callbacks.js';
import { loopProgbar } from '../progress.js';
import { Tensor, type TensorData } from '../tensor.js';
import { BatchFeeder, BatchPlan } from './batches.js';
import { checkInputShapes, identityOrder, toTensors } from './data.js';
import type { DataLike, TrainableModel } from './types.js';
import { checkOptions, optionKeys } from '../strict-options.js';

export interface PredictOptions {
  readonly batchSize?: number;
  /** 0 silent, 1 progress bar (the default, as Keras's 'auto'), 2 one line. */
  readonly verbose?: number;
  readonly callbacks?: readonly Callback[];
}

const PREDICT_OPTIONS = optionKeys<PredictOptions>({ batchSize: true, verbose: true, callbacks: true });

export function predictModel(model: TrainableModel, x: DataLike, options: PredictOptions = {}): Tensor | Tensor[] {
  checkOptions(options, PREDICT_OPTIONS, 'predict', { steps: 'with in-memory arrays predict() reads every sample; steps applies to streamed data (an iterable of batches)' });
  const session = getSession();
  const xs = toTensors(x, model.inputNames, model.inputDtypes, 'x', 'predict');
  checkInputShapes(xs, model.inputNames, model.inputShapes, model.name, 'predict');
  const n = xs[0].shape[0];
  if (xs.some((t) => t.shape[0] !== n)) {
    throw new Error(`predict: data cardinality is ambiguous: make sure all arrays contain the same number of samples. 'x' sizes: ${xs.map((t) => t.shape[0]).join(', ')}`);
  }
  if (n === 0) throw new Error('predict: the data has no samples');
  const plan = new BatchPlan(session, model, 'predict', n, options.batchSize ?? 32, session.learningPhase === 1, xs, []);
  const outNodes = plan.program(0).program.spec.graph.outputs;
  const rowSizes = outNodes.map((o) => concrete(o.shape, 'predict output').slice(1).reduce((a, d) => a * d, 1));
  const results = outNodes.map((o, i) => newArray(o.dtype, n * rowSizes[i]));
  const feeder = new BatchFeeder(xs);
  const order = identityOrder(n);
  const callbacks = new CallbackList(options.callbacks ?? []);
  callbacks.configure(model, { verbose: options.verbose ?? 1, epochs: 1, steps: plan.steps });
  const bar = loopProgbar(options.verbose ?? 1, plan.steps);
  callbacks.callSync((c) => c.onPredictBegin());
  for (let step = 0; step < plan.steps; step++) {
    const p = plan.program(step);
    callbacks.callSync((c) => c.onPredictBatchBegin(step));
    feeder.feed(p, order, step * plan.batch);
    session.run(p.program);
    results.forEach((r, i) => r.set(p.program.output(i), step * plan.batch * rowSizes[i]));
    callbacks.callSync((c) => c.onPredictBatchEnd(step));
    bar?.update(step + 1, [], step + 1 === plan.steps);
  }
  callbacks.callSync((c) => c.onPredictEnd());
  const tensors = outNodes.map((o, i) => new Tensor(results[i] as TensorData, [n, ...concrete(o.shape, 'predict output').slice(1)], o.dtype));
  return tensors.length === 1 ? tensors[0] : tensors;
}
