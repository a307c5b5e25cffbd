/**
 * The Softmax layer's `mask` call argument against Keras 3 (tests/fixtures/keras_softmax_mask.py):
 * masked positions are -1e9 before the softmax and 0 after it, a fully masked row is all zeros;
 * compiled and on the reference interpreter. A mask that does not broadcast is Keras's error.
 */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Input, Model, backend, layers, tensor } from '../src/index.js';
import { evalModel, maxAbsDiff } from './support/api-eval.js';

interface Stored { readonly shape: number[]; readonly data: number[] }
interface Case { readonly name: string; readonly axis: number | number[]; readonly x: Stored; readonly mask: Stored; readonly y: Stored }
const fixture = JSON.parse(readFileSync(new URL('../../tests/fixtures/keras3/softmax_mask.json', import.meta.url), 'utf8')) as { keras: string; cases: Case[] };

/** The mask as a batch of the input's rank (leading 1s, repeated over the batch), the broadcast Keras does. */
function batchedMask(c: Case): { shape: number[]; data: number[] } {
  const shape = [...Array<number>(c.x.shape.length - c.mask.shape.length).fill(1), ...c.mask.shape];
  if (shape[0] !== 1) return { shape, data: c.mask.data };
  const batch = c.x.shape[0];
  return { shape: [batch, ...shape.slice(1)], data: Array.from({ length: batch }, () => c.mask.data).flat() };
}

for (const c of fixture.cases) {
  test(`Softmax mask vs Keras ${fixture.keras}: ${c.name}`, () => {
    backend.clearSession();
    const mask = batchedMask(c);
    const x = Input({ shape: c.x.shape.slice(1) });
    const m = Input({ shape: mask.shape.slice(1) });
    const softmax = new layers.Softmax({ axis: c.axis });
    const model = new Model({ inputs: [x, m], outputs: softmax(x, { mask: m }) });
    const inputs = [tensor(c.x.data, c.x.shape), tensor(mask.data, mask.shape)];
    const compiled = model.predict(inputs, { verbose: 0 }) as { data: ArrayLike<number> };
    const interpreted = evalModel(model, inputs).outputs[0];
    assert.ok(maxAbsDiff(compiled.data, c.y.data) < 1e-6, `compiled: max |diff| ${maxAbsDiff(compiled.data, c.y.data)}`);
    assert.ok(maxAbsDiff(interpreted.data, c.y.data) < 1e-6, `interpreter: max |diff| ${maxAbsDiff(interpreted.data, c.y.data)}`);
  });
}

test('a mask that does not broadcast to the inputs is an error in Keras\'s words', () => {
  backend.clearSession();
  const x = Input({ shape: [3, 4] });
  assert.throws(() => new layers.Softmax()(x, { mask: Input({ shape: [3, 5] }) } as never), /The `mask` must be broadcastable to `inputs`\. Each mask dimension must be 1 or match/);
  assert.throws(() => new layers.Softmax()(x, { mask: Input({ shape: [2, 3, 4] }) } as never), /must not have more dimensions/);
  assert.throws(() => new layers.Softmax()(x, { masks: x } as never), /masks/);
});

test.run();
