/**
 * Bidirectional against real Keras 3 (tests/fixtures/keras3/bidirectional/, keras_bidirectional.py):
 * every merge mode over LSTM, GRU and SimpleRNN, sequences or the last output, returnState, a
 * custom backward layer, masks from Embedding(maskZero) (the backward layer reads the mask
 * reversed), parameter counts and weight names, and one SGD step. Compiled and on the interpreter.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { optimizers, type Tensor } from '../src/index.js';
import { evalModel } from './support/api-eval.js';
import { buildChain, readFixture, relDiff, toTensor, type Spec, type Stored } from './support/bidirectional-fixture.js';

interface PredictCase {
  readonly label: string; readonly layers: Spec[]; readonly inputDtype: 'int32' | 'float32'; readonly input: Stored;
  readonly weights: Stored[]; readonly weightNames: string[]; readonly outputs: Stored[]; readonly countParams: number;
}
interface TrainCase {
  readonly label: string; readonly layers: Spec[]; readonly inputDtype: 'int32' | 'float32'; readonly input: Stored;
  readonly target: Stored; readonly weights: Stored[]; readonly trainLoss: number; readonly weightsAfter: Stored[];
}

const predict = readFixture<{ cases: PredictCase[] }>('predict.json');
const train = readFixture<{ cases: TrainCase[] }>('train.json');

for (const c of predict.cases) {
  test(`${c.label}: matches Keras ${predict.keras}`, () => {
    const { model, layers: made } = buildChain(c.layers, c.input.shape.slice(1), c.inputDtype);
    const bidi = made.at(-1)!;
    assert.is(bidi.countParams(), c.countParams, 'parameter count');
    assert.equal(model.weights.map((w) => [...w.shape]), c.weights.map((w) => w.shape), 'weight shapes');
    model.setWeights(c.weights.map((w) => toTensor(w)));
    const x = toTensor(c.input, c.inputDtype);
    const compiled = model.predict(x, { verbose: 0 }) as Tensor | Tensor[];
    const list = Array.isArray(compiled) ? compiled : [compiled];
    const interpreted = evalModel(model, [x]).outputs;
    assert.is(list.length, c.outputs.length, 'number of outputs');
    c.outputs.forEach((expected, i) => {
      assert.equal([...list[i].shape], expected.shape, `output ${i} shape`);
      const d = Math.max(relDiff(list[i].data, expected.data), relDiff(interpreted[i].data, expected.data));
      assert.ok(d <= 2e-5, `output ${i}: max rel diff ${d}`);
    });
  });
}

for (const c of train.cases) {
  test(`${c.label}: one SGD step matches Keras ${train.keras}`, async () => {
    const { model } = buildChain(c.layers, c.input.shape.slice(1), c.inputDtype);
    model.setWeights(c.weights.map((w) => toTensor(w)));
    model.compile({ optimizer: new optimizers.SGD({ learningRate: 0.5 }), loss: 'mse' });
    const loss = await model.trainOnBatch(toTensor(c.input, c.inputDtype), toTensor(c.target)) as number;
    assert.ok(relDiff([loss], [c.trainLoss]) <= 1e-5, `loss ${loss} vs Keras ${c.trainLoss}`);
    model.getWeights().forEach((w, i) => {
      const d = relDiff(w.data, c.weightsAfter[i].data);
      assert.ok(d <= 1e-5, `weight ${i} after the step: max rel diff ${d}`);
    });
  });
}

test.run();
