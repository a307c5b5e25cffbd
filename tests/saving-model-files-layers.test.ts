/**
 * Whole-model round trips for every layer kind: each Keras layer config of the config fixtures
 * (tests/fixtures/keras3/configs/layers.json) becomes a one-layer model on the first input shape it
 * accepts; saved as `.keras` and `.h5` and loaded back, it has the same config, weights and predictions.
 * Layers that take several inputs (merges, attention) are covered by the functional model tests.
 */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Input, Sequential, backend, layers, saving, tensor, type Model, type Tensor } from '../src/index.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
const fixture = JSON.parse(readFileSync(new URL('../../tests/fixtures/keras3/configs/layers.json', import.meta.url), 'utf8')) as Record<string, { class_name: string }>;

const CANDIDATES: Array<{ shape: number[]; dtype: 'float32' | 'int32' }> = [
  { shape: [5, 4], dtype: 'float32' }, { shape: [6], dtype: 'float32' }, { shape: [6, 6, 2], dtype: 'float32' },
  { shape: [4, 4, 4, 2], dtype: 'float32' }, { shape: [5], dtype: 'int32' }, { shape: [8, 8, 4], dtype: 'float32' },
];

function values(n: number, dtype: 'float32' | 'int32'): number[] {
  return Array.from({ length: n }, (_, i) => (dtype === 'int32' ? i % 5 : Math.sin(i * 0.7 + 0.3)));
}

/** A model around `config`'s layer on the first candidate input it accepts, with an input for it. */
function modelFor(config: Json): { model: Model; x: Tensor } | undefined {
  for (const c of CANDIDATES) {
    backend.clearSession();
    try {
      const layer = layers.deserialize(config as never);
      const model = new Sequential([Input({ shape: c.shape, dtype: c.dtype }), layer]);
      const size = 2 * c.shape.reduce((a, b) => a * b, 1);
      const x = tensor(values(size, c.dtype), [2, ...c.shape], c.dtype);
      model.predict(x, { verbose: 0 });
      return { model, x };
    } catch {
      // Not this input shape (or rank) for this layer: try the next.
    }
  }
  return undefined;
}

const covered: string[] = [];
const notCovered: string[] = [];
for (const [key, config] of Object.entries(fixture)) {
  test(`${key} (${config.class_name}): .keras and .h5 round trips`, async () => {
    const made = modelFor(config as unknown as Json);
    if (made === undefined) {
      notCovered.push(config.class_name);
      return;
    }
    covered.push(config.class_name);
    const { model, x } = made;
    const y = Array.from((model.predict(x, { verbose: 0 }) as Tensor).data);
    for (const format of ['keras', 'h5'] as const) {
      const back = await saving.loadModelFromBytes(await saving.saveModelToBytes(model, { format }), { fileName: `${key}.${format}` });
      assert.equal(back.toJSON(), model.toJSON());
      assert.equal(back.getWeights().map((w) => Array.from(w.data)), model.getWeights().map((w) => Array.from(w.data)));
      assert.equal(Array.from((back.predict(x, { verbose: 0 }) as Tensor).data), y);
    }
  });
}

test('most layer kinds are covered by a one-layer model', () => {
  const multi = new Set(['Concatenate', 'Add', 'Subtract', 'Multiply', 'Average', 'Maximum', 'Minimum', 'Dot', 'Attention', 'AdditiveAttention', 'MultiHeadAttention']);
  const unexpected = notCovered.filter((c) => !multi.has(c));
  console.log(`\n  one-layer model round trips: ${covered.length} layer configs covered; not as one layer: ${[...new Set(notCovered)].join(', ') || 'none'}`);
  assert.equal(unexpected, [], `layer kinds no one-layer model could be built for: ${unexpected.join(', ')}`);
});

test.run();
