/**
 * A loss's reduction inside compile(): evaluate() over one batch reports what Keras's loss
 * object gives for that batch ('none' is averaged, as Keras's CompileLoss reduces it), with the
 * Keras 3 fixture values; sample weights through evaluate's sampleWeight.
 */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { setSession } from '../src/api/backend.js';
import * as losses from '../src/api/losses.js';
import { SGD } from '../src/api/optimizers.js';
import { tensor } from '../src/api/tensor.js';
import { compileModel, evaluateLogs } from '../src/api/training/index.js';
import { Session } from '../src/runtime/session.js';
import { TinyDense } from './support/tiny-model.js';

interface LossCase {
  readonly class: string;
  readonly config: Record<string, number | boolean>;
  readonly y_true: number[][];
  readonly y_pred: number[][];
  readonly sample_weight: number[];
  readonly results: Record<string, number | number[]>;
}
const fixture = JSON.parse(readFileSync(new URL('../../tests/fixtures/losses_metrics.json', import.meta.url), 'utf8')) as { losses: LossCase[] };

function identityModel(width: number): TinyDense {
  const session = new Session({ seed: 1 });
  setSession(session);
  const kernel = Array.from({ length: width * width }, (_, i) => (i % (width + 1) === 0 ? 1 : 0));
  return new TinyDense(session, { inputs: width, units: width, activation: 'linear', kernel, bias: new Array(width).fill(0) });
}

const mean = (v: number | number[]) => (typeof v === 'number' ? v : v.reduce((a, b) => a + b, 0) / v.length);

for (const cls of ['Huber', 'KLDivergence', 'CategoricalHinge', 'BinaryFocalCrossentropy']) {
  const c = fixture.losses.find((k) => k.class === cls)!;
  test(`${cls}: every reduction through compile() and evaluate() matches Keras 3 on one batch`, () => {
    for (const reduction of losses.REDUCTIONS) {
      for (const weighted of [false, true]) {
        const model = identityModel(c.y_pred[0].length);
        const ctor = (losses as unknown as Record<string, new (o: object) => losses.Loss>)[cls];
        compileModel(model, { optimizer: new SGD({ learningRate: 0 }), loss: new ctor({ reduction }) });
        const logs = evaluateLogs(model, tensor(c.y_pred), tensor(c.y_true), { batchSize: c.y_pred.length, verbose: 0, sampleWeight: weighted ? tensor(c.sample_weight) : undefined });
        const expected = mean(c.results[weighted ? `${reduction}+weights` : reduction]);
        const err = Math.abs(logs.loss - expected) / Math.max(1, Math.abs(expected));
        assert.ok(err < 2e-5, `${cls} ${reduction}${weighted ? ' weighted' : ''}: got ${logs.loss}, Keras ${expected}`);
      }
    }
  });
}

test.run();
