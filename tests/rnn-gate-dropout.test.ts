/**
 * Keras 3.15's gate masks (lstm.py / gru.py `implementation`, dropout_rnn_cell.py): with
 * recurrentDropout set, an LSTM or GRU draws one state mask per gate (4 and 3) and, when dropout
 * is set too, one input mask per gate; without recurrentDropout one input mask serves all gates.
 * Read through linear cells whose weights route two gates through the same unit, so the output
 * tells whether the two gates kept that unit independently. Layers, RNN(cell) and RNN([cell])
 * (the cell's own call) alike; and finite-difference gradients through the per-gate masks.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Input, Model, layers, tensor } from '../src/index.js';
import type { KerasTensor } from '../src/api/layers/keras-tensor.js';
import type { Layer } from '../src/api/layers/layer.js';
import { evalModel } from './support/api-eval.js';
import { layerGradCheck } from './support/layer-gradcheck.js';

const N = 40, U = 5, RATE = 0.3;
const S = 1 / (1 - RATE);

/** (rows, blocks·U) with `scale`·identity in the listed blocks, zeros elsewhere. */
function blocks(rows: number, count: number, filled: Record<number, number>): number[] {
  const out = new Array<number>(rows * count * U).fill(0);
  for (const [b, scale] of Object.entries(filled)) for (let k = 0; k < U; k++) out[k * count * U + Number(b) * U + k] = scale;
  return out;
}

type Kind = 'layer' | 'layer, unrolled' | 'RNN(cell)' | 'RNN([cell])';
type Gated = 'LSTM' | 'GRU';

/** The recurrent layer of `kind`, one step, returning its output and final states. */
function recurrent(gated: Gated, kind: Kind, args: { dropout?: number; recurrentDropout?: number; resetAfter?: boolean }): Layer {
  const common = { activation: 'linear', recurrentActivation: 'linear', ...args } as const;
  if (gated === 'LSTM') {
    if (kind.startsWith('layer')) return new layers.LSTM(U, { ...common, returnState: true, unroll: kind !== 'layer' });
    const cell = new layers.LSTMCell(U, common);
    return new layers.RNN((kind === 'RNN(cell)' ? cell : [cell]) as unknown as layers.RNNCell, { returnState: true });
  }
  if (kind.startsWith('layer')) return new layers.GRU(U, { ...common, returnState: true, unroll: kind !== 'layer' });
  const cell = new layers.GRUCell(U, common);
  return new layers.RNN((kind === 'RNN(cell)' ? cell : [cell]) as unknown as layers.RNNCell, { returnState: true });
}

/** Runs `layer` on one step of `x` from initial states `h0` (and `c0`), training; its outputs. */
function run(layer: Layer, weights: number[][], shapes: number[][], x: number, states: readonly number[]): Float64Array[] {
  const input = Input({ shape: [1, U] });
  const initial = states.map(() => Input({ shape: [U] }));
  const outs = layer(input, { initialState: initial } as never) as unknown as KerasTensor[];
  const model = new Model({ inputs: [input, ...initial], outputs: outs });
  layer.setWeights(weights.map((w, i) => tensor(Float32Array.from(w), shapes[i])));
  const full = (v: number, shape: number[]) => tensor(new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(v), shape);
  const feeds = [full(x, [N, 1, U]), ...states.map((v) => full(v, [N, U]))];
  return evalModel(model, feeds, { training: true, seed: 11 }).outputs.map((o) => Float64Array.from(o.data, Number));
}

const close = (a: number, b: number) => Math.abs(a - b) < 1e-5;

/**
 * Linear LSTM from h0 and c0 = 1 with only the forget and output gates reading unit k (identity
 * blocks), the input gate shut: c1 = mf·1, h1 = mo·mf. So c1 shows the forget gate's mask and,
 * where it kept the unit, h1 / c1 the output gate's: per-gate masks make them disagree.
 */
function lstmGates(kind: Kind, side: 'recurrent' | 'input', args: { dropout?: number; recurrentDropout?: number }): { f: number[]; o: number[] } {
  const layer = recurrent('LSTM', kind, args);
  const routed = blocks(U, 4, { 1: 1, 3: 1 });
  const zero = blocks(U, 4, {});
  const weights = side === 'recurrent' ? [zero, routed, new Array(4 * U).fill(0)] : [routed, zero, new Array(4 * U).fill(0)];
  const [, h, c] = run(layer, weights, [[U, 4 * U], [U, 4 * U], [4 * U]], side === 'input' ? 1 : 0, [side === 'recurrent' ? 1 : 0, 1]);
  const f: number[] = [], o: number[] = [];
  for (let i = 0; i < N * U; i++) {
    assert.ok(close(c[i], 0) || close(c[i], S), `c1[${i}] = ${c[i]}: expected 0 or 1/(1 - rate)`);
    f.push(c[i]);
    if (!close(c[i], 0)) {
      const ratio = h[i] / c[i];
      assert.ok(close(ratio, 0) || close(ratio, S), `h1/c1[${i}] = ${ratio}`);
      o.push(ratio);
    }
  }
  return { f, o };
}

function assertIndependent(kept: number[], label: string): void {
  const dropped = kept.filter((v) => close(v, 0)).length / kept.length;
  assert.ok(dropped > 0.12 && dropped < 0.5, `${label}: among the units the first gate kept, the second dropped ${dropped} (one shared mask would drop none)`);
}

for (const kind of ['layer', 'layer, unrolled', 'RNN(cell)', 'RNN([cell])'] as const) {
  test(`LSTM ${kind}: recurrentDropout draws one state mask per gate`, () => {
    const { f, o } = lstmGates(kind, 'recurrent', { recurrentDropout: RATE });
    const fDropped = f.filter((v) => close(v, 0)).length / f.length;
    assert.ok(fDropped > 0.12 && fDropped < 0.5, `forget gate dropped ${fDropped}`);
    assertIndependent(o, 'output gate');
  });

  test(`LSTM ${kind}: with recurrentDropout, dropout draws one input mask per gate`, () => {
    const { o } = lstmGates(kind, 'input', { dropout: RATE, recurrentDropout: 0.1 });
    assertIndependent(o, 'output gate');
  });

  test(`LSTM ${kind}: without recurrentDropout, one input mask serves every gate`, () => {
    const { f, o } = lstmGates(kind, 'input', { dropout: RATE });
    assert.ok(f.some((v) => close(v, 0)), 'some unit dropped');
    for (const v of o) assert.ok(close(v, S), `output gate kept scale ${v}: the forget gate's mask is the output gate's`);
  });

  for (const resetAfter of [true, false]) {
    test(`GRU ${kind} (resetAfter: ${resetAfter}): recurrentDropout draws one state mask per gate`, () => {
      // From h0 = 1 with z reading unit k at half weight, r = 1 from its bias and hh reading unit k:
      // z = mz/2, hh = mh, h1 = z + (1 - z)·hh, four distinct values for the four (mz, mh) pairs.
      const layer = recurrent('GRU', kind, { recurrentDropout: RATE, resetAfter });
      const bias = resetAfter ? [...new Array(3 * U).fill(0), ...blocksRow(1)] : blocksRow(1);
      const [h] = run(layer, [blocks(U, 3, {}), blocks(U, 3, { 0: 0.5, 2: 1 }), bias], [[U, 3 * U], [U, 3 * U], resetAfter ? [2, 3 * U] : [3 * U]], 0, [1]);
      const counts = new Map<string, number>();
      for (const v of h) {
        const pairs = [[0, 0], [0, S], [S, 0], [S, S]].filter(([mz, mh]) => close(v, mz / 2 + (1 - mz / 2) * mh));
        assert.is(pairs.length, 1, `h1 = ${v} is no (mz, mh) pair's value`);
        const key = pairs[0].join();
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      const mixed = ((counts.get(`0,${S}`) ?? 0) + (counts.get(`${S},0`) ?? 0)) / h.length;
      assert.ok(mixed > 0.25 && mixed < 0.6, `units kept by one gate and dropped by the other: ${mixed} (one shared mask gives none)`);
    });
  }
}

/** A (3·U) bias row with `r` in the reset gate's block. */
function blocksRow(r: number): number[] {
  return Array.from({ length: 3 * U }, (_, i) => (i >= U && i < 2 * U ? r : 0));
}

test('per-gate masks while training: finite-difference gradients (LSTM, GRU both resets, RNN(GRUCell))', () => {
  const cases: Layer[] = [
    new layers.LSTM(3, { dropout: 0.3, recurrentDropout: 0.4, returnSequences: true }),
    new layers.GRU(3, { dropout: 0.3, recurrentDropout: 0.4 }),
    new layers.GRU(3, { recurrentDropout: 0.4, resetAfter: false, returnSequences: true }),
    new layers.RNN(new layers.GRUCell(2, { dropout: 0.2, recurrentDropout: 0.4 }) as unknown as layers.RNNCell),
  ];
  for (const layer of cases) {
    const report = layerGradCheck(layer, [[2, 3, 3]], { training: true });
    assert.ok(report.checked > 0, `${layer.name}: nothing checked`);
  }
});

test.run();
