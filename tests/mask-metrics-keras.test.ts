/**
 * Metrics of a masked sequence output against real Keras 3 (tests/fixtures/keras3/masking/metrics,
 * written by keras_mask_metrics.py): Embedding(maskZero) -> LSTM(returnSequences) -> Dense(1),
 * with accuracy and mae (mask as 0/1 sample weights, joined with any sampleWeight) and the
 * stateful Precision and AUC, as `metrics` and as `weightedMetrics`, over batches of different
 * padding (the last one partial), in evaluate() and in one epoch of fit() (whose fixture comes from
 * Keras's torch backend: Keras-jax's fit() drops the mask before its metrics, see the script).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Input, Model, layers, metrics, optimizers, tensor, type Tensor } from '../src/index.js';
import type { KerasTensor } from '../src/api/layers/keras-tensor.js';
import { evaluateLogs } from '../src/api/training/index.js';
import { evaluateStreamLogs } from '../src/api/training/stream-api.js';

interface Stored { readonly shape: number[]; readonly data: number[] }
interface Fixture {
  readonly keras: string;
  readonly input: Stored;
  readonly target: Stored;
  readonly sampleWeight: Stored | null;
  readonly metrics: string[];
  readonly weightedMetrics: string[];
  readonly batchSize: number;
  readonly weights: Stored[];
  readonly evaluate?: Record<string, number>;
  readonly fit?: Record<string, number>;
}

const dir = new URL('../../tests/fixtures/keras3/masking/metrics/', import.meta.url);
const fixtures = readdirSync(dir).filter((f) => f.endsWith('.json')).sort()
  .map((f) => [f.replace(/\.json$/, ''), JSON.parse(readFileSync(new URL(f, dir), 'utf8')) as Fixture] as const);

const metric = (name: string) =>
  name === 'precision' ? new metrics.Precision({ name: 'precision' }) : name === 'auc' ? new metrics.AUC({ name: 'auc', numThresholds: 50 }) : name;

function build(f: Fixture): Model {
  const input = Input({ shape: f.input.shape.slice(1), dtype: 'int32' });
  const h = new layers.LSTM(4, { returnSequences: true })(new layers.Embedding(8, 3, { maskZero: true })(input) as KerasTensor) as KerasTensor;
  const model = new Model({ inputs: input, outputs: new layers.Dense(1, { activation: 'sigmoid' })(h) as KerasTensor });
  model.setWeights(f.weights.map((w) => tensor(Float32Array.from(w.data), w.shape)));
  model.compile({ optimizer: new optimizers.SGD({ learningRate: 0.5 }), loss: 'binary_crossentropy', metrics: f.metrics.map(metric), weightedMetrics: f.weightedMetrics.map(metric) });
  return model;
}

function expectClose(got: Record<string, number | number[]>, want: Record<string, number>, what: string): void {
  assert.equal(Object.keys(got).sort(), Object.keys(want).sort(), `${what}: logged names`);
  for (const [k, v] of Object.entries(want)) {
    const g = got[k];
    const value = Array.isArray(g) ? g[g.length - 1] : g;
    assert.ok(Math.abs(value - v) <= 1e-5, `${what} ${k}: ${value} vs Keras ${v}`);
  }
}

for (const [name, f] of fixtures) {
  const x = (): Tensor => tensor(Int32Array.from(f.input.data), f.input.shape);
  const y = (): Tensor => tensor(Float32Array.from(f.target.data), f.target.shape);
  const sw = (): Tensor | undefined => (f.sampleWeight ? tensor(Float32Array.from(f.sampleWeight.data), f.sampleWeight.shape) : undefined);
  if (f.evaluate !== undefined) test(`${name}: evaluate's metrics over batches of different padding match Keras ${f.keras}`, () => {
    const model = build(f);
    const logs = evaluateLogs(model, x(), y(), { batchSize: f.batchSize, verbose: 0, sampleWeight: sw() });
    expectClose(logs, f.evaluate!, 'evaluate');
  });
  if (f.evaluate !== undefined) test(`${name}: evaluate over a stream of the same batches matches Keras ${f.keras}`, async () => {
    const model = build(f);
    const n = f.input.shape[0];
    const rows = (s: Stored, a: number, b: number) => {
      const per = s.data.length / s.shape[0];
      return { data: s.data.slice(a * per, b * per), shape: [b - a, ...s.shape.slice(1)] };
    };
    const batches: [Tensor, Tensor, Tensor][] | [Tensor, Tensor][] = [];
    for (let a = 0; a < n; a += f.batchSize) {
      const b = Math.min(n, a + f.batchSize);
      const xs = rows(f.input, a, b), ys = rows(f.target, a, b);
      const batch: Tensor[] = [tensor(Int32Array.from(xs.data), xs.shape), tensor(Float32Array.from(ys.data), ys.shape)];
      if (f.sampleWeight) {
        const ws = rows(f.sampleWeight, a, b);
        batch.push(tensor(Float32Array.from(ws.data), ws.shape));
      }
      (batches as Tensor[][]).push(batch);
    }
    // A generator function: a plain array is in-memory data, not a stream.
    expectClose(await evaluateStreamLogs(model, function* () { yield* batches; }, { verbose: 0 }), f.evaluate!, 'streamed evaluate');
  });
  if (f.fit === undefined) continue;
  test(`${name}: one epoch of fit logs Keras ${f.keras}'s metrics`, async () => {
    const model = build(f);
    const history = await model.fit(x(), y(), { batchSize: f.batchSize, epochs: 1, shuffle: false, verbose: 0, sampleWeight: sw() });
    expectClose(history.history as Record<string, number[]>, f.fit!, 'fit');
  });
}

test.run();
