/**
 * evaluate(): the loss and metrics of a model on data, batch by batch, averaged as Keras does.
 * Also the validation pass of fit().
 */
import type { Session } from '../../runtime/session.js';
import { getSession } from '../backend.js';
import { CallbackList, type Callback } from '../callbacks.js';
import { loopProgbar } from '../progress.js';
import type { Tensor } from '../tensor.js';
import { BatchFeeder, BatchPlan } from './batches.js';
import { checkInputShapes, identityOrder, sampleCount, toTensors } from './data.js';
import { toSampleWeights } from './sample-weights.js';
import { LogAccumulator } from './logs.js';
import type { DataLike, Logs, TrainableModel } from './types.js';
import { checkOptions, optionKeys } from '../strict-options.js';

export interface EvaluateOptions {
  readonly batchSize?: number;
  /** Weights of the samples' losses (and of weightedMetrics): one per sample, or one array per output. */
  readonly sampleWeight?: DataLike;
  /** 0 silent, 1 progress bar (default, as Keras's 'auto'), 2 one line. */
  readonly verbose?: number;
  readonly callbacks?: readonly Callback[];
}

const EVALUATE_OPTIONS = optionKeys<EvaluateOptions>({ batchSize: true, sampleWeight: true, verbose: true, callbacks: true });

/** Checked x and y tensors of a model, sample weights (one per output, or none), and their sample count. */
export interface Dataset {
  readonly xs: Tensor[];
  readonly ys: Tensor[];
  readonly ws: Tensor[];
  readonly n: number;
}

/** `role` prefixes the names in messages ('validationData ' for fit's validation data). */
export function prepareDataset(model: TrainableModel, x: DataLike, y: DataLike, fn: string, sampleWeight?: DataLike, role = ''): Dataset {
  const xs = toTensors(x, model.inputNames, model.inputDtypes, `${role}x`, fn);
  checkInputShapes(xs, model.inputNames, model.inputShapes, model.name, role === '' ? fn : `${fn} (${role.trim()})`);
  const ys = toTensors(y, model.outputNames, model.outputNames.map(() => undefined), `${role}y`, fn);
  const ws = sampleWeight === undefined ? [] : toSampleWeights(sampleWeight, model.outputNames, role === '' ? fn : `${fn} (${role.trim()})`);
  const groups = [{ role: `${role}x`, tensors: xs }, { role: `${role}y`, tensors: ys }, { role: `${role}sampleWeight`, tensors: ws }];
  const n = sampleCount(groups.filter((g) => g.tensors.length > 0), fn);
  return { xs, ys, ws, n };
}

/** A prepared evaluation pass: programs compiled, ready to run (fit() prepares its validation pass up front). */
export class EvaluationPass {
  private readonly plan: BatchPlan;
  private readonly order: Int32Array;
  private readonly xFeed: BatchFeeder;
  private readonly yFeed: BatchFeeder;
  private readonly wFeed: BatchFeeder;
  private readonly acc: LogAccumulator;

  constructor(private readonly session: Session, model: TrainableModel, private readonly data: Dataset, batchSize: number, training: boolean) {
    this.plan = new BatchPlan(session, model, 'evaluate', data.n, batchSize, training, data.xs, data.ys, data.ws);
    this.order = identityOrder(data.n);
    this.xFeed = new BatchFeeder(data.xs);
    this.yFeed = new BatchFeeder(data.ys);
    this.wFeed = new BatchFeeder(data.ws);
    this.acc = new LogAccumulator(this.plan.entries);
  }

  get steps(): number {
    return this.plan.steps;
  }

  run(onBatchEnd?: (step: number, logs: Logs) => void, prefix = ''): Logs {
    this.acc.reset();
    for (let step = 0; step < this.plan.steps; step++) {
      const p = this.plan.program(step);
      this.xFeed.feed(p, this.order, step * this.plan.batch);
      this.yFeed.feed(p, this.order, step * this.plan.batch, this.data.xs.length);
      this.wFeed.feed(p, this.order, step * this.plan.batch, this.data.xs.length + this.data.ys.length);
      this.session.run(p.program);
      this.acc.add(p);
      onBatchEnd?.(step, this.acc.logs(prefix));
    }
    return this.acc.logs(prefix);
  }
}

/** Loss and metric values by name (Keras's `evaluate(..., return_dict=True)`). */
export function evaluateLogs(model: TrainableModel, x: DataLike, y: DataLike | undefined, options: EvaluateOptions = {}): Logs {
  checkOptions(options, EVALUATE_OPTIONS, 'evaluate', { steps: 'with in-memory arrays evaluate() reads every sample; steps applies to streamed data (an iterable of batches)' });
  if (y === undefined) throw new Error('evaluate: y (the targets) is required');
  if (model.compiled === undefined) throw new Error(`evaluate: the model '${model.name}' must be compiled first; call model.compile({ optimizer, loss })`);
  const session = getSession();
  const data = prepareDataset(model, x, y, 'evaluate', options.sampleWeight);
  const pass = new EvaluationPass(session, model, data, options.batchSize ?? 32, session.learningPhase === 1);
  const callbacks = new CallbackList(options.callbacks ?? []);
  const verbose = options.verbose ?? 1;
  callbacks.configure(model, { verbose, epochs: 1, steps: pass.steps });
  const bar = loopProgbar(verbose, pass.steps);
  callbacks.callSync((c) => c.onTestBegin());
  const logs = pass.run((step, batchLogs) => {
    callbacks.callSync((c) => c.onTestBatchEnd(step, batchLogs));
    bar?.update(step + 1, Object.entries(batchLogs), false);
  });
  bar?.update(pass.steps, Object.entries(logs), true);
  callbacks.callSync((c) => c.onTestEnd(logs));
  return logs;
}

/** The loss, or [loss, ...metrics] when there are several values (Keras's evaluate). */
export function evaluateModel(model: TrainableModel, x: DataLike, y: DataLike | undefined, options: EvaluateOptions = {}): number | number[] {
  const values = Object.values(evaluateLogs(model, x, y, options));
  return values.length === 1 ? values[0] : values;
}
