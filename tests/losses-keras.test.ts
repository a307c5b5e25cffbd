/**
 * Losses against real Keras 3 (tests/fixtures/losses_metrics.py): every reduction with and
 * without sample weights, on both the compiled path (Loss.apply) and the float64 interpreter;
 * gradients of every new loss by finite differences; string identifiers and option errors.
 */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as b from '../src/ir/build.js';
import * as losses from '../src/api/losses.js';
import { tensor } from '../src/api/tensor.js';
import { evaluate, gen, gradCheck, tensor as refTensor } from './support/gradcheck.js';

interface LossCase {
  readonly class: string;
  readonly config: Record<string, number | boolean>;
  readonly name: string;
  readonly y_true: number[][];
  readonly y_pred: number[][];
  readonly sample_weight: number[];
  readonly results: Record<string, number | number[]>;
}
const fixture = JSON.parse(readFileSync(new URL('../../tests/fixtures/losses_metrics.json', import.meta.url), 'utf8')) as { losses: LossCase[] };

const camel = (k: string) => k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
type LossClass = new (options?: Record<string, unknown>) => losses.Loss;
function make(c: LossCase, extra: Record<string, unknown> = {}): losses.Loss {
  const cls = (losses as unknown as Record<string, LossClass>)[c.class];
  assert.ok(cls !== undefined, `no class ${c.class}`);
  const options: Record<string, unknown> = { ...extra };
  for (const [k, v] of Object.entries(c.config)) options[camel(k)] = v;
  return new cls(options);
}
const flat = (v: number | number[]): number[] => (typeof v === 'number' ? [v] : v);

let worstCompiled = 0;
let worstReference = 0;
function compare(actual: ArrayLike<number>, expected: number[], tol: number, what: string): number {
  assert.is(actual.length, expected.length, `${what}: length`);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i]));
    if (!(err <= tol)) assert.unreachable(`${what}[${i}]: got ${actual[i]}, Keras ${expected[i]} (relative error ${err})`);
    worst = Math.max(worst, err);
  }
  return worst;
}

for (const c of fixture.losses) {
  const label = `${c.class}(${JSON.stringify(c.config)})`;
  test(`${label} matches Keras 3 for every reduction, weighted and not`, () => {
    assert.is(make(c).name, c.name, 'default name');
    for (const reduction of losses.REDUCTIONS) {
      for (const weighted of [false, true]) {
        const key = weighted ? `${reduction}+weights` : reduction;
        const loss = make(c, { reduction });
        const expected = flat(c.results[key]);
        const yt = tensor(c.y_true), yp = tensor(c.y_pred);
        const got = weighted ? loss.apply(yt, yp, tensor(c.sample_weight)) : loss.apply(yt, yp);
        worstCompiled = Math.max(worstCompiled, compare(got.data, expected, 2e-5, `${label} ${key} compiled`));
        // The same graph on the float64 interpreter.
        const t = b.input('t', [c.y_true.length, c.y_true[0].length]);
        const p = b.input('p', [c.y_pred.length, c.y_pred[0].length]);
        const w = b.input('w', [c.sample_weight.length]);
        const sources = new Map([[t, refTensor(t.shape as number[], c.y_true.flat())], [p, refTensor(p.shape as number[], c.y_pred.flat())], [w, refTensor([c.sample_weight.length], c.sample_weight)]]);
        const [ref] = evaluate([weighted ? loss.reduce(t, p, w) : loss.reduce(t, p)], sources);
        worstReference = Math.max(worstReference, compare(ref.data, expected, 2e-5, `${label} ${key} reference`));
      }
    }
  });
}

test('worst relative difference against Keras (reported)', () => {
  assert.ok(worstCompiled < 2e-5 && worstReference < 2e-5);
  console.log(`  losses vs Keras 3: worst relative difference compiled ${worstCompiled.toExponential(2)}, float64 interpreter ${worstReference.toExponential(2)}`);
});

// Gradients: each new loss reduced to a batch value, labels held fixed.
const gradCases: { name: string; loss: losses.Loss; labels: (n: number) => number[]; pred?: typeof gen.positive }[] = [
  { name: 'huber', loss: new losses.Huber({ delta: 0.7 }), labels: (n) => Array.from({ length: n }, (_, i) => 0.9 * Math.sin(3 * i)) },
  { name: 'log_cosh', loss: new losses.LogCosh(), labels: (n) => Array.from({ length: n }, (_, i) => Math.sin(i)) },
  { name: 'kl_divergence', loss: new losses.KLDivergence(), labels: (n) => Array.from({ length: n }, (_, i) => 0.1 + 0.05 * (i % 5)), pred: gen.positive },
  { name: 'poisson', loss: new losses.Poisson(), labels: (n) => Array.from({ length: n }, (_, i) => i % 3), pred: gen.positive },
  { name: 'cosine_similarity', loss: new losses.CosineSimilarity(), labels: (n) => Array.from({ length: n }, (_, i) => Math.cos(i)) },
  { name: 'hinge', loss: new losses.Hinge(), labels: (n) => Array.from({ length: n }, (_, i) => (i % 2 ? 1 : 0)), pred: gen.awayFromZero(0.05, 0.9) },
  { name: 'squared_hinge', loss: new losses.SquaredHinge(), labels: (n) => Array.from({ length: n }, (_, i) => (i % 3 ? 1 : -1)), pred: gen.awayFromZero(0.05, 0.9) },
  { name: 'categorical_hinge', loss: new losses.CategoricalHinge(), labels: (n) => Array.from({ length: n }, (_, i) => (i % 4 === 1 ? 1 : 0)), pred: gen.distinct },
  { name: 'mean_absolute_percentage_error', loss: new losses.MeanAbsolutePercentageError(), labels: (n) => Array.from({ length: n }, (_, i) => 3 + i), pred: gen.positive },
  { name: 'mean_squared_logarithmic_error', loss: new losses.MeanSquaredLogarithmicError(), labels: (n) => Array.from({ length: n }, (_, i) => i % 4), pred: gen.positive },
  { name: 'binary_focal_crossentropy', loss: new losses.BinaryFocalCrossentropy({ applyClassBalancing: true, gamma: 2.5 }), labels: (n) => Array.from({ length: n }, (_, i) => i % 2), pred: (n, r) => gen.uniform(0.1, 0.9)(n, r) },
  { name: 'binary_focal_crossentropy logits', loss: new losses.BinaryFocalCrossentropy({ fromLogits: true, labelSmoothing: 0.1 }), labels: (n) => Array.from({ length: n }, (_, i) => i % 2) },
  { name: 'categorical_focal_crossentropy', loss: new losses.CategoricalFocalCrossentropy({ fromLogits: true, labelSmoothing: 0.2 }), labels: (n) => Array.from({ length: n }, (_, i) => (i % 4 === 2 ? 1 : 0)) },
  { name: 'categorical_focal_crossentropy probabilities', loss: new losses.CategoricalFocalCrossentropy(), labels: (n) => Array.from({ length: n }, (_, i) => (i % 4 === 0 ? 1 : 0)), pred: (n, r) => gen.uniform(0.1, 0.9)(n, r) },
];
for (const g of gradCases) {
  test(`${g.name}: gradient matches finite differences`, () => {
    const shape = [3, 4];
    const labels = b.input('labels', shape);
    const report = gradCheck([{ shape, gen: g.pred }], (p) => g.loss.reduce(labels, p), {
      extraSources: new Map([[labels, refTensor(shape, g.labels(12))]]),
      rtol: 1e-4, atol: 1e-6,
    });
    assert.ok(report.checked === 12, `checked ${report.checked}`);
  });
}

test('string identifiers resolve to the Keras losses, with the aliases Keras accepts', () => {
  const pairs: [string, string][] = [
    ['huber', 'huber_loss'], ['log_cosh', 'log_cosh'], ['logcosh', 'log_cosh'], ['kl_divergence', 'kl_divergence'], ['kld', 'kl_divergence'],
    ['poisson', 'poisson'], ['cosine_similarity', 'cosine_similarity'], ['hinge', 'hinge'], ['squared_hinge', 'squared_hinge'],
    ['categorical_hinge', 'categorical_hinge'], ['mape', 'mean_absolute_percentage_error'], ['msle', 'mean_squared_logarithmic_error'],
    ['binary_focal_crossentropy', 'binary_focal_crossentropy'], ['categorical_focal_crossentropy', 'categorical_focal_crossentropy'],
  ];
  for (const [id, name] of pairs) assert.is(losses.getLoss(id).name, name, id);
});

test('bad options are errors that say what was expected', () => {
  assert.throws(() => new losses.Huber({ reduction: 'avg' as losses.Reduction }), /invalid value for argument `reduction`. Expected one of 'sum_over_batch_size'/);
  assert.throws(() => new losses.Huber({ delt: 1 } as never), /unknown option 'delt'. Did you mean 'delta'\?/);
  assert.throws(() => new losses.BinaryFocalCrossentropy({ apply_class_balancing: true } as never), /Did you mean 'applyClassBalancing'/);
  assert.throws(() => new losses.CategoricalCrossentropy({ labelSmoothing: 1.5 }), /labelSmoothing must be a number >= 0 and <= 1, got 1.5/);
  assert.throws(() => new losses.Huber({ reduction: 'none' }).compute(tensor([[1]]), tensor([[2]])), /use apply\(\)/);
  assert.throws(() => losses.categoricalHinge(tensor([[1, 0]]), tensor([[1, 0, 0]])), /categorical_hinge: labels of shape/);
});

test.run();
