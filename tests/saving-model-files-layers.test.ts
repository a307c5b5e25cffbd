/**
 * Whole-model round trips for every layer kind: each Keras layer config of the config fixtures
 * (tests/fixtures/keras3/configs/layers.json) becomes a one-layer model on the first input shape it
 * accepts; saved as `.keras` and `.h5` and loaded back, it has the same config, weights and predictions.
 * Layers that take two inputs (merges, attention) get a two-input functional model instead.
 */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Input, Model, Sequential, backend, layers, saving, tensor, type KerasTensor, type Tensor } from '../src/index.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
const fixture = JSON.parse(readFileSync(new URL('../../tests/fixtures/keras3/configs/layers.json', import.meta.url), 'utf8')) as Record<string, { class_name: string }>;

const CANDIDATES: Array<{ shape: number[]; dtype: 'float32' | 'int32' }> = [
  { shape: [5, 4], dtype: 'float32' }, { shape: [6], dtype: 'float32' }, { shape: [6, 6, 2], dtype: 'float32' },
  { shape: [4, 4, 4, 2], dtype: 'float32' }, { shape: [5], dtype: 'int32' }, { shape: [8, 8, 4], dtype: 'float32' },
];

function values(n: number, dtype: 'float32' | 'int32'): number[] {
  return Array.from({ length: n }, (_, i) => (dtype === 'int32' ? i % 5 : Math.sin(i * 0.7 + 0.3)));
}

const TWO_INPUTS = new Set(['Concatenate', 'Add', 'Subtract', 'Multiply', 'Average', 'Maximum', 'Minimum', 'Dot', 'Attention', 'AdditiveAttention', 'MultiHeadAttention']);

/** A two-input functional model around a merge or attention layer, inputs of shape (2, 4, 6). */
function twoInputModel(config: Json): { model: Model; x: Tensor[] } {
  backend.clearSession();
  const layer = layers.deserialize(config as never);
  const a = Input({ shape: [4, 6], name: 'a' });
  const b = Input({ shape: [4, 6], name: 'b' });
  const call = layer as unknown as (...args: unknown[]) => KerasTensor;
  const out = layer.className === 'MultiHeadAttention' ? call(a, b) : call([a, b]);
  const model = new Model({ inputs: [a, b], outputs: out });
  return { model, x: [tensor(values(48, 'float32'), [2, 4, 6]), tensor(values(48, 'float32').map((v) => v * 0.5 - 0.1), [2, 4, 6])] };
}

/** A model around `config`'s layer on the first candidate input it accepts, with an input for it. */
function modelFor(config: Json): { model: Model; x: Tensor | Tensor[] } | undefined {
  if (TWO_INPUTS.has((config as { class_name: string }).class_name)) return twoInputModel(config);
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

test('every layer kind of the config fixtures is covered', () => {
  console.log(`\n  one-layer model round trips: ${covered.length} layer configs covered`);
  assert.equal(notCovered, [], `layer kinds no model could be built for: ${notCovered.join(', ')}`);
});

test.run();
