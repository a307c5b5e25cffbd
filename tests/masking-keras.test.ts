/**
 * Keras masks against real Keras 3 (tests/fixtures/keras3/masking/*.json, written by
 * keras_masking.py): Embedding(maskZero) and Masking feeding SimpleRNN/LSTM/GRU (sequences or the
 * last output, forwards and backwards), masked GlobalAveragePooling1D, and one SGD step of a
 * masked model (loss and every updated weight). Padding sits at different places in each sample,
 * and one sample is all padding. Compiled, and on the float64 interpreter.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Input, Model, layers, optimizers, tensor, type Tensor } from '../src/index.js';
import type { KerasTensor } from '../src/api/layers/keras-tensor.js';
import type { Layer } from '../src/api/layers/layer.js';
import { evalModel } from './support/api-eval.js';
import * as B from '../src/ir/build.js';
import { getKerasMask as getMaskOf } from '../src/api/layers/masks.js';

interface Stored { readonly shape: number[]; readonly data: number[] }
type Spec = Readonly<Record<string, unknown>> & { readonly class: string };
interface Fixture {
  readonly keras: string;
  readonly layers: Spec[];
  readonly inputDtype: 'int32' | 'float32';
  readonly input: Stored;
  readonly weights: Stored[];
  readonly output?: Stored;
  readonly outputMask?: Stored | null;
  readonly symbolicOutputHasMask?: boolean;
  readonly target?: Stored;
  readonly loss?: string;
  readonly sampleWeight?: Stored | null;
  readonly evaluateLoss?: number;
  readonly trainLoss?: number;
  readonly weightsAfter?: Stored[];
}

const dir = new URL('../../tests/fixtures/keras3/masking/', import.meta.url);
const fixtures = readdirSync(dir).filter((f) => f.endsWith('.json')).sort()
  .map((f) => [f.replace(/\.json$/, ''), JSON.parse(readFileSync(new URL(f, dir), 'utf8')) as Fixture] as const);

const toTensor = (s: Stored, dtype: 'int32' | 'float32' = 'float32'): Tensor =>
  dtype === 'int32' ? tensor(Int32Array.from(s.data), s.shape) : tensor(Float32Array.from(s.data), s.shape);

function makeLayer(spec: Spec): Layer {
  const { class: cls, units, inputDim, outputDim, ...args } = spec as Spec & { units?: number; inputDim?: number; outputDim?: number };
  switch (cls) {
    case 'Embedding': return new layers.Embedding(inputDim!, outputDim!, args);
    case 'Masking': return new layers.Masking(args);
    case 'LSTM': return new layers.LSTM(units!, args);
    case 'GRU': return new layers.GRU(units!, args);
    case 'SimpleRNN': return new layers.SimpleRNN(units!, args);
    case 'Dense': return new layers.Dense(units!, args);
    case 'GlobalAveragePooling1D': return new layers.GlobalAveragePooling1D(args);
    default: throw new Error(`fixture layer ${cls} not mapped`);
  }
}

function buildModel(f: Fixture): { model: Model; input: KerasTensor } {
  const input = Input({ shape: f.input.shape.slice(1), dtype: f.inputDtype });
  let h: KerasTensor = input;
  for (const spec of f.layers) {
    if (spec.class === 'MultiHeadAttention') {
      // Self-attention, the first output only (Keras's fixture keeps the attention output).
      const { numHeads, keyDim, useCausalMask, returnAttentionScores } = spec as Spec & { numHeads: number; keyDim: number; useCausalMask: boolean; returnAttentionScores: boolean };
      const mha = new layers.MultiHeadAttention({ numHeads, keyDim });
      const out = returnAttentionScores ? mha(h, h, { useCausalMask, returnAttentionScores: true }) : mha(h, h, { useCausalMask });
      h = Array.isArray(out) ? out[0] : out;
    } else if (spec.class === 'Attention') {
      h = new layers.Attention()([h, h]) as KerasTensor;
    } else if (spec.class === 'AddDense') {
      h = new layers.Add()([h, new layers.Dense(spec.units as number)(h) as KerasTensor]) as KerasTensor;
    } else {
      h = makeLayer(spec)(h) as KerasTensor;
    }
  }
  const model = new Model({ inputs: input, outputs: h });
  model.setWeights(f.weights.map((w) => toTensor(w)));
  return { model, input };
}

/** Largest |a - b| / max(1, |b|): relative for large values, absolute near zero. */
function relDiff(a: ArrayLike<number>, b: readonly number[]): number {
  assert.is(a.length, b.length, 'length');
  let worst = 0;
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return worst;
}

for (const [name, f] of fixtures) {
  if (f.output === undefined) continue;
  test(`${name}: predictions match Keras ${f.keras}`, () => {
    const { model, input } = buildModel(f);
    const x = toTensor(f.input, f.inputDtype);
    const compiled = model.predict(x, { verbose: 0 }) as Tensor;
    assert.equal([...compiled.shape], f.output!.shape, 'output shape');
    const dCompiled = relDiff(compiled.data, f.output!.data);
    const dInterp = relDiff(evalModel(model, [x]).outputs[0].data, f.output!.data);
    assert.ok(dCompiled <= 1e-5, `compiled: max rel diff ${dCompiled}`);
    assert.ok(dInterp <= 1e-5, `interpreter: max rel diff ${dInterp}`);
    // The functional graph's output carries a mask exactly when Keras's does.
    const traced = model.trace([input.node], false, B.input('seed', [], 'int32')).outputs[0];
    assert.is(getMaskOf(traced) !== undefined, f.symbolicOutputHasMask, 'output carries a mask');
  });
}

for (const [name, f] of fixtures) {
  if (f.weightsAfter === undefined) continue;
  test(`${name}: evaluate and one SGD step match Keras ${f.keras}`, async () => {
    const { model } = buildModel(f);
    model.compile({ optimizer: new optimizers.SGD({ learningRate: 0.5 }), loss: f.loss! });
    const x = toTensor(f.input, 'int32');
    const yDtype = f.loss === 'sparse_categorical_crossentropy' ? 'int32' : 'float32';
    const y = toTensor(f.target!, yDtype);
    const sampleWeight = f.sampleWeight ? toTensor(f.sampleWeight) : undefined;
    const evaluated = model.evaluate(x, y, { batchSize: f.input.shape[0], verbose: 0, ...(sampleWeight ? { sampleWeight } : {}) }) as number;
    assert.ok(relDiff([evaluated], [f.evaluateLoss!]) <= 1e-5, `evaluate loss ${evaluated} vs Keras ${f.evaluateLoss}`);
    const trained = await model.trainOnBatch(x, y, sampleWeight ? { sampleWeight } : {}) as number;
    assert.ok(relDiff([trained], [f.trainLoss!]) <= 1e-5, `train loss ${trained} vs Keras ${f.trainLoss}`);
    model.getWeights().forEach((w, i) => {
      const d = relDiff(w.data, f.weightsAfter![i].data);
      assert.ok(d <= 1e-5, `weight ${i} after the step: max rel diff ${d}`);
    });
  });
}

test.run();
