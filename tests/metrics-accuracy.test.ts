/**
 * Keras's exact-match Accuracy metric class against real Keras 3 (tests/fixtures/keras_accuracy.py):
 * batches of 5, 3 and 1 samples, with and without sample weights, flat, column and matrix shapes,
 * result() after every batch; its config is Keras's.
 */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { metrics, saving, tensor } from '../src/index.js';

interface Batch { y_true: number[] | number[][]; y_pred: number[] | number[][]; sample_weight: number[] | null; result: number }
const fixture = JSON.parse(readFileSync(new URL('../../tests/fixtures/keras3/accuracy.json', import.meta.url), 'utf8')) as {
  config: Record<string, unknown>; cases: { shape: string; weighted: boolean; batches: Batch[] }[];
};

for (const c of fixture.cases) {
  test(`Accuracy (${c.shape}${c.weighted ? ', weighted' : ''}): streaming result equals Keras's after every batch`, () => {
    const m = new metrics.Accuracy();
    for (const [i, b] of c.batches.entries()) {
      m.updateState(tensor(b.y_true), tensor(b.y_pred), b.sample_weight === null ? undefined : tensor(b.sample_weight));
      const err = Math.abs(m.result() - b.result);
      assert.ok(err < 1e-6, `batch ${i}: got ${m.result()}, Keras ${b.result}`);
    }
  });
}

test('Accuracy config is Keras\'s and reads back', () => {
  const m = new metrics.Accuracy({ name: 'exact' });
  assert.equal(saving.serializeMetric(m), fixture.config);
  const back = saving.deserializeMetric(fixture.config as never);
  assert.ok(back instanceof metrics.Accuracy);
  assert.equal(saving.serializeMetric(back as metrics.Accuracy), fixture.config);
});

test.run();
