/**
 * Attention and AdditiveAttention against real Keras 3 (tests/fixtures/keras3/attention/attention.json,
 * written by tests/fixtures/attention.py): same weights, inputs and masks, Keras's outputs and
 * attention weights, compiled and on the interpreter; gradients by finite differences; bad calls.
 */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Input, Model, layers, tensor, type Tensor } from '../src/index.js';
import type { KerasTensor } from '../src/api/layers/keras-tensor.js';
import type { CallKwargs } from '../src/api/layers/layer.js';
import { evalModel, maxAbsDiff } from './support/api-eval.js';
import { layerGradCheck } from './support/layer-gradcheck.js';

interface Array1 { readonly shape: number[]; readonly data: number[] }
interface Case {
  readonly label: string;
  readonly className: 'Attention' | 'AdditiveAttention';
  readonly args: layers.AttentionArgs;
  readonly inputs: Array1[];
  readonly valueMask: Array1 | null;
  readonly useCausalMask: boolean;
  readonly weights: Array1[];
  readonly weightPaths: string[];
  readonly output: Array1;
  readonly scores: Array1;
  readonly countParams: number;
}

const fixture = JSON.parse(readFileSync(new URL('../../tests/fixtures/keras3/attention/attention.json', import.meta.url), 'utf8')) as { keras: string; cases: Case[] };
const toTensor = (a: Array1): Tensor => tensor(Float32Array.from(a.data), a.shape);
const construct = (c: Case): layers.Attention => (c.className === 'Attention' ? new layers.Attention(c.args) : new layers.AdditiveAttention(c.args));
let worst = 0;

test(`fixture is from Keras 3 (${fixture.keras})`, () => {
  assert.ok(fixture.keras.startsWith('3.'));
  assert.ok(fixture.cases.length >= 5);
});

for (const c of fixture.cases) {
  test(`${c.className}: ${c.label}: outputs and weights match Keras, compiled and interpreted`, () => {
    const layer = construct(c);
    const symbolic = c.inputs.map((a) => Input({ shape: a.shape.slice(1) }));
    const mask = c.valueMask === null ? undefined : Input({ shape: c.valueMask.shape.slice(1) });
    const [out, scores] = layer(symbolic, { mask: mask === undefined ? undefined : [undefined, mask], useCausalMask: c.useCausalMask, returnAttentionScores: true });
    const model = new Model({ inputs: [...symbolic, ...(mask ? [mask] : [])], outputs: [out, scores] });
    assert.equal(layer.weights.map((w) => w.path), c.weightPaths.map((p) => `${layer.name}/${p.split('/').at(-1)}`), 'weight paths');
    layer.setWeights(c.weights.map(toTensor));
    assert.is(layer.countParams(), c.countParams);
    const feeds = [...c.inputs, ...(c.valueMask ? [c.valueMask] : [])].map(toTensor);
    const interpreted = evalModel(model, feeds).outputs;
    const compiled = model.predict(feeds, { verbose: 0 }) as Tensor[];
    for (const [what, i, want] of [['output', 0, c.output], ['weights', 1, c.scores]] as const) {
      assert.equal([...compiled[i].shape], want.shape, `${what} shape`);
      const d = Math.max(maxAbsDiff(interpreted[i].data, want.data), maxAbsDiff(compiled[i].data, want.data));
      worst = Math.max(worst, d);
      assert.ok(d < 2e-5, `${what}: max |diff| from Keras ${d}`);
    }
  });
}

test('a query mask zeroes the output rows of padded queries', () => {
  const layer = new layers.Attention();
  const q = Input({ shape: [3, 2] }), v = Input({ shape: [4, 2] }), qm = Input({ shape: [3] });
  const model = new Model({ inputs: [q, v, qm], outputs: layer([q, v], { mask: [qm, undefined] }) as KerasTensor });
  const y = (model.predict([tensor(Float32Array.from({ length: 6 }, (_, i) => i / 3 - 1), [1, 3, 2]), tensor(Float32Array.from({ length: 8 }, (_, i) => Math.sin(i)), [1, 4, 2]), tensor([[1, 0, 1]])], { verbose: 0 }) as Tensor).data;
  assert.equal(Array.from(y.slice(2, 4)), [0, 0]);
  assert.ok(Math.abs(y[0]) + Math.abs(y[4]) > 1e-3);
});

const kw = (k: Record<string, boolean>): CallKwargs => ({ hasKey: false, hasQueryMask: false, hasValueMask: false, useCausalMask: false, returnAttentionScores: false, ...k });
const maskGen = (n: number) => Array.from({ length: n }, (_, i) => (i % 5 === 3 ? 0 : 1));

test('gradients by finite differences: dot with scale, concat, additive, with value masks and causal', () => {
  const cases: [layers.Attention, number[][], CallKwargs, boolean][] = [
    [new layers.Attention({ useScale: true }), [[2, 3, 4], [2, 5, 4], [2, 5, 4]], kw({}), false],
    [new layers.Attention({ scoreMode: 'concat', useScale: true }), [[2, 4, 3], [2, 4, 3], [2, 4, 3]], kw({ useCausalMask: true }), false],
    [new layers.AdditiveAttention(), [[2, 3, 4], [2, 5, 4], [2, 5, 4], [2, 5]], kw({ hasValueMask: true }), true],
  ];
  for (const [layer, shapes, kwargs, masked] of cases) {
    const inputs = shapes.map((_, i) => (masked && i === shapes.length - 1 ? { gen: maskGen, diff: false } : {}));
    const report = layerGradCheck(layer, shapes, { inputs, kwargs, atol: 1e-6, rtol: 1e-4 });
    assert.ok(report.checked > 50, `${layer.className}: checked ${report.checked}`);
  }
});

test('bad calls and options are clear errors', () => {
  const q = Input({ shape: [3, 4] });
  assert.throws(() => (new layers.Attention() as unknown as (x: unknown) => unknown)(q), /must be called on a list of inputs, namely \[query, value\]/);
  assert.throws(() => new layers.Attention()([q]), /accepts inputs list of length 2 or 3/);
  assert.throws(() => new layers.Attention()([q, Input({ shape: [5, 4] }), Input({ shape: [6, 4] })]), /value and key must have the same number of steps/);
  assert.throws(() => new layers.Attention({ scoreMode: 'general' as never }), /Expected one of \{'dot', 'concat'\}. Received: score_mode=general/);
  assert.throws(() => new layers.Attention({ use_scale: true } as never), /unknown option 'use_scale'. Did you mean 'useScale'/);
  assert.throws(() => new layers.AdditiveAttention({ scoreMode: 'dot' } as never), /scoreMode' is not supported/);
  assert.throws(() => new layers.Attention()([q, q], { mask: q } as never), /mask must be a list/);
});

test('worst difference from Keras', () => {
  console.log(`  Attention, AdditiveAttention: worst |keras-jit - Keras 3| ${worst.toExponential(2)}`);
  assert.ok(worst > 0 && worst < 2e-5);
});

test.run();
