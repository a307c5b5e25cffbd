/**
 * Builds the train, evaluate and predict graphs of a model and gets them compiled through the
 * session's program cache. The train graph is one program: forward pass, losses, metric sums,
 * gradients and optimizer updates (plus the model's own updates, e.g. BatchNormalization's
 * moving statistics). Programs are specialised to a batch size, so a last partial batch gets
 * its own program; all are cached per (model, compilation, phase, batch, data signature).
 */
import { grad } from '../../ir/autodiff.js';
import { input } from '../../ir/build.js';
import type { Update } from '../../ir/graph.js';
import type { Node } from '../../ir/node.js';
import { formatShape, type DType, type Shape } from '../../ir/types.js';
import type { Program, ProgramSpec } from '../../runtime/program.js';
import type { Session } from '../../runtime/session.js';
import { getSession } from '../backend.js';
import { elementCount } from '../graph-math.js';
import { applyMask } from '../losses/loss.js';
import { getMetric, Metric, type MetricIdentifier } from '../metrics.js';
import * as ops from '../ops.js';
import { getKerasMask } from '../layers/masks.js';
import type { CompiledConfig, TrainableModel } from './types.js';
import { StatefulMetric } from '../metrics/stateful.js';
import { metricSlot, metricUpdates, type MetricSlot } from './metric-state.js';
import { weightedMeanSums } from './metric-weights.js';
import { recalledStep, rememberStep } from './last-step.js';

/** A data array as a program sees it: the shape of one sample and the element type. */
export interface DataSig {
  readonly sample: readonly number[];
  readonly dtype: DType;
}

export type GraphKind = 'train' | 'evaluate' | 'predict';

/**
 * How a program output becomes a logged value. 'mean' outputs are batch means weighted by the
 * batch size (Keras's loss trackers); 'sum' outputs are sums of `count` per-sample values
 * (Keras's MeanMetricWrapper total/count), or, for a weighted metric, of weighted values whose
 * count is the weight sum the program computes in output `countOutput`.
 */
export interface LogEntry {
  readonly name: string;
  readonly output: number;
  readonly kind: 'mean' | 'sum' | 'state';
  readonly count: number;
  readonly countOutput?: number;
  /** A stateful metric's variables (kind 'state'): the value is its result over the states. */
  readonly slot?: MetricSlot;
}

export interface StepProgram {
  readonly program: Program;
  readonly batch: number;
  readonly entries: readonly LogEntry[];
}

const modelIds = new WeakMap<object, number>();
let nextModelId = 1;
function modelId(model: object): number {
  let id = modelIds.get(model);
  if (id === undefined) modelIds.set(model, (id = nextModelId++));
  return id;
}

function sigKey(sigs: readonly DataSig[]): string {
  return sigs.map((s) => `${s.dtype}${formatShape(s.sample)}`).join(',');
}

/** The label signature fit() would see for labels shaped like the predictions, for dumps without data. */
export function defaultLabelSigs(model: TrainableModel): DataSig[] {
  return model.outputShapes.map((s, i) => {
    const sample = s.slice(1).map((d) => d ?? 1);
    return { sample: model.compiled?.losses[i]?.labelSample(sample) ?? sample, dtype: 'float32' as DType };
  });
}
export function inputSigs(model: TrainableModel): DataSig[] {
  return model.inputShapes.map((s, i) => ({ sample: s.slice(1).map((d) => d ?? 1), dtype: model.inputDtypes[i] }));
}

interface Objective {
  readonly total: Node;
  readonly outputs: Node[];
  readonly entries: LogEntry[];
  /** Stateful metrics' state updates, part of the step that computes them. */
  readonly metricUpdates: Update[];
}

/** Keras 3's CompileMetrics naming: output-prefixed names for several outputs, `_1` suffixes for repeats. */
function uniqueName(name: string, used: Map<string, number>): string {
  const n = used.get(name);
  if (n === undefined) {
    used.set(name, 1);
    return name;
  }
  used.set(name, n + 1);
  return `${name}_${n}`;
}

/**
 * Total loss, per-output losses and metric sums of a batch, with how each is logged. `ws` holds
 * one sample-weight input per output when the data has sample weights.
 */
function objective(model: TrainableModel, compiled: CompiledConfig, kind: GraphKind, preds: readonly Node[], ys: readonly Node[], ws: readonly Node[] | undefined, batch: number, extraLosses: readonly Node[]): Objective {
  const several = preds.length > 1;
  const lossValues: { name: string; value: Node }[] = [];
  preds.forEach((p, i) => {
    const loss = compiled.losses[i];
    if (loss === null) return;
    try {
      // A loss with reduction 'none' is averaged, as Keras's CompileLoss reduces what it is given.
      // Keras 3's Loss.__call__: the prediction's mask joins the sample weights (losses/loss.py apply_mask).
      const reduced = loss.reduce(ys[i], p, ws?.[i], getKerasMask(p));
      const value = ops.multiply(reduced.shape.length === 0 ? reduced : ops.mean(reduced), compiled.lossWeights[i]);
      lossValues.push({ name: `${model.outputNames[i]}_loss`, value });
    } catch (e) {
      if (e instanceof Error) e.message = `output '${model.outputNames[i]}' (loss '${loss.name}'): ${e.message}`;
      throw e;
    }
  });
  if (lossValues.length === 0) throw new Error('No loss to compute. Provide a `loss` argument in `compile()`.');
  // Regularization and addLoss() losses join the total (and so the logged loss), as in Keras.
  const total = [...lossValues.map((l) => l.value), ...extraLosses].reduce((acc, v) => ops.add(acc, v));
  const outputs: Node[] = [total];
  const entries: LogEntry[] = [{ name: 'loss', output: 0, kind: 'mean', count: batch }];
  if (several) {
    for (const l of lossValues) entries.push({ name: l.name, output: outputs.push(l.value) - 1, kind: 'mean', count: batch });
  }
  const used = new Map<string, number>();
  const prefix = (i: number, name: string) => (several ? `${model.outputNames[i]}_${name}` : name);
  const updates: Update[] = [];
  const session = getSession();
  const wrap = <T>(i: number, name: string, f: () => T): T => {
    try {
      return f();
    } catch (e) {
      if (e instanceof Error) e.message = `output '${model.outputNames[i]}' (metric '${name}'): ${e.message}`;
      throw e;
    }
  };
  /** A stateful metric's entry: its slot's variables, updated by this step with the batch (weighted when `w` is given). */
  const statefulEntry = (i: number, slotKey: string, id: MetricIdentifier, metric: StatefulMetric, name: string, w: Node | undefined): void => {
    wrap(i, metric.name, () => {
      if (!metric.takesLabels) throw new Error(`${metric.constructor.name} averages values given to updateState(values), not labels and predictions; use it standalone, or a metric of labels and predictions in compile()`);
      const slot = metricSlot(session, compiled, `${kind}|${slotKey}`, metric, typeof id === 'string', ys[i].shape, preds[i].shape);
      const size = slot.metric.resultOf(slot.variables.map((v) => new Float64Array(v.size))).length;
      if (size !== 1) throw new Error(`${slot.metric.constructor.name} gives ${size} values (one per threshold or class), but logs hold one number per metric; give one threshold, or an average`);
      updates.push(...metricUpdates(slot, ys[i], preds[i], w));
      entries.push({ name, output: -1, kind: 'state', count: 0, slot });
    });
  };
  const metricValues = (i: number, metric: Metric): { name: string; values: Node } =>
    wrap(i, metric.name, () => ({ name: metric.name, values: ops.cast(metric.fn(ys[i], preds[i]), 'float32') }));
  /** A mean metric's entry: a plain sum and count, or Keras's weighted total and weight sum when `w` is given. */
  const meanEntry = (name: string, values: Node, w: Node | undefined): void => {
    if (w === undefined) {
      entries.push({ name, output: outputs.push(ops.sum(values)) - 1, kind: 'sum', count: elementCount(values.shape) });
      return;
    }
    const sums = weightedMeanSums(values, w);
    const output = outputs.push(sums.total) - 1;
    entries.push({ name, output, kind: 'sum', count: 0, countOutput: outputs.push(sums.count) - 1 });
  };
  // Keras 3's MeanMetricWrapper.update_state: the prediction's mask joins the sample weights as a
  // 0/1 weight (apply_mask with reduction 'sum'), for `metrics` and `weightedMetrics` alike. The
  // confusion-matrix metrics (Precision, AUC, ...) never read the mask, so they see every step.
  const maskWeight = (i: number, w: Node | undefined): Node | undefined => {
    const mask = getKerasMask(preds[i]);
    return mask === undefined ? w : applyMask(w, mask, 'sum');
  };
  preds.forEach((_, i) => {
    (compiled.metrics[i] ?? []).forEach((id, j) => {
      const metric = getMetric(id, ys[i].shape, preds[i].shape);
      if (metric instanceof StatefulMetric) return statefulEntry(i, `${i}|${j}`, id, metric, uniqueName(prefix(i, metric.name), used), undefined);
      const { name, values } = metricValues(i, metric);
      wrap(i, name, () => meanEntry(uniqueName(prefix(i, name), used), values, maskWeight(i, undefined)));
    });
  });
  preds.forEach((_, i) => {
    (compiled.weightedMetrics[i] ?? []).forEach((id, j) => {
      const metric = getMetric(id, ys[i].shape, preds[i].shape);
      const base = metric.name;
      // Keras 3's CompileMetrics.result(): a weighted metric named like an unweighted one becomes weighted_<name>.
      const name = used.has(prefix(i, base)) ? uniqueName(prefix(i, `weighted_${base}`), used) : uniqueName(prefix(i, base), used);
      if (metric instanceof StatefulMetric) return statefulEntry(i, `${i}|${j}|weighted${ws === undefined ? '' : '+w'}`, id, metric, name, ws?.[i]);
      const { values } = metricValues(i, metric);
      wrap(i, base, () => meanEntry(name, values, maskWeight(i, ws?.[i])));
    });
  });
  return { total, outputs, entries, metricUpdates: updates };
}

/**
 * The ProgramSpec of a graph kind at a batch size (also what model.dump() shows). `wSigs` are the
 * sample weights' signatures, one per output, or empty for data without sample weights (whose
 * programs then have no weight inputs at all).
 */
export function buildSpec(model: TrainableModel, kind: GraphKind, batch: number, training: boolean, xSigs: readonly DataSig[], ySigs: readonly DataSig[], wSigs: readonly DataSig[] = []): { spec: ProgramSpec; entries: LogEntry[] } {
  const xs = model.inputNames.map((name, i) => input(`x:${name}`, [batch, ...xSigs[i].sample], model.inputDtypes[i]));
  const seed = input('seed', [], 'int32');
  const traced = model.trace(xs, training, seed);
  if (kind === 'predict') {
    // The model's own updates in inference are a stateful RNN's states (Keras assigns them in predict too).
    return { spec: { name: 'predict', inputs: xs, graph: { outputs: traced.outputs, updates: [...traced.updates] }, seed }, entries: [] };
  }
  const compiled = model.compiled;
  if (compiled === undefined) throw new Error(`The model '${model.name}' must be compiled before ${kind === 'train' ? 'fit' : 'evaluate'}(); call model.compile({ optimizer, loss }) first`);
  const ys = model.outputNames.map((name, i) => input(`y:${name}`, [batch, ...ySigs[i].sample], ySigs[i].dtype === 'bool' ? 'float32' : ySigs[i].dtype));
  const ws = wSigs.length === 0 ? undefined : model.outputNames.map((name, i) => input(`sw:${name}`, [batch, ...wSigs[i].sample], 'float32'));
  const { total, outputs, entries, metricUpdates: stateUpdates } = objective(model, compiled, kind, traced.outputs, ys, ws, batch, traced.losses ?? []);
  const inputs = [...xs, ...ys, ...(ws ?? [])];
  if (kind === 'evaluate') return { spec: { name: 'evaluate', inputs, graph: { outputs, updates: [...traced.updates, ...stateUpdates] }, seed }, entries };
  const vars = model.trainableVariables();
  // Idempotent: fit() has built it already; a dump of the train graph before any fit() has not.
  compiled.optimizer.build(getSession(), vars);
  const grads = grad(total, vars.map((v) => v.node));
  const updates: Update[] = [...compiled.optimizer.applyGradients(grads, vars, model.constraintOf?.bind(model)), ...traced.updates, ...stateUpdates];
  return { spec: { name: 'train', inputs, graph: { outputs, updates }, seed }, entries };
}

/** The compiled program of a graph kind for a batch size and data signature, from the session cache. */
export function stepProgram(session: Session, model: TrainableModel, kind: GraphKind, batch: number, training: boolean, xSigs: readonly DataSig[], ySigs: readonly DataSig[], wSigs: readonly DataSig[] = []): StepProgram {
  const compiledId = kind === 'predict' ? 0 : model.compiled?.id ?? -1;
  const request = { kind, compiledId, batch, training, xSigs, ySigs, wSigs };
  const recalled = recalledStep<StepProgram>(session, model, request);
  if (recalled !== undefined) return recalled;
  // Which variables are trained is part of the program (a swap of frozen layers keeps their count).
  const vars = model.trainableVariables().map((v) => v.id).join(',');
  const weighted = wSigs.length === 0 ? '' : `|w:${sigKey(wSigs)}`;
  const key = `${kind}|model${modelId(model)}|graph${model.graphVersion}|compile${compiledId}|phase${training ? 1 : 0}|batch${batch}|x:${sigKey(xSigs)}|y:${sigKey(ySigs)}${weighted}|vars${vars}`;
  let entries: LogEntry[] | undefined;
  const program = session.program(key, () => {
    const built = buildSpec(model, kind, batch, training, xSigs, ySigs, wSigs);
    entries = built.entries;
    return built.spec;
  });
  // A cached program: rebuild only the (cheap) log layout, which is a function of the same key.
  entries ??= layoutCache.get(program);
  if (entries === undefined) throw new Error(`internal: no log layout for program '${key}'`);
  layoutCache.set(program, entries);
  const step = { program, batch, entries };
  rememberStep(session, model, request, key, step);
  return step;
}

const layoutCache = new WeakMap<Program, LogEntry[]>();

export function sigsOf(tensors: readonly { shape: readonly number[]; dtype: DType }[]): DataSig[] {
  return tensors.map((t) => ({ sample: t.shape.slice(1), dtype: t.dtype }));
}

export type { Shape };
