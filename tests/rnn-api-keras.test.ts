/**
 * The recurrent API against real Keras 3 (tests/fixtures/keras_rnn_api.json, written by
 * keras_rnn_api.py): unroll on the layers and RNN(cell), RNN over a list of cells and over
 * StackedRNNCells, RNN(cell) stateful / with initial states / returning states / zero output for
 * masks, Bidirectional(RNN(cell)). Each case checks the predictions (compiled and on the
 * interpreter), getConfig (up to the auto-generated names), the .weights.h5 layout, and the
 * weights after one SGD step, within 1e-5.
 */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Input, Model, Session, backend, layers, optimizers, tensor, type Tensor } from '../src/index.js';
import type { KerasTensor } from '../src/api/layers/keras-tensor.js';
import type { Layer } from '../src/api/layers/layer.js';
import { kerasWeightGroups } from '../src/api/saving/weights/keras-layout.js';
import { evalModel } from './support/api-eval.js';
import { relDiff, type Stored } from './support/bidirectional-fixture.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type CellSpec = [string, number, Record<string, number>?];
interface Spec { kind: 'layer' | 'rnn' | 'stacked'; cls?: string; units?: number; cells?: CellSpec[]; args?: Record<string, boolean>; bidirectional?: boolean; merge_mode?: 'sum' | 'concat' }
interface Case {
  label: string; spec: Spec; stateful: boolean; mask: number[] | null; batches: Stored[]; initial: Stored[]; weights: Stored[];
  predictions: Stored[][]; config: Json; weight_paths: [string, number[]][]; targets?: Stored[]; trained?: Stored[];
}
const fixture = JSON.parse(readFileSync(new URL('../../tests/fixtures/keras_rnn_api.json', import.meta.url), 'utf8')) as { keras: string; cases: Case[] };
const toTensor = (s: Stored): Tensor => tensor(Float32Array.from(s.data), s.shape);
const camel = (k: string): string => k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
const camelArgs = (args: Record<string, unknown> = {}): Record<string, unknown> => Object.fromEntries(Object.entries(args).map(([k, v]) => [camel(k), v]));

function makeCell([kind, units, args]: CellSpec): Layer {
  const a = camelArgs(args);
  switch (kind) {
    case 'LSTMCell': return new layers.LSTMCell(units, a);
    case 'GRUCell': return new layers.GRUCell(units, a);
    case 'SimpleRNNCell': return new layers.SimpleRNNCell(units, a);
    default: throw new Error(`fixture cell ${kind} not mapped`);
  }
}

function makeLayer(spec: Spec): Layer {
  const args = camelArgs(spec.args);
  let layer: Layer;
  if (spec.kind === 'layer') {
    const classes = { SimpleRNN: layers.SimpleRNN, LSTM: layers.LSTM, GRU: layers.GRU } as const;
    layer = new classes[spec.cls as keyof typeof classes](spec.units!, args);
  } else {
    const cells = spec.cells!.map(makeCell) as unknown as layers.RNNCell[];
    const cell = spec.kind === 'stacked' ? new layers.StackedRNNCells(cells) : cells.length > 1 ? cells : cells[0];
    layer = new layers.RNN(cell as layers.RNNCell, args);
  }
  return spec.bidirectional ? new layers.Bidirectional(layer, { mergeMode: spec.merge_mode ?? 'concat' }) : layer;
}

/** Keras's auto-generated names (rnn_4, lstm_cell_3) depend on what the script built before: compare without them. */
function withoutNames(v: Json): Json {
  if (Array.isArray(v)) return v.map(withoutNames);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).filter(([k]) => k !== 'name').map(([k, x]) => [k, withoutNames(x)]));
  return v;
}

const kerasClassName = (spec: Spec): string => (spec.bidirectional ? 'Bidirectional' : spec.kind === 'layer' ? spec.cls! : 'RNN');

function build(c: Case, make: () => Layer = () => makeLayer(c.spec)): { model: Model; layer: Layer } {
  const [b, t, f] = c.batches[0].shape;
  const input = c.stateful ? Input({ batchShape: [b, t, f] }) : Input({ shape: [t, f] });
  const seq = c.mask !== null ? new layers.Masking({ maskValue: 0 })(input) as KerasTensor : input;
  const states = c.initial.map((s) => Input({ shape: s.shape.slice(1) }));
  const layer = make();
  const out = (states.length > 0 ? (layer as InstanceType<typeof layers.RNN>).apply(seq, { initialState: states } as never) : layer.apply(seq)) as KerasTensor | KerasTensor[];
  const model = new Model({ inputs: states.length > 0 ? [input, ...states] : input, outputs: Array.isArray(out) ? out : [out] });
  model.setWeights(c.weights.map(toTensor));
  return { model, layer };
}

let previous = backend.getSession();
test.before.each(() => { previous = backend.getSession(); backend.setSession(new Session()); backend.clearSession(); });
test.after.each(() => backend.setSession(previous));

const TOL = 1e-5;

for (const c of fixture.cases) {
  test(`${c.label}: predictions, config and weights layout as Keras ${fixture.keras}`, () => {
    const { model, layer } = build(c);
    const feed = (x: Stored): Tensor[] => [toTensor(x), ...c.initial.map(toTensor)];
    const run = (x: Stored): Tensor[] => {
      const y = model.predict(feed(x).length > 1 ? feed(x) : toTensor(x), { verbose: 0 }) as Tensor | Tensor[];
      return Array.isArray(y) ? y : [y];
    };
    const calls: Tensor[][] = c.stateful ? [run(c.batches[0]), run(c.batches[1])] : [run(c.batches[0])];
    if (c.stateful) { (layer as InstanceType<typeof layers.RNN>).resetStates(); calls.push(run(c.batches[0])); }
    assert.is(calls.length, c.predictions.length, 'number of predict calls');
    calls.forEach((ys, k) => {
      assert.is(ys.length, c.predictions[k].length, `call ${k}: number of outputs`);
      ys.forEach((y, i) => {
        assert.equal([...y.shape], c.predictions[k][i].shape, `call ${k} output ${i} shape`);
        const d = relDiff(y.data, c.predictions[k][i].data);
        assert.ok(d <= TOL, `call ${k} output ${i}: max diff ${d}`);
      });
    });
    if (!c.stateful) {
      const interpreted = evalModel(model, feed(c.batches[0])).outputs;
      interpreted.forEach((y, i) => assert.ok(relDiff(y.data, c.predictions[0][i].data) <= TOL, `interpreted output ${i}`));
    }
    assert.equal(withoutNames(layer.getConfig() as Json), withoutNames(c.config), 'getConfig');
    const paths = kerasWeightGroups(model).flatMap((g) => g.variables.map((v, i) => [`${g.path}/vars/${i}`, [...v.shape]] as [string, number[]]));
    assert.equal(paths.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)), c.weight_paths, '.weights.h5 layout');
  });

  test(`${c.label}: Keras's config builds the same layer (fromConfig), which predicts the same`, () => {
    const { model } = build(c);
    const fromKeras = () => layers.deserialize({ module: 'keras.layers', class_name: kerasClassName(c.spec), config: c.config, registered_name: null }) as Layer;
    const rebuilt = build(c, fromKeras);
    assert.equal(withoutNames(rebuilt.layer.getConfig() as Json), withoutNames(c.config), 'config after fromConfig');
    rebuilt.model.setWeights(model.getWeights());
    const feed = [toTensor(c.batches[0]), ...c.initial.map(toTensor)];
    const ys = rebuilt.model.predict(feed.length > 1 ? feed : feed[0], { verbose: 0 }) as Tensor | Tensor[];
    (Array.isArray(ys) ? ys : [ys]).forEach((y, i) => assert.ok(relDiff(y.data, c.predictions[0][i].data) <= TOL, `output ${i}`));
  });

  if (c.trained !== undefined) {
    test(`${c.label}: one SGD step as Keras`, async () => {
      const { model } = build(c);
      model.compile({ optimizer: new optimizers.SGD({ learningRate: 0.1 }), loss: c.targets!.map(() => 'mse') });
      const x = [toTensor(c.batches[0]), ...c.initial.map(toTensor)];
      const y = c.targets!.map(toTensor);
      await model.trainOnBatch(x.length > 1 ? x : x[0], y.length > 1 ? y : y[0]);
      model.getWeights().forEach((w, i) => {
        const d = relDiff(w.data, c.trained![i].data);
        assert.ok(d <= TOL, `weight ${i}: max diff ${d}`);
      });
    });
  }
}

test.run();
