/**
 * MultiHeadAttention against real Keras 3 (tests/fixtures/keras3/attention/multi_head_attention.json,
 * written by tests/fixtures/attention.py): same weights and inputs, Keras's outputs and attention
 * scores, compiled and on the float64 interpreter; weight shapes, order and parameter counts;
 * gradients by finite differences; bad calls.
 */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Input, Model, layers, tensor, type Tensor } from '../src/index.js';
import type { KerasTensor } from '../src/api/layers/keras-tensor.js';
import type { CallKwargs } from '../src/api/layers/layer.js';
import { evalModel, maxAbsDiff } from './support/api-eval.js';
import { gen } from './support/gradcheck.js';
import { layerGradCheck } from './support/layer-gradcheck.js';

interface Array1 { readonly shape: number[]; readonly data: number[] }
interface Case {
  readonly label: string;
  readonly args: layers.MultiHeadAttentionArgs;
  readonly query: Array1;
  readonly value: Array1 | null;
  readonly key: Array1 | null;
  readonly attentionMask: Array1 | null;
  readonly useCausalMask: boolean;
  readonly weights: Array1[];
  readonly weightPaths: string[];
  readonly output: Array1;
  readonly scores: Array1;
  readonly countParams: number;
}

const fixture = JSON.parse(readFileSync(new URL('../../tests/fixtures/keras3/attention/multi_head_attention.json', import.meta.url), 'utf8')) as { keras: string; cases: Case[] };
const toTensor = (a: Array1): Tensor => tensor(Float32Array.from(a.data), a.shape);
let worst = 0;

test(`fixture is from Keras 3 (${fixture.keras})`, () => {
  assert.ok(fixture.keras.startsWith('3.'));
  assert.ok(fixture.cases.length >= 6);
});

/** The layer called on Inputs the way the case calls it, as a model with [output, scores]. */
function modelOf(c: Case): { model: Model; mha: layers.MultiHeadAttention; feeds: Tensor[] } {
  const mha = new layers.MultiHeadAttention(c.args);
  const input = (a: Array1) => Input({ shape: a.shape.slice(1) });
  const query = input(c.query);
  const value = c.value === null ? query : input(c.value);
  const key = c.key === null ? undefined : input(c.key);
  const mask = c.attentionMask === null ? undefined : input(c.attentionMask);
  const [out, scores] = mha(query, value, { key, attentionMask: mask, useCausalMask: c.useCausalMask, returnAttentionScores: true });
  const inputs = [query, ...(c.value === null ? [] : [value]), ...(key ? [key] : []), ...(mask ? [mask] : [])];
  const feeds = [c.query, c.value, c.key, c.attentionMask].filter((a): a is Array1 => a !== null).map(toTensor);
  return { model: new Model({ inputs, outputs: [out, scores] }), mha, feeds };
}

for (const c of fixture.cases) {
  test(`MultiHeadAttention: ${c.label}: outputs and scores match Keras, compiled and interpreted`, () => {
    const { model, mha, feeds } = modelOf(c);
    assert.equal(mha.weights.map((w) => w.shape), c.weights.map((w) => w.shape), 'weight shapes in Keras order');
    assert.equal(mha.weights.map((w) => w.path), c.weightPaths.map((p) => `${mha.name}/${p.split('/').slice(-2).join('/')}`), 'weight paths');
    mha.setWeights(c.weights.map(toTensor));
    assert.is(mha.countParams(), c.countParams, 'count_params');
    const interpreted = evalModel(model, feeds).outputs;
    const compiled = model.predict(feeds.length === 1 ? feeds[0] : feeds, { verbose: 0 }) as Tensor[];
    for (const [what, got, want] of [['output', 0, c.output], ['scores', 1, c.scores]] as const) {
      assert.equal([...compiled[got].shape], want.shape, `${what} shape`);
      const d = Math.max(maxAbsDiff(interpreted[got].data, want.data), maxAbsDiff(compiled[got].data, want.data));
      worst = Math.max(worst, d);
      assert.ok(d < 2e-5, `${what}: max |diff| from Keras ${d}`);
    }
  });
}

test('parameter count follows H·K·(Dq+1) + H·K·(Dk+1) + H·V·(Dv+1) + O·(H·V+1)', () => {
  const [H, K, V, Dq, Dk, Dv, O] = [3, 4, 5, 6, 7, 8, 9];
  const mha = new layers.MultiHeadAttention({ numHeads: H, keyDim: K, valueDim: V, outputShape: O });
  mha(Input({ shape: [2, Dq] }), Input({ shape: [3, Dv] }), { key: Input({ shape: [3, Dk] }) });
  assert.is(mha.countParams(), H * K * (Dq + 1) + H * K * (Dk + 1) + H * V * (Dv + 1) + O * (H * V + 1));
  const noBias = new layers.MultiHeadAttention({ numHeads: H, keyDim: K, useBias: false });
  noBias(Input({ shape: [2, Dq] }), Input({ shape: [3, Dv] }));
  assert.is(noBias.countParams(), H * K * Dq + H * K * Dv + H * K * Dv + Dq * H * K);
});

test('symbolic shapes: output (batch, T, O) and scores (batch, H, T, S)', () => {
  const mha = new layers.MultiHeadAttention({ numHeads: 2, keyDim: 4 });
  const q = Input({ shape: [5, 8] }), v = Input({ shape: [7, 6] });
  const [out, scores] = mha(q, v, { returnAttentionScores: true });
  assert.equal([...out.shape], [null, 5, 8]);
  assert.equal([...scores.shape], [null, 2, 5, 7]);
  const single = mha(q, v) as KerasTensor;
  assert.equal([...single.shape], [null, 5, 8]);
});

const check = (mha: layers.MultiHeadAttention, shapes: number[][], options: { inputs?: { gen?: ReturnType<typeof gen.uniform>; diff?: boolean }[]; kwargs: CallKwargs }) => {
  const report = layerGradCheck(mha, shapes, { ...options, atol: 1e-6, rtol: 1e-4 });
  assert.ok(report.checked > 100, `checked ${report.checked} elements`);
};
const kwargs = (k: Partial<{ hasMask: boolean; useCausalMask: boolean; returnAttentionScores: boolean }>): CallKwargs => ({ hasMask: false, useCausalMask: false, returnAttentionScores: false, ...k });

test('gradients by finite differences: self-attention, cross-attention with a mask, causal', () => {
  check(new layers.MultiHeadAttention({ numHeads: 2, keyDim: 3 }), [[2, 4, 5], [2, 4, 5], [2, 4, 5]], { kwargs: kwargs({}) });
  const maskValues = (n: number) => Array.from({ length: n }, (_, i) => (i % 4 === 0 || i % 3 === 1 ? 1 : 0));
  check(new layers.MultiHeadAttention({ numHeads: 2, keyDim: 2, valueDim: 3, outputShape: 4 }), [[2, 3, 5], [2, 4, 6], [2, 4, 7], [2, 3, 4]],
    { inputs: [{}, {}, {}, { gen: maskValues, diff: false }], kwargs: kwargs({ hasMask: true }) });
  check(new layers.MultiHeadAttention({ numHeads: 2, keyDim: 2, useBias: false }), [[2, 4, 3], [2, 4, 3], [2, 4, 3]], { kwargs: kwargs({ useCausalMask: true }) });
  check(new layers.MultiHeadAttention({ numHeads: 2, keyDim: 2, attentionAxes: [1, 2] }), [[1, 2, 3, 4], [1, 2, 3, 4], [1, 2, 3, 4]], { kwargs: kwargs({}) });
});

test('a causal mask hides later keys: changing the last value leaves earlier outputs unchanged', () => {
  const mha = new layers.MultiHeadAttention({ numHeads: 2, keyDim: 3 });
  const x = Input({ shape: [4, 3] });
  const model = new Model({ inputs: x, outputs: mha(x, x, { useCausalMask: true }) as KerasTensor });
  const a = Float32Array.from({ length: 12 }, (_, i) => Math.sin(i));
  const b = Float32Array.from(a);
  b[9] += 1; b[10] -= 2;
  const ya = (model.predict(tensor(a, [1, 4, 3]), { verbose: 0 }) as Tensor).data;
  const yb = (model.predict(tensor(b, [1, 4, 3]), { verbose: 0 }) as Tensor).data;
  assert.ok(maxAbsDiff(ya.slice(0, 9), yb.slice(0, 9)) < 1e-6, 'positions 0..2 do not see position 3');
  assert.ok(maxAbsDiff(ya.slice(9), yb.slice(9)) > 1e-3, 'position 3 sees itself');
});

test('dropout on the attention probabilities: training differs from inference, inference matches no dropout', () => {
  const mha = new layers.MultiHeadAttention({ numHeads: 2, keyDim: 3, dropout: 0.5 });
  const x = Input({ shape: [4, 3] });
  const model = new Model({ inputs: x, outputs: mha(x, x) as KerasTensor });
  const data = tensor(Float32Array.from({ length: 24 }, (_, i) => Math.cos(i)), [2, 4, 3]);
  const plain = new layers.MultiHeadAttention({ numHeads: 2, keyDim: 3 });
  const reference = new Model({ inputs: x, outputs: plain(x, x) as KerasTensor });
  plain.setWeights(mha.getWeights());
  const inference = evalModel(model, [data]).outputs[0];
  assert.ok(maxAbsDiff(inference.data, evalModel(reference, [data]).outputs[0].data) < 1e-6);
  const training = evalModel(model, [data], { training: true }).outputs[0];
  assert.ok(maxAbsDiff(inference.data, training.data) > 1e-3);
});

test('bad calls and options are clear errors', () => {
  const mha = new layers.MultiHeadAttention({ numHeads: 2, keyDim: 3 });
  assert.throws(() => mha(Input({ shape: [4, 5] }), Input({ shape: [6, 5] }), { key: Input({ shape: [7, 5] }) }), /All dimensions of `value` and `key`, except the last one, must be equal. Received: value_shape=\(None, 6, 5\) and key_shape=\(None, 7, 5\)/);
  assert.throws(() => new layers.MultiHeadAttention({ numHeads: 0, keyDim: 3 }), /num_heads.*positive integer/);
  assert.throws(() => new layers.MultiHeadAttention({ numHeads: 2, keyDim: 3, num_heads: 2 } as never), /unknown option 'num_heads'. Did you mean 'numHeads'/);
  assert.throws(() => new layers.MultiHeadAttention({ numHeads: 2, keyDim: 3, flashAttention: true } as never), /flashAttention' is not supported/);
  assert.throws(() => new layers.MultiHeadAttention({ numHeads: 2, keyDim: 3, activityRegularizer: 'l2' } as never), /activityRegularizer' is not supported: Keras applies it to each projection/);
  const other = new layers.MultiHeadAttention({ numHeads: 2, keyDim: 3 });
  const q = Input({ shape: [4, 5] });
  assert.throws(() => other(q, q, { attention_mask: q } as never), /unknown option 'attention_mask'. Did you mean 'attentionMask'/);
  assert.throws(() => (other as unknown as (x: unknown) => unknown)(q), /called with a query and a value/);
  assert.throws(() => other(q, q, { attentionMask: Input({ shape: [4, 3] }) }), /attention mask must be broadcastable .* mask shape=\(None, 4, 3\)/);
  assert.throws(() => new layers.MultiHeadAttention({ numHeads: 2, keyDim: 3, attentionAxes: [3] })(Input({ shape: [4, 5] }), Input({ shape: [4, 5] })), /attention_axes \[3\] must name distinct axes/);
});

test('worst difference from Keras', () => {
  console.log(`  MultiHeadAttention: worst |keras-jit - Keras 3| ${worst.toExponential(2)}`);
  assert.ok(worst > 0 && worst < 2e-5);
});

test.run();
