/**
 * Keras masks beyond the fixtures: gradients through a masked recurrence by finite differences,
 * padding invariance (a masked, zero-padded batch computes what the unpadded sequences do),
 * propagation through Sequential, layers that drop a mask (with Keras's warning), and bad input.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Input, Model, Sequential, layers, ops, tensor, type Tensor } from '../src/index.js';
import { getSession } from '../src/api/backend.js';
import type { KerasTensor } from '../src/api/layers/keras-tensor.js';
import { Layer, type CallArgs } from '../src/api/layers/layer.js';
import { getKerasMask, setKerasMask } from '../src/api/layers/masks.js';
import type { SymbolicTensor } from '../src/api/ops.js';
import * as B from '../src/ir/build.js';
import { layerGradCheck } from './support/layer-gradcheck.js';
import type { Gen } from './support/gradcheck.js';

/** Runs `inner` on its first input with the second input (1 = keep, 0 = masked) as the Keras mask. */
class MaskedBy extends Layer {
  constructor(readonly inner: Layer) {
    super();
  }
  override build(shapes: readonly (readonly (number | null)[])[]): void {
    this.inner.maybeBuild([...shapes[0]]);
  }
  override call(inputs: SymbolicTensor | readonly SymbolicTensor[], _args: CallArgs): SymbolicTensor {
    const [x, keep] = inputs as readonly SymbolicTensor[];
    setKerasMask(x, ops.greater(keep, 0.5));
    return this.inner(x) as SymbolicTensor;
  }
}

// Per sample of 5 steps: padding at the end, at the start, in the middle.
const KEEP = [1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 1, 0, 1, 1];
const keepGen: Gen = () => [...KEEP];
const bias = { biasInitializer: 'random_uniform' } as const;

for (const [name, make] of [
  ['LSTM sequences', () => new layers.LSTM(3, { returnSequences: true, ...bias })],
  ['LSTM last, goBackwards', () => new layers.LSTM(3, { goBackwards: true, ...bias })],
  ['GRU sequences', () => new layers.GRU(3, { returnSequences: true, ...bias })],
  ['SimpleRNN last', () => new layers.SimpleRNN(3, { ...bias })],
] as const) {
  test(`masked ${name}: gradients of the input and every weight by finite differences`, () => {
    const layer = new MaskedBy(make());
    const report = layerGradCheck(layer, [[3, 5, 2], [3, 5]], { atol: 1e-6, rtol: 1e-5, inputs: [{}, { gen: keepGen, diff: false }] });
    assert.ok(report.checked > 30, `checked ${report.checked}`);
  });
}

/** Token rows with padding (0) at the end, start and middle; and the same rows without it. */
const TOKENS = [[3, 5, 1, 0, 0], [0, 0, 2, 7, 4], [6, 0, 0, 3, 2]];

test('padding invariance: masked zero-padded batch equals each unpadded sequence', () => {
  const input = Input({ shape: [5], dtype: 'int32' });
  const embedding = new layers.Embedding(8, 3, { maskZero: true });
  const lstm = new layers.LSTM(4);
  const model = new Model({ inputs: input, outputs: lstm(embedding(input) as KerasTensor) as KerasTensor });
  const padded = model.predict(tensor(Int32Array.from(TOKENS.flat()), [3, 5]), { verbose: 0 }) as Tensor;
  TOKENS.forEach((row, n) => {
    const kept = row.filter((t) => t !== 0);
    const short = Input({ shape: [kept.length], dtype: 'int32' });
    const unpadded = new Model({ inputs: short, outputs: lstm(embedding(short) as KerasTensor) as KerasTensor });
    const y = unpadded.predict(tensor(Int32Array.from(kept), [1, kept.length]), { verbose: 0 }) as Tensor;
    for (let u = 0; u < 4; u++) assert.ok(Math.abs(y.data[u] - padded.data[n * 4 + u]) < 1e-6, `sample ${n} unit ${u}: ${y.data[u]} vs ${padded.data[n * 4 + u]}`);
  });
});

test('the mask travels through Sequential and pass-through layers, and stops where Keras stops it', () => {
  const model = new Sequential([
    Input({ shape: [5], dtype: 'int32' }),
    new layers.Embedding(8, 3, { maskZero: true }),
    new layers.Dense(4),
    new layers.Dropout(0.5),
    new layers.LayerNormalization(),
    new layers.LSTM(2, { returnSequences: true }),
  ]);
  const x = B.input('x', [2, 5], 'int32');
  const out = model.trace([x], false, B.input('seed', [], 'int32')).outputs[0];
  assert.ok(getKerasMask(out) !== undefined, 'the sequence output carries the mask');
  const pooled = new Sequential([Input({ shape: [5], dtype: 'int32' }), new layers.Embedding(8, 3, { maskZero: true }), new layers.GlobalAveragePooling1D()]);
  assert.is(getKerasMask(pooled.trace([x], false, B.input('seed', [], 'int32')).outputs[0]), undefined, 'pooling consumes the mask');
  const unmasked = new Sequential([Input({ shape: [5], dtype: 'int32' }), new layers.Embedding(8, 3), new layers.LSTM(2, { returnSequences: true })]);
  assert.is(getKerasMask(unmasked.trace([x], false, B.input('seed', [], 'int32')).outputs[0]), undefined, 'no maskZero, no mask');
});

test('a layer without mask support drops the mask with Keras\'s warning', () => {
  const warnings: string[] = [];
  const original = console.warn;
  console.warn = (m: unknown) => warnings.push(String(m));
  try {
    const input = Input({ shape: [5], dtype: 'int32' });
    const conv = new layers.Conv1D(2, 2, { name: 'conv_drops_mask' });
    const out = conv(new layers.Embedding(8, 3, { maskZero: true })(input) as KerasTensor) as KerasTensor;
    assert.is(getKerasMask(out.node), undefined);
  } finally {
    console.warn = original;
  }
  assert.equal(warnings, ["Layer 'conv_drops_mask' (of type Conv1D) was passed an input with a mask attached to it. However, this layer does not support masking and will therefore destroy the mask information. Downstream layers will not see the mask."]);
});

test('Masking: a mask value that is not a number is refused', () => {
  assert.throws(() => new layers.Masking({ maskValue: 'a' as unknown as number }), /mask_value must be a number, got string "a"/);
  assert.throws(() => new layers.Masking({ maskvalue: 0 } as unknown as { maskValue: number }), /maskvalue/);
});

test('per-sample weights on an output masked per step are refused as in Keras', () => {
  const input = Input({ shape: [5], dtype: 'int32' });
  const h = new layers.LSTM(3, { returnSequences: true })(new layers.Embedding(8, 3, { maskZero: true })(input) as KerasTensor) as KerasTensor;
  const model = new Model({ inputs: input, outputs: new layers.Dense(2, { activation: 'softmax' })(h) as KerasTensor });
  model.compile({ optimizer: 'sgd', loss: 'sparse_categorical_crossentropy' });
  const x = tensor(Int32Array.from(TOKENS.flat()), [3, 5]);
  const y = tensor(new Int32Array(15), [3, 5]);
  assert.throws(() => model.evaluate(x, y, { sampleWeight: tensor(Float32Array.of(1, 2, 3), [3]), verbose: 0 }), /one weight per step, shape \(3, 5\)/);
});

test('new padding in each batch trains with the same one compiled program', async () => {
  const input = Input({ shape: [5], dtype: 'int32' });
  const h = new layers.LSTM(3, { returnSequences: true })(new layers.Embedding(8, 3, { maskZero: true })(input) as KerasTensor) as KerasTensor;
  const model = new Model({ inputs: input, outputs: new layers.Dense(2, { activation: 'softmax' })(h) as KerasTensor });
  model.compile({ optimizer: 'sgd', loss: 'sparse_categorical_crossentropy' });
  const y = tensor(new Int32Array(15), [3, 5]);
  await model.trainOnBatch(tensor(Int32Array.from(TOKENS.flat()), [3, 5]), y);
  const programs = getSession().programCount;
  const repadded = [[0, 0, 0, 5, 1], [2, 7, 0, 0, 0], [1, 1, 1, 1, 1]];
  const loss = await model.trainOnBatch(tensor(Int32Array.from(repadded.flat()), [3, 5]), y) as number;
  assert.ok(Number.isFinite(loss));
  assert.is(getSession().programCount, programs, 'no program compiled for the new mask');
});

test('mae on an output masked per step averages the kept steps only, one program for any padding', () => {
  const input = Input({ shape: [5], dtype: 'int32' });
  const h = new layers.SimpleRNN(2, { returnSequences: true })(new layers.Embedding(8, 3, { maskZero: true })(input) as KerasTensor) as KerasTensor;
  const model = new Model({ inputs: input, outputs: h });
  model.compile({ optimizer: 'sgd', loss: 'mse', metrics: ['mae'] });
  const y = tensor(Float32Array.from({ length: 30 }, (_, k) => Math.sin(k)), [3, 5, 2]);
  let programs = -1;
  for (const rows of [TOKENS, [[0, 0, 0, 5, 1], [2, 7, 0, 0, 0], [1, 1, 1, 1, 1]]]) {
    const x = tensor(Int32Array.from(rows.flat()), [3, 5]);
    const logs = model.evaluate(x, y, { verbose: 0, batchSize: 3 }) as number[];
    // Counted before predict(), which compiles its own program.
    if (programs >= 0) assert.is(getSession().programCount, programs, 'no program compiled for the new mask');
    // Keras's MeanMetricWrapper: the mask is a 0/1 weight, so mae is the mean over real steps.
    const p = (model.predict(x, { verbose: 0 }) as Tensor).data;
    programs = getSession().programCount;
    let total = 0, kept = 0;
    rows.flat().forEach((token, s) => {
      if (token === 0) return;
      total += (Math.abs(p[2 * s] - y.data[2 * s]) + Math.abs(p[2 * s + 1] - y.data[2 * s + 1])) / 2;
      kept++;
    });
    assert.ok(Math.abs(logs[1] - total / kept) <= 1e-6, `mae ${logs[1]} vs ${total / kept} over the kept steps`);
  }
});

test.run();
