/**
 * RNN(cell) and the built-in cells: a custom cell written with ops and the built-in cells against
 * Keras 3's keras.layers.RNN (tests/fixtures/keras_rnn_cells.json, written by keras_rnn_cells.py),
 * compiled and on the interpreter; RNN(new LSTMCell(n)) against LSTM(n) with the same weights;
 * finite-difference gradients through a custom cell's loop; Keras's errors for a bad cell.
 */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Input, Model, layers, ops, tensor, type Tensor } from '../src/index.js';
import type { KerasTensor } from '../src/api/layers/keras-tensor.js';
import { Layer } from '../src/api/layers/layer.js';
import type { Variable } from '../src/api/layers/variable.js';
import type { Node } from '../src/ir/node.js';
import type { Shape } from '../src/ir/types.js';
import { evalModel, maxAbsDiff, randomTensor } from './support/api-eval.js';
import { layerGradCheck } from './support/layer-gradcheck.js';
import { kerasWeightGroups } from '../src/api/saving/weights/keras-layout.js';

interface Stored { shape: number[]; data: number[] }
interface Case { label: string; cell: 'Minimal' | 'LSTMCell' | 'GRUCell' | 'SimpleRNNCell'; units: number; args: Record<string, boolean>; input: Stored; mask: number[] | null; weights: Stored[]; outputs: Stored[] }
const fixture = JSON.parse(readFileSync(new URL('../../tests/fixtures/keras_rnn_cells.json', import.meta.url), 'utf8')) as { keras: string; cases: Case[] };
const toTensor = (s: Stored): Tensor => tensor(Float32Array.from(s.data), s.shape);

/**
 * Keras's docs' minimal cell, plus a second state accumulating half of each output (as the
 * fixture's). It is a Layer whose `call` has Keras's cell signature, as a JavaScript user writes
 * it; TypeScript types Layer.call as a layer's call, hence the one expect-error.
 */
class MinimalRNNCell extends Layer {
  readonly stateSize: number[];
  readonly outputSize: number;
  kernel!: Variable;
  recurrentKernel!: Variable;
  constructor(readonly units: number) {
    super({});
    this.stateSize = [units, units];
    this.outputSize = units;
  }
  override build(shape: Shape | readonly Shape[]): void {
    const s = shape as Shape;
    this.kernel = this.addWeight({ name: 'kernel', shape: [s.at(-1) ?? 0, this.units], initializer: 'glorot_uniform' });
    this.recurrentKernel = this.addWeight({ name: 'recurrent_kernel', shape: [this.units, this.units], initializer: 'glorot_uniform' });
  }
  // @ts-expect-error Keras's cell signature, not a layer's (see above)
  override call(inputs: Node, [h, acc]: readonly Node[]): readonly [Node, readonly Node[]] {
    const output = ops.tanh(ops.add(ops.matmul(inputs, this.kernel), ops.matmul(h, this.recurrentKernel)));
    return [output, [output, ops.add(acc, ops.multiply(0.5, output))]];
  }
}

const minimalCell = (units: number): layers.RNNCell => new MinimalRNNCell(units) as unknown as layers.RNNCell;

function makeCell(c: Case): layers.RNNCell | Layer {
  switch (c.cell) {
    case 'Minimal': return minimalCell(c.units);
    case 'LSTMCell': return new layers.LSTMCell(c.units);
    case 'GRUCell': return new layers.GRUCell(c.units);
    case 'SimpleRNNCell': return new layers.SimpleRNNCell(c.units);
  }
}

for (const c of fixture.cases) {
  test(`RNN(${c.cell}) against Keras ${fixture.keras}: ${c.label}`, () => {
    const x = toTensor(c.input);
    const input = Input({ shape: c.input.shape.slice(1) });
    const masking = c.mask !== null;
    // A mask rides in through Masking on an input whose masked steps are all zeros.
    let data = x;
    if (masking) {
      const [b, t, f] = c.input.shape;
      const d = Float32Array.from(c.input.data);
      for (let i = 0; i < b; i++) for (let j = 0; j < t; j++) if (c.mask![i * t + j] === 0) d.fill(0, (i * t + j) * f, (i * t + j + 1) * f);
      data = tensor(d, c.input.shape);
    }
    const seqIn = masking ? new layers.Masking({ maskValue: 0 })(input) as KerasTensor : input;
    const cell = makeCell(c);
    const rnn = new layers.RNN(cell as layers.RNNCell, c.args);
    const out = rnn(seqIn) as KerasTensor | KerasTensor[];
    const outs = Array.isArray(out) ? out : [out];
    const model = new Model({ inputs: input, outputs: outs });
    rnn.setWeights(c.weights.map(toTensor));
    const compiled = model.predict(data, { verbose: 0 }) as Tensor | Tensor[];
    const compiledList = Array.isArray(compiled) ? compiled : [compiled];
    const interpreted = evalModel(model, [data]).outputs;
    assert.is(compiledList.length, c.outputs.length, 'number of outputs');
    c.outputs.forEach((o, i) => {
      assert.equal([...compiledList[i].shape], o.shape, `output ${i} shape`);
      const diff = Math.max(maxAbsDiff(compiledList[i].data, o.data), maxAbsDiff(interpreted[i].data, o.data));
      assert.ok(diff < 2e-5, `output ${i}: max |ours - Keras| = ${diff}`);
    });
  });
}

test('RNN(new LSTMCell(4)) is LSTM(4) with the same weights, exactly (sequences, state, backwards, masked)', () => {
  const x = randomTensor([3, 6, 5], 3);
  const args = { returnSequences: true, returnState: true, goBackwards: true } as const;
  const build = (layer: Layer) => {
    const input = Input({ shape: [6, 5] });
    const out = layer(new layers.Masking({ maskValue: 0 })(input) as KerasTensor) as unknown as KerasTensor[];
    return new Model({ inputs: input, outputs: out });
  };
  const lstm = new layers.LSTM(4, { ...args, biasInitializer: 'random_uniform' });
  const ref = build(lstm);
  const rnn = new layers.RNN(new layers.LSTMCell(4), args);
  const ours = build(rnn);
  rnn.setWeights(lstm.getWeights());
  const a = ref.predict(x, { verbose: 0 }) as Tensor[];
  const b = ours.predict(x, { verbose: 0 }) as Tensor[];
  assert.is(a.length, b.length);
  a.forEach((t, i) => assert.equal(Array.from(b[i].data), Array.from(t.data), `output ${i}`));
  const ia = evalModel(ref, [x]).outputs;
  const ib = evalModel(ours, [x]).outputs;
  ia.forEach((t, i) => assert.equal(Array.from(ib[i].data), Array.from(t.data), `interpreted output ${i}`));
});

test('a custom cell: finite-difference gradients through the loop (sequences, backwards)', () => {
  const cell = minimalCell(3);
  const rnn = new layers.RNN(cell, { returnSequences: true, goBackwards: true });
  const report = layerGradCheck(rnn, [[2, 4, 3]], { atol: 1e-6, rtol: 1e-5 });
  assert.is(report.checked, 2 * 4 * 3 + 3 * 3 + 3 * 3);
});

test('a custom cell trains in one fit step: the loss goes down', async () => {
  const cell = minimalCell(3);
  const input = Input({ shape: [4, 2] });
  const model = new Model({ inputs: input, outputs: new layers.Dense(1).apply(new layers.RNN(cell).apply(input) as KerasTensor) as KerasTensor });
  model.compile({ optimizer: 'adam', loss: 'mse' });
  const x = randomTensor([8, 4, 2], 5);
  const y = randomTensor([8, 1], 6);
  const h = await model.fit(x, y, { epochs: 5, verbose: 0 });
  const loss = h.history.loss as number[];
  assert.ok(loss[4] < loss[0], `loss ${loss.join(', ')}`);
});

/** A cell that passes its first state through unchanged and outputs its second: two body outputs the optimizer may fold into one node. */
class PassThroughCell extends Layer {
  readonly stateSize = [3, 3];
  kernel!: Variable;
  override build(shape: Shape | readonly Shape[]): void {
    this.kernel = this.addWeight({ name: 'kernel', shape: [(shape as Shape).at(-1) ?? 0, 3], initializer: 'glorot_uniform' });
  }
  // @ts-expect-error Keras's cell signature, not a layer's (see MinimalRNNCell)
  override call(inputs: Node, [a, b]: readonly Node[]): readonly [Node, readonly Node[]] {
    const y = ops.tanh(ops.add(ops.matmul(inputs, this.kernel), ops.add(a, b)));
    return [y, [a, y]];
  }
}

test('a cell that carries a state through unchanged trains compiled (the scan reads its outputs as optimized)', async () => {
  const input = Input({ shape: [4, 2] });
  const rnn = new layers.RNN(new PassThroughCell({}) as unknown as layers.RNNCell);
  const model = new Model({ inputs: input, outputs: new layers.Dense(1).apply(rnn.apply(input) as KerasTensor) as KerasTensor });
  model.compile({ optimizer: 'adam', loss: 'mse' });
  const x = randomTensor([8, 4, 2], 7);
  const h = await model.fit(x, randomTensor([8, 1], 8), { epochs: 5, verbose: 0 });
  const loss = h.history.loss as number[];
  assert.ok(loss[4] < loss[0], `loss ${loss.join(', ')}`);
  const compiled = model.predict(x, { verbose: 0 }) as Tensor;
  assert.ok(maxAbsDiff(compiled.data, evalModel(model, [x]).outputs[0].data) < 1e-5, 'trained model: compiled = interpreter');
});

test('errors: a cell without call or stateSize, with Keras\'s wording', () => {
  assert.throws(() => new layers.RNN({ stateSize: 3 } as unknown as layers.RNNCell), /Argument `cell` should have a `call` method/);
  assert.throws(() => new layers.RNN({ call: () => [] } as unknown as layers.RNNCell), /The RNN cell should have a `state_size` attribute/);
  assert.throws(() => new layers.LSTMCell(2, { dropout: 1 }), /invalid value received for argument `dropout`/);
  assert.throws(() => new layers.LSTMCell(2, { seed: 0.5 }), /LSTMCell\): argument `seed` must be an integer/);
});

test('the built-in cells round-trip through their Keras config', () => {
  const cells = [new layers.LSTMCell(3, { unitForgetBias: false, recurrentActivation: 'hard_sigmoid' }), new layers.GRUCell(2, { resetAfter: false }), new layers.SimpleRNNCell(4, { activation: 'relu', useBias: false })];
  for (const cell of cells) {
    const config = layers.serialize(cell);
    const back = layers.deserialize(config) as Layer;
    assert.is(back.className, cell.className);
    assert.equal(layers.serialize(back), config);
  }
  assert.is((layers.LSTMCell.fromConfig({ units: 2, seed: 5 }).getConfig() as Record<string, unknown>).seed, 5);
  // RNN nests its cell's config, as Keras; the rebuilt RNN computes what the original does.
  const rnn = new layers.RNN(new layers.GRUCell(3), { returnSequences: true, goBackwards: true });
  const x = randomTensor([2, 4, 3], 9);
  const input = Input({ shape: [4, 3] });
  const model = new Model({ inputs: input, outputs: rnn(input) as KerasTensor });
  const config = layers.serialize(rnn);
  assert.is(((config as { config: { cell: { class_name: string } } }).config.cell).class_name, 'GRUCell');
  const back = layers.deserialize(config) as Layer;
  const input2 = Input({ shape: [4, 3] });
  const model2 = new Model({ inputs: input2, outputs: back(input2) as KerasTensor });
  back.setWeights(rnn.getWeights());
  assert.equal(Array.from((model2.predict(x, { verbose: 0 }) as Tensor).data), Array.from((model.predict(x, { verbose: 0 }) as Tensor).data));
  assert.throws(() => layers.serialize(new layers.RNN({ stateSize: 2, call: (x: Node, s: readonly Node[]) => [x, s] as const })), /its cell is not a Layer/);
});

test('weights file layout: RNN(cell) keeps its cell\'s variables at layers/rnn/cell/vars, as Keras', () => {
  const input = Input({ shape: [4, 3] });
  const model = new Model({ inputs: input, outputs: new layers.RNN(new layers.LSTMCell(2))(input) as KerasTensor });
  const groups = kerasWeightGroups(model).filter((g) => g.variables.length > 0);
  assert.equal(groups.map((g) => [g.path, g.variables.map((v) => v.shape.join('x'))]), [['layers/rnn/cell', ['3x8', '2x8', '8']]]);
});

test.run();
