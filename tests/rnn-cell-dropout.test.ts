/**
 * The built-in cells' dropout and recurrentDropout in RNN(cell), RNN([cells]) and unrolled
 * (Keras's DropoutRNNCell): while training, one input mask and one state mask per sequence,
 * shared by every step, kept values scaled by 1/(1 - rate); nothing dropped without training.
 * Read through linear SimpleRNNCells whose weights make the masks visible in the outputs.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Input, Model, layers, tensor } from '../src/index.js';
import type { KerasTensor } from '../src/api/layers/keras-tensor.js';
import type { Layer } from '../src/api/layers/layer.js';
import { evalModel } from './support/api-eval.js';
import { layerGradCheck } from './support/layer-gradcheck.js';

const N = 40, T = 6, U = 5;
const identity = Array.from({ length: U * U }, (_, i) => (i % (U + 1) === 0 ? 1 : 0));
const eye = () => tensor(Float32Array.from(identity), [U, U]);
const zeros = (n: number) => tensor(new Float32Array(n), n === U ? [U] : [U, U]);

type CellArgs = { dropout?: number; recurrentDropout?: number };
/** RNN over linear SimpleRNNCells (identity kernels; recurrent kernel `recurrent`), or over a stack of two (the second passing through). */
function linearRnn(args: CellArgs, recurrentIdentity: boolean, { stacked = false, unroll = false } = {}): Model {
  const cell = () => new layers.SimpleRNNCell(U, { activation: 'linear', ...args });
  const cells = stacked ? [cell(), new layers.SimpleRNNCell(U, { activation: 'linear' })] : [cell()];
  const rnn = new layers.RNN((stacked ? cells : cells[0]) as unknown as layers.RNNCell, { returnSequences: true, unroll });
  const input = Input({ shape: [T, U] });
  const model = new Model({ inputs: input, outputs: rnn(input) as KerasTensor });
  const first = [eye(), recurrentIdentity ? eye() : zeros(U * U), zeros(U)];
  rnn.setWeights(stacked ? [...first, eye(), zeros(U * U), zeros(U)] : first);
  return model;
}

for (const opts of [{}, { stacked: true }, { unroll: true }, { stacked: true, unroll: true }]) {
  const label = `${'stacked' in opts ? 'RNN([cells])' : 'RNN(cell)'}${'unroll' in opts ? ', unrolled' : ''}`;
  test(`${label}: dropout is one input mask per sequence, scaled by 1/(1 - rate); none at inference`, () => {
    const rate = 0.4;
    const model = linearRnn({ dropout: rate }, false, opts);
    const x = tensor(Float32Array.from({ length: N * T * U }, (_, i) => 1 + (i % 7)), [N, T, U]);
    const y = evalModel(model, [x], { training: true, seed: 99 }).outputs[0].data;
    let dropped = 0;
    for (let n = 0; n < N; n++) for (let f = 0; f < U; f++) {
      const factors = Array.from({ length: T }, (_, t) => y[(n * T + t) * U + f] / x.data[(n * T + t) * U + f]);
      const kept = factors[0] !== 0;
      if (!kept) dropped++;
      for (const v of factors) assert.ok(Math.abs(v - (kept ? 1 / (1 - rate) : 0)) < 1e-5, `sequence ${n}, feature ${f}: factors ${factors}`);
    }
    const fraction = dropped / (N * U);
    assert.ok(fraction > 0.25 && fraction < 0.55, `dropped fraction ${fraction}`);
    assert.equal([...evalModel(model, [x], { training: false }).outputs[0].data], [...x.data]);
  });

  test(`${label}: recurrentDropout is one state mask per sequence, applied at every step`, () => {
    const rate = 0.3;
    const model = linearRnn({ recurrentDropout: rate }, true, opts);
    const x = tensor(Float32Array.from({ length: N * T * U }, (_, i) => (Math.floor(i / U) % T === 0 ? 2 : 0)), [N, T, U]);
    const y = evalModel(model, [x], { training: true, seed: 7 }).outputs[0].data;
    let dropped = 0;
    for (let n = 0; n < N; n++) for (let u = 0; u < U; u++) {
      const h = Array.from({ length: T }, (_, t) => y[(n * T + t) * U + u]);
      const kept = h[1] !== 0;
      if (!kept) dropped++;
      h.forEach((v, t) => {
        const expected = t === 0 ? 2 : kept ? 2 / (1 - rate) ** t : 0;
        assert.ok(Math.abs(v - expected) < 1e-4 * Math.abs(expected) + 1e-6, `sequence ${n}, unit ${u}, step ${t}: ${v} vs ${expected}`);
      });
    }
    const fraction = dropped / (N * U);
    assert.ok(fraction > 0.15 && fraction < 0.45, `dropped fraction ${fraction}`);
  });
}

test('cells with dropout while training: finite-difference gradients through the masked loop (single and stacked)', () => {
  const cases: Layer[] = [
    new layers.RNN(new layers.LSTMCell(2, { dropout: 0.3, recurrentDropout: 0.3 }), { returnSequences: true }),
    new layers.RNN([new layers.GRUCell(2, { dropout: 0.2, recurrentDropout: 0.4 }), new layers.LSTMCell(2, { dropout: 0.3 })] as unknown as layers.RNNCell[]),
  ];
  for (const layer of cases) {
    const report = layerGradCheck(layer, [[2, 3, 3]], { training: true });
    assert.ok(report.checked > 0);
  }
});

test.run();
