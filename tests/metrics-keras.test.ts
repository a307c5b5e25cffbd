/**
 * Streaming metrics against real Keras 3 (tests/fixtures/losses_metrics.py): each metric fed
 * batches of 5, 3 and 1 samples, its result after every batch compared with Keras's. Then the
 * same metrics compiled: evaluate() and fit() over the same samples in batches of other sizes
 * (with a last partial batch of 1) must give Keras's result over all samples, which only holds
 * when the compiled steps accumulate state rather than average per-batch values; and a second
 * epoch or evaluate() starts from zero.
 */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { setSession } from '../src/api/backend.js';
import * as metrics from '../src/api/metrics.js';
import { SGD } from '../src/api/optimizers.js';
import { tensor } from '../src/api/tensor.js';
import { compileModel, evaluateLogs, fitModel } from '../src/api/training/index.js';
import { Session } from '../src/runtime/session.js';
import { TinyDense } from './support/tiny-model.js';

interface Batch {
  readonly y_true: number[] | number[][];
  readonly y_pred: number[] | number[][];
  readonly sample_weight: number[] | null;
  readonly result: number | number[];
}
interface MetricCase {
  readonly class: string;
  readonly config: Record<string, unknown>;
  readonly name: string;
  readonly weighted: boolean;
  readonly batches: Batch[];
}
const fixture = JSON.parse(readFileSync(new URL('../../tests/fixtures/losses_metrics.json', import.meta.url), 'utf8')) as { metrics: MetricCase[] };

const camel = (k: string) => k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
type AnyMetric = metrics.StatefulMetric | metrics.Metric;
function make(c: MetricCase): AnyMetric {
  const cls = (metrics as unknown as Record<string, new (o: Record<string, unknown>) => AnyMetric>)[c.class];
  assert.ok(cls !== undefined, `no class ${c.class}`);
  const options: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(c.config)) options[camel(k)] = v;
  return new cls(options);
}
const flat = (v: number | number[]): number[] => (typeof v === 'number' ? [v] : v);
const label = (c: MetricCase) => `${c.class}(${JSON.stringify(c.config)})${c.weighted ? ' weighted' : ''}`;
// Keras's weighted MeanIoU casts float weights to its int confusion matrix (it warns); ours keeps them.
const cases = fixture.metrics.filter((c) => !(c.class === 'MeanIoU' && c.weighted));

let worstStandalone = 0;
let worstCompiled = 0;
function compare(actual: number[], expected: number[], tol: number, what: string): number {
  assert.is(actual.length, expected.length, `${what}: length`);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    if (!(err <= tol)) assert.unreachable(`${what}[${i}]: got ${actual[i]}, Keras ${expected[i]} (difference ${err})`);
    worst = Math.max(worst, err);
  }
  return worst;
}

/** A metric's result after feeding batches standalone, as numbers. */
function standaloneResults(m: AnyMetric, c: MetricCase): number[][] {
  if (m instanceof metrics.Metric) {
    // A MeanMetricWrapper (the top-k accuracies): the weighted mean of per-sample values so far.
    m.resetState();
    return c.batches.map((b) => {
      m.updateState(tensor(b.y_true), tensor(b.y_pred), b.sample_weight === null ? undefined : tensor(b.sample_weight));
      return [m.result()];
    });
  }
  m.resetState();
  return c.batches.map((b) => {
    const w = b.sample_weight === null ? undefined : tensor(b.sample_weight);
    if (m instanceof metrics.Mean || m instanceof metrics.Sum) m.updateState(tensor(b.y_pred), w);
    else m.updateState(tensor(b.y_true), tensor(b.y_pred), w);
    return flat(m.result());
  });
}

for (const c of cases) {
  test(`${label(c)} streams as Keras 3 over batches of 5, 3 and 1`, () => {
    const m = make(c);
    assert.is(m.name, c.name.replace(/_\d+$/, ''), 'default name');
    const results = standaloneResults(m, c);
    c.batches.forEach((b, i) => {
      worstStandalone = Math.max(worstStandalone, compare(results[i], flat(b.result), 2e-5, `${label(c)} after batch ${i + 1}`));
    });
  });
}

/** The samples of every batch of a case, concatenated. */
function allSamples(c: MetricCase): { yTrue: number[][]; yPred: number[][]; weights: number[] | undefined } {
  const rows = (v: number[] | number[][]) => (v as (number | number[])[]).map((r) => (Array.isArray(r) ? r : [r]));
  const yTrue = c.batches.flatMap((b) => rows(b.y_true));
  const yPred = c.batches.flatMap((b) => rows(b.y_pred));
  const weights = c.weighted ? c.batches.flatMap((b) => b.sample_weight ?? []) : undefined;
  return { yTrue, yPred, weights };
}

/** A model whose predictions are its inputs (identity kernel, zero bias), trained with learning rate 0. */
function identityModel(width: number): TinyDense {
  const session = new Session({ seed: 1 });
  setSession(session);
  const kernel = Array.from({ length: width * width }, (_, i) => (i % (width + 1) === 0 ? 1 : 0));
  return new TinyDense(session, { inputs: width, units: width, activation: 'linear', kernel, bias: new Array(width).fill(0) });
}

const compiledCases = cases.filter((c) => {
  const m = make(c);
  return m instanceof metrics.StatefulMetric && m.takesLabels && flat(c.batches[0].result).length === 1;
});

for (const c of compiledCases) {
  test(`${label(c)} compiled: evaluate() and fit() accumulate state across batches, reset per pass and epoch`, () => {
    const { yTrue, yPred, weights } = allSamples(c);
    const expected = flat(c.batches[c.batches.length - 1].result);
    const model = identityModel(yPred[0].length);
    const metric = make(c);
    compileModel(model, { optimizer: new SGD({ learningRate: 0 }), loss: 'mse', ...(c.weighted ? { weightedMetrics: [metric] } : { metrics: [metric] }) });
    const x = tensor(yPred), y = tensor(yTrue);
    const sampleWeight = weights === undefined ? undefined : tensor(weights);
    for (const batchSize of [4, 2, 9]) {
      const logs = evaluateLogs(model, x, y, { batchSize, verbose: 0, sampleWeight });
      worstCompiled = Math.max(worstCompiled, compare([logs[metric.name]], expected, 3e-5, `${label(c)} evaluate batchSize ${batchSize}`));
    }
    const validationData = sampleWeight === undefined ? ([x, y] as const) : ([x, y, sampleWeight] as const);
    return fitModel(model, x, y, { batchSize: 4, epochs: 2, shuffle: false, verbose: 0, sampleWeight, validationData, validationBatchSize: 2 }).then((history) => {
      for (const key of [metric.name, `val_${metric.name}`]) {
        const perEpoch = history.history[key];
        assert.is(perEpoch.length, 2, key);
        perEpoch.forEach((v, e) => {
          worstCompiled = Math.max(worstCompiled, compare([v], expected, 3e-5, `${label(c)} fit ${key} epoch ${e + 1}`));
        });
      }
    });
  });
}

test('string names compile to the stateful metrics', async () => {
  const c = cases.find((k) => k.class === 'AUC' && Object.keys(k.config).length === 0 && !k.weighted)!;
  const { yTrue, yPred } = allSamples(c);
  const model = identityModel(1);
  compileModel(model, { optimizer: new SGD({ learningRate: 0 }), loss: 'mse', metrics: ['auc', 'precision', 'recall'] });
  const logs = evaluateLogs(model, tensor(yPred), tensor(yTrue), { batchSize: 4, verbose: 0 });
  compare([logs.auc], flat(c.batches[2].result), 3e-5, 'auc');
  const p = new metrics.Precision(), r = new metrics.Recall();
  p.updateState(tensor(yTrue), tensor(yPred));
  r.updateState(tensor(yTrue), tensor(yPred));
  compare([logs.precision, logs.recall], [p.result() as number, r.result() as number], 1e-6, 'precision, recall');
  assert.ok(logs.precision !== logs.recall, 'precision and recall are distinct values on this data');
});

test('bad metric options and uses are errors that say what was expected', () => {
  assert.throws(() => new metrics.AUC({ curve: 'ROCK' as 'ROC' }), /invalid curve 'ROCK'; expected 'ROC' or 'PR'/);
  assert.throws(() => new metrics.AUC({ num_thresholds: 10 } as never), /Did you mean 'numThresholds'/);
  assert.throws(() => new metrics.AUC({ labelWeights: [1, 2] } as never), /option 'labelWeights' is not supported/);
  assert.throws(() => new metrics.Precision({ thresholds: 1.5 }), /threshold values must be in \[0, 1\], got 1.5/);
  assert.throws(() => new metrics.Recall({ topK: 0 }), /topK must be an integer >= 1, got 0/);
  assert.throws(() => new metrics.F1Score({ average: 'mean' as 'macro' }), /invalid `average` argument value/);
  assert.throws(() => new metrics.MeanIoU({ numClasses: 0 }), /numClasses must be an integer >= 1/);
  const model = identityModel(2);
  compileModel(model, { optimizer: new SGD({ learningRate: 0 }), loss: 'mse', metrics: [new metrics.Precision({ thresholds: [0.2, 0.8] })] });
  assert.throws(() => evaluateLogs(model, tensor([[0.1, 0.9]]), tensor([[0, 1]]), { verbose: 0 }), /Precision gives 2 values \(one per threshold or class\)/);
  compileModel(model, { optimizer: new SGD({ learningRate: 0 }), loss: 'mse', metrics: [new metrics.Mean()] });
  assert.throws(() => evaluateLogs(model, tensor([[0.1, 0.9]]), tensor([[0, 1]]), { verbose: 0 }), /Mean averages values given to updateState\(values\)/);
});

test('worst differences against Keras (reported)', () => {
  assert.ok(compiledCases.length >= 20, `compiled cases: ${compiledCases.length}`);
  console.log(`  metrics vs Keras 3: worst difference standalone ${worstStandalone.toExponential(2)}, compiled in fit/evaluate ${worstCompiled.toExponential(2)} (${compiledCases.length} compiled cases)`);
});

test.run();
