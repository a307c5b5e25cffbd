/**
 * compile(): resolves the optimizer, one loss and loss weight per output and the metric
 * identifiers per output, following Keras 3's rules for single and multiple outputs.
 */
import { getLoss, Loss, type LossIdentifier } from '../losses.js';
import type { MetricIdentifier } from '../metrics.js';
import { getOptimizer } from '../optimizers.js';
import type { CompileOptions, CompiledConfig, TrainableModel } from './types.js';
import { checkOptions, optionKeys } from '../strict-options.js';
import { isTraining } from './busy.js';

const COMPILE_OPTIONS = optionKeys<CompileOptions>({ optimizer: true, loss: true, metrics: true, lossWeights: true, weightedMetrics: true });
const COMPILE_UNSUPPORTED = {
  runEagerly: 'every step runs as one compiled program',
  stepsPerExecution: 'each step is one program run',
  jitCompile: 'every step is compiled',
};

let nextCompileId = 1;

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function checkNames(keys: readonly string[], names: readonly string[], arg: string): void {
  for (const k of keys) {
    if (!names.includes(k)) throw new Error(`compile: in the record argument '${arg}', key '${k}' does not correspond to any model output; outputs are ${names.map((n) => `'${n}'`).join(', ')}`);
  }
}

function resolveLosses(loss: CompileOptions['loss'], names: readonly string[]): (Loss | null)[] {
  if (loss === undefined || loss === null) return names.map(() => null);
  if (Array.isArray(loss)) {
    if (loss.length !== names.length) throw new Error(`compile: 'loss' has ${loss.length} entries but the model has ${names.length} output(s)`);
    return (loss as readonly (LossIdentifier | null)[]).map((l) => (l === null ? null : getLoss(l)));
  }
  if (isRecord(loss) && !(loss instanceof Loss)) {
    const rec = loss as Readonly<Record<string, LossIdentifier>>;
    checkNames(Object.keys(rec), names, 'loss');
    return names.map((n) => (rec[n] === undefined ? null : getLoss(rec[n])));
  }
  // One loss for every output, as Keras maps a single loss over the outputs.
  return names.map(() => getLoss(loss as LossIdentifier));
}

function resolveWeights(weights: CompileOptions['lossWeights'], names: readonly string[]): number[] {
  if (weights === undefined) return names.map(() => 1);
  if (typeof weights === 'number') {
    if (names.length !== 1) throw new Error(`compile: a single number for 'lossWeights' needs a single-output model; this one has ${names.length} outputs`);
    return [weights];
  }
  if (Array.isArray(weights)) {
    if (weights.length !== names.length) throw new Error(`compile: 'lossWeights' has ${weights.length} entries but the model has ${names.length} output(s)`);
    return [...weights];
  }
  const rec = weights as Readonly<Record<string, number>>;
  checkNames(Object.keys(rec), names, 'lossWeights');
  return names.map((n) => rec[n] ?? 1);
}

function resolveMetrics(metrics: CompileOptions['metrics'], names: readonly string[], arg = 'metrics'): MetricIdentifier[][] {
  if (metrics === undefined) return names.map(() => []);
  const asList = (m: unknown): MetricIdentifier[] => (m === null || m === undefined ? [] : Array.isArray(m) ? [...m] : [m as MetricIdentifier]);
  if (Array.isArray(metrics)) {
    if (names.length === 1) return [metrics.flatMap(asList)];
    // Keras 3: for several outputs a list has one entry (a metric or a list of them) per output.
    if (metrics.length !== names.length) {
      throw new Error(`compile: for a model with multiple outputs, when providing the '${arg}' argument as a list, it should have as many entries as the model has outputs (${names.length}); got ${metrics.length}`);
    }
    return metrics.map(asList);
  }
  const rec = metrics as Readonly<Record<string, MetricIdentifier | readonly MetricIdentifier[]>>;
  checkNames(Object.keys(rec), names, arg);
  return names.map((n) => asList(rec[n]));
}

/** Records the training configuration on the model (model.compiled) and returns it. */
export function compileModel(model: TrainableModel, options: CompileOptions = {}): CompiledConfig {
  checkOptions(options, COMPILE_OPTIONS, 'compile', COMPILE_UNSUPPORTED);
  if (isTraining(model)) throw new Error(`compile: the model '${model.name}' is training; recompiling it now would change the running fit()'s loss and optimizer. Compile after fit() has finished`);
  const names = model.outputNames;
  const compiled: CompiledConfig = {
    id: nextCompileId++,
    optimizer: getOptimizer(options.optimizer ?? 'rmsprop'),
    losses: resolveLosses(options.loss, names),
    lossWeights: resolveWeights(options.lossWeights, names),
    metrics: resolveMetrics(options.metrics, names),
    weightedMetrics: resolveMetrics(options.weightedMetrics, names, 'weightedMetrics'),
  };
  model.compiled = compiled;
  return compiled;
}
