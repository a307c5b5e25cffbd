/**
 * SimpleRNN, LSTM and GRU against TensorFlow.js with identical weights (its defaults differ from
 * Keras 3's, so recurrentActivation and unitForgetBias are set explicitly), compiled and on the
 * interpreter; parameter counts against Keras's formulas; their errors.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Input, Model, layers, type Tensor } from '../src/index.js';
import type { KerasTensor } from '../src/api/layers/keras-tensor.js';
import type { Layer } from '../src/api/layers/layer.js';
import { evalModel, loadTf, maxAbsDiff, randomTensor } from './support/api-eval.js';
import { printReport, record } from './support/zoo-report.js';

const tf = await loadTf();
type TfLayer = { apply(x: ReturnType<typeof tf.input>): unknown };
type TfTensor = ReturnType<typeof tf.tensor>;

/** Our layer and TensorFlow.js's on the same input and weights: every output, compiled and interpreted. */
function againstTf(ours: Layer, theirs: TfLayer, x: Tensor, tol = 2e-5): void {
  const input = Input({ shape: x.shape.slice(1) });
  const out = ours(input) as KerasTensor | KerasTensor[];
  const outs = Array.isArray(out) ? out : [out];
  const model = new Model({ inputs: input, outputs: outs });
  const compiled = model.predict(x, { verbose: 0 }) as Tensor | Tensor[];
  const compiledList = Array.isArray(compiled) ? compiled : [compiled];
  const interpreted = evalModel(model, [x]).outputs;

  const tin = tf.input({ shape: x.shape.slice(1) });
  const tout = theirs.apply(tin) as ReturnType<typeof tf.input> | ReturnType<typeof tf.input>[];
  const tmodel = tf.model({ inputs: tin, outputs: tout });
  tmodel.setWeights(ours.getWeights().map((w) => tf.tensor(Array.from(w.data), [...w.shape])));
  const ref = tmodel.predict(tf.tensor(Array.from(x.data), [...x.shape])) as TfTensor | TfTensor[];
  const refList = Array.isArray(ref) ? ref : [ref];
  assert.is(outs.length, refList.length, `${ours.name}: number of outputs`);
  assert.is(ours.countParams(), tmodel.countParams(), `${ours.name}: parameter count`);
  refList.forEach((r, i) => {
    assert.equal([...compiledList[i].shape], r.shape, `${ours.name}: output ${i} shape`);
    assert.equal(model.outputShapes[i].slice(1), r.shape.slice(1), `${ours.name}: symbolic output ${i} shape`);
    const diff = Math.max(maxAbsDiff(compiledList[i].data, r.dataSync()), maxAbsDiff(interpreted[i].data, r.dataSync()));
    record(ours.className, 'TensorFlow.js', diff);
    assert.ok(diff < tol, `${ours.name}: output ${i} max |diff| ${diff}`);
  });
}

const x = randomTensor([3, 7, 5], 11);
const bias = { biasInitializer: 'random_uniform' } as const;

for (const returnSequences of [false, true]) {
  for (const goBackwards of [false, true]) {
    const flags = { returnSequences, goBackwards };
    const label = `returnSequences ${returnSequences}, goBackwards ${goBackwards}`;
    test(`SimpleRNN vs TensorFlow.js: ${label}`, () => {
      againstTf(new layers.SimpleRNN(4, { ...flags, ...bias }), tf.layers.simpleRNN({ units: 4, ...flags }) as TfLayer, x);
    });
    test(`LSTM vs TensorFlow.js: ${label}`, () => {
      againstTf(new layers.LSTM(4, { ...flags, ...bias }), tf.layers.lstm({ units: 4, recurrentActivation: 'sigmoid', unitForgetBias: true, ...flags }) as TfLayer, x);
    });
    test(`GRU (resetAfter false) vs TensorFlow.js: ${label}`, () => {
      againstTf(new layers.GRU(4, { resetAfter: false, ...flags, ...bias }), tf.layers.gru({ units: 4, recurrentActivation: 'sigmoid', ...flags }) as TfLayer, x);
    });
  }
}

test('returnState: LSTM returns [output, h, c], GRU and SimpleRNN [output, h]', () => {
  againstTf(new layers.LSTM(3, { returnState: true, returnSequences: true, ...bias }), tf.layers.lstm({ units: 3, returnState: true, returnSequences: true, recurrentActivation: 'sigmoid' }) as TfLayer, x);
  againstTf(new layers.GRU(3, { returnState: true, resetAfter: false, ...bias }), tf.layers.gru({ units: 3, returnState: true, recurrentActivation: 'sigmoid' }) as TfLayer, x);
  againstTf(new layers.SimpleRNN(3, { returnState: true, activation: 'relu', ...bias }), tf.layers.simpleRNN({ units: 3, returnState: true, activation: 'relu' }) as TfLayer, x);
});

test('parameter counts and weight shapes follow Keras', () => {
  const check = (l: Layer, expected: number, shapes: number[][]) => {
    const input = Input({ shape: [7, 5] });
    l(input);
    assert.is(l.countParams(), expected, `${l.className} parameters`);
    assert.equal(l.getWeights().map((w) => [...w.shape]), shapes, `${l.className} weight shapes`);
  };
  const u = 6, d = 5;
  check(new layers.SimpleRNN(u), u * (d + u) + u, [[d, u], [u, u], [u]]);
  check(new layers.LSTM(u), 4 * (u * (d + u) + u), [[d, 4 * u], [u, 4 * u], [4 * u]]);
  check(new layers.GRU(u), 3 * u * (d + u) + 6 * u, [[d, 3 * u], [u, 3 * u], [2, 3 * u]]);
  check(new layers.GRU(u, { resetAfter: false }), 3 * u * (d + u) + 3 * u, [[d, 3 * u], [u, 3 * u], [3 * u]]);
  check(new layers.LSTM(u, { useBias: false }), 4 * u * (d + u), [[d, 4 * u], [u, 4 * u]]);
});

test('LSTM bias starts with ones on the forget gate (unitForgetBias), zeros without it', () => {
  const a = new layers.LSTM(3);
  a(Input({ shape: [4, 2] }));
  assert.equal([...a.getWeights()[2].data], [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
  const b = new layers.LSTM(3, { unitForgetBias: false });
  b(Input({ shape: [4, 2] }));
  assert.equal([...b.getWeights()[2].data], new Array(12).fill(0));
});

test('an LSTM on a 2-D input names the layer, the rank it expects and the shape it got', () => {
  const lstm = new layers.LSTM(4, { name: 'encoder' });
  assert.throws(() => lstm(Input({ shape: [8] })), (e: Error) => /layer "encoder"/.test(e.message) && /expected ndim=3, found ndim=2/.test(e.message) && /\(None, 8\)/.test(e.message));
});

test('options Keras has but these layers do not build are refused, not ignored; typos get a suggestion', () => {
  assert.throws(() => new layers.LSTM(4, { seed: '3' as never }), /argument `seed` must be an integer. Received: seed="3"/);
  assert.throws(() => new layers.GRUCell(4, { seed: 1.5 }), /argument `seed` must be an integer. Received: seed=1.5/);
  assert.throws(() => new layers.LSTM(4, { kernelRegularizer: 'l3' }), /regularizer identifier: 'l3'/);
  assert.throws(() => new layers.SimpleRNNCell(4, { recurrentConstraint: 'maxnorm' }), /constraint identifier: 'maxnorm'/);
  assert.throws(() => new layers.LSTM(4, { dropout: 1 }), /invalid value received for argument `dropout`. Expected a float value between 0 and 1 \(1 excluded\). Received: dropout=1/);
  assert.throws(() => new layers.GRU(4, { stateful: true })(Input({ shape: [3, 2] })), /When using `stateful=True` in a RNN, the batch size must be static. Found dynamic batch size: sequence.shape=\(None, 3, 2\)/);
  assert.throws(() => new layers.LSTM(4, { return_sequences: true } as never), /unknown option 'return_sequences'. Did you mean 'returnSequences'\?/);
  assert.throws(() => new layers.GRU(0), /received an invalid value for `units`, expected a positive integer/);
});

test.after(printReport);
test.run();
