/**
 * unroll: true (Keras's unrolled loop, one copy of the step per time step in the graph) gives
 * what the scan gives: the same predictions (compiled and on the interpreter) and the same
 * weights after one SGD step, for SimpleRNN, LSTM, GRU (both bias layouts), RNN over a built-in,
 * a custom and a stacked cell, with masks, goBackwards, returnSequences / returnState,
 * zeroOutputForMask, initial states and stateful layers; finite-difference gradients through
 * unrolled layers; Keras's error when the number of steps is unknown. (The Keras fixtures of
 * rnn-api-keras.test.ts check unrolled layers against Keras itself.)
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Input, Model, Session, backend, layers, ops, optimizers, tensor, type Tensor } from '../src/index.js';
import type { KerasTensor } from '../src/api/layers/keras-tensor.js';
import { Layer } from '../src/api/layers/layer.js';
import type { Variable } from '../src/api/layers/variable.js';
import type { Node } from '../src/ir/node.js';
import type { Shape } from '../src/ir/types.js';
import { evalModel, maxAbsDiff, randomTensor } from './support/api-eval.js';
import { layerGradCheck } from './support/layer-gradcheck.js';

/** Keras's docs' minimal cell with a second state accumulating the outputs (as rnn-cells.test.ts's). */
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
    this.kernel = this.addWeight({ name: 'kernel', shape: [(shape as Shape).at(-1) ?? 0, this.units], initializer: 'glorot_uniform' });
    this.recurrentKernel = this.addWeight({ name: 'recurrent_kernel', shape: [this.units, this.units], initializer: 'glorot_uniform' });
  }
  // @ts-expect-error Keras's cell signature, not a layer's
  override call(inputs: Node, [h, acc]: readonly Node[]): readonly [Node, readonly Node[]] {
    const output = ops.tanh(ops.add(ops.matmul(inputs, this.kernel), ops.matmul(h, this.recurrentKernel)));
    return [output, [ops.add(acc, output), ops.add(acc, ops.multiply(0.5, output))]];
  }
}

type Args = { returnSequences?: boolean; returnState?: boolean; goBackwards?: boolean; zeroOutputForMask?: boolean; stateful?: boolean; unroll?: boolean };
const kinds: Record<string, (a: Args) => Layer> = {
  SimpleRNN: (a) => new layers.SimpleRNN(3, a),
  LSTM: (a) => new layers.LSTM(3, a),
  GRU: (a) => new layers.GRU(3, a),
  'GRU resetAfter false': (a) => new layers.GRU(2, { ...a, resetAfter: false }),
  'RNN(LSTMCell)': (a) => new layers.RNN(new layers.LSTMCell(3), a),
  'RNN(custom cell)': (a) => new layers.RNN(new MinimalRNNCell(3) as unknown as layers.RNNCell, a),
  'RNN([GRUCell, LSTMCell])': (a) => new layers.RNN([new layers.GRUCell(3), new layers.LSTMCell(2)] as unknown as layers.RNNCell[], a),
};
const variants: Array<{ label: string; args: Args; masked: boolean }> = [
  { label: 'last output', args: {}, masked: false },
  { label: 'sequences, state, backwards', args: { returnSequences: true, returnState: true, goBackwards: true }, masked: false },
  { label: 'masked, sequences, state', args: { returnSequences: true, returnState: true }, masked: true },
  { label: 'masked, backwards, zero output', args: { goBackwards: true, zeroOutputForMask: true }, masked: true },
  { label: 'masked, sequences, zero output', args: { returnSequences: true, zeroOutputForMask: true }, masked: true },
];

const B = 3, T = 5, F = 4;
/** Zeros at masked steps, which Masking(0) turns into the step mask: sequence 0 ends early, 1 has a hole, 2 starts late. */
function maskedInput(seed: number): Tensor {
  const x = randomTensor([B, T, F], seed);
  const d = Float32Array.from(x.data);
  const masked = (b: number, t: number) => (b === 0 && t >= 3) || (b === 1 && t === 1) || (b === 2 && t < 2);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) if (masked(b, t)) d.fill(0, (b * T + t) * F, (b * T + t + 1) * F);
  return tensor(d, [B, T, F]);
}

function build(make: (a: Args) => Layer, args: Args, masked: boolean, unroll: boolean): { model: Model; layer: Layer; outputs: number } {
  const input = args.stateful ? Input({ batchShape: [B, T, F] }) : Input({ shape: [T, F] });
  const layer = make({ ...args, unroll });
  const out = layer(masked ? new layers.Masking({ maskValue: 0 })(input) as KerasTensor : input) as KerasTensor | KerasTensor[];
  const outs = Array.isArray(out) ? out : [out];
  return { model: new Model({ inputs: input, outputs: outs }), layer, outputs: outs.length };
}

const asList = (y: Tensor | Tensor[]): Tensor[] => (Array.isArray(y) ? y : [y]);

let previous = backend.getSession();
test.before.each(() => { previous = backend.getSession(); backend.setSession(new Session()); backend.clearSession(); });
test.after.each(() => backend.setSession(previous));

for (const [kind, make] of Object.entries(kinds)) {
  for (const v of variants) {
    test(`${kind} unrolled = scanned: ${v.label} (predictions, interpreter, one SGD step)`, async () => {
      const scanned = build(make, v.args, v.masked, false);
      const unrolled = build(make, v.args, v.masked, true);
      unrolled.model.setWeights(scanned.model.getWeights());
      const x = v.masked ? maskedInput(4) : randomTensor([B, T, F], 4);
      const a = asList(scanned.model.predict(x, { verbose: 0 }) as Tensor | Tensor[]);
      const b = asList(unrolled.model.predict(x, { verbose: 0 }) as Tensor | Tensor[]);
      const ib = evalModel(unrolled.model, [x]).outputs;
      assert.is(b.length, a.length);
      a.forEach((t, i) => {
        assert.equal([...b[i].shape], [...t.shape], `output ${i} shape`);
        assert.ok(maxAbsDiff(b[i].data, t.data) < 1e-6, `output ${i}: compiled unrolled vs scan ${maxAbsDiff(b[i].data, t.data)}`);
        assert.ok(maxAbsDiff(ib[i].data, t.data) < 1e-5, `output ${i}: interpreted unrolled vs scan ${maxAbsDiff(ib[i].data, t.data)}`);
      });
      // Equal weights after one step: the unrolled gradients are the scan's.
      const targets = a.map((t, i) => randomTensor([...t.shape], 10 + i));
      for (const m of [scanned.model, unrolled.model]) {
        m.compile({ optimizer: new optimizers.SGD({ learningRate: 0.5 }), loss: targets.map(() => 'mse') });
        await m.trainOnBatch(x, targets.length === 1 ? targets[0] : targets);
      }
      const wa = scanned.model.getWeights();
      unrolled.model.getWeights().forEach((w, i) => {
        const d = maxAbsDiff(w.data, wa[i].data);
        assert.ok(d < 1e-5, `weight ${i} after one SGD step: unrolled vs scan ${d}`);
      });
    });
  }
}

test('initial states and stateful layers: unrolled = scanned', () => {
  for (const make of [kinds.LSTM, kinds['RNN([GRUCell, LSTMCell])']]) {
    const runs = [false, true].map((unroll) => {
      const input = Input({ shape: [T, F] });
      const layer = make({ returnState: true, unroll }) as InstanceType<typeof layers.RNN>;
      const sizes = make === kinds.LSTM ? [3, 3] : [3, 2, 2];
      const states = sizes.map((s) => Input({ shape: [s] }));
      const out = layer.apply(input, { initialState: states } as never) as unknown as KerasTensor[];
      return { model: new Model({ inputs: [input, ...states], outputs: out }), sizes };
    });
    runs[1].model.setWeights(runs[0].model.getWeights());
    const feed = [randomTensor([B, T, F], 5), ...runs[0].sizes.map((s, i) => randomTensor([B, s], 20 + i))];
    const a = runs[0].model.predict(feed, { verbose: 0 }) as Tensor[];
    const b = runs[1].model.predict(feed, { verbose: 0 }) as Tensor[];
    a.forEach((t, i) => assert.ok(maxAbsDiff(b[i].data, t.data) < 1e-6, `initial states: output ${i}`));
  }
  for (const make of [kinds.GRU, kinds['RNN(LSTMCell)'], kinds['RNN([GRUCell, LSTMCell])']]) {
    const [s, u] = [false, true].map((unroll) => build(make, { stateful: true, returnSequences: true }, false, unroll));
    u.model.setWeights(s.model.getWeights());
    const batches = [randomTensor([B, T, F], 6), randomTensor([B, T, F], 7)];
    for (const x of [...batches, 'reset' as const, ...batches]) {
      if (x === 'reset') { for (const l of [s.layer, u.layer]) (l as InstanceType<typeof layers.RNN>).resetStates(); continue; }
      const a = s.model.predict(x, { verbose: 0 }) as Tensor;
      const b = u.model.predict(x, { verbose: 0 }) as Tensor;
      assert.ok(maxAbsDiff(b.data, a.data) < 1e-6, `stateful ${s.layer.className}: ${maxAbsDiff(b.data, a.data)}`);
    }
  }
});

test('unrolled layers: finite-difference gradients of the input and every weight', () => {
  const cases: Array<[string, Layer]> = [
    ['LSTM sequences backwards', new layers.LSTM(2, { unroll: true, returnSequences: true, goBackwards: true })],
    ['GRU resetAfter false', new layers.GRU(2, { unroll: true, resetAfter: false })],
    ['RNN(custom cell) sequences', new layers.RNN(new MinimalRNNCell(2) as unknown as layers.RNNCell, { unroll: true, returnSequences: true })],
    ['RNN([SimpleRNNCell, GRUCell])', new layers.RNN([new layers.SimpleRNNCell(2), new layers.GRUCell(2)] as unknown as layers.RNNCell[], { unroll: true })],
  ];
  for (const [label, layer] of cases) {
    const report = layerGradCheck(layer, [[2, 3, 3]], { atol: 1e-6, rtol: 1e-5 });
    assert.ok(report.checked > 0, `${label}: checked ${report.checked}`);
  }
});

test('unroll needs a known number of steps: Keras\'s error', () => {
  for (const layer of [new layers.LSTM(2, { unroll: true }), new layers.RNN(new layers.GRUCell(2), { unroll: true })]) {
    assert.throws(() => layer(Input({ shape: [null, 3] })), /Cannot unroll a RNN if the time dimension is undefined/);
  }
});

test.run();
