/**
 * Writes our `.weights.h5` of the compiled Adam model of tests/fixtures/keras_optimizer_weights.py,
 * trained the same 3 steps, for tests/fixtures/keras_loads_our_optimizer.py to load with real Keras.
 * Not part of the suite (Python). Run: node dist/tests/support/write-optimizer-weights.js /tmp/ours
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Sequential, layers, optimizers, tensor } from '../../src/index.js';
import { weightsToBytes } from '../../src/api/saving/weights/index.js';

interface Fixture { readonly init: number[][]; readonly x: number[][]; readonly y: number[][]; readonly steps: number }
const out = process.argv[2];
if (out === undefined) throw new Error('usage: node dist/tests/support/write-optimizer-weights.js <output directory>');
mkdirSync(out, { recursive: true });
const fx = JSON.parse(readFileSync(new URL('../../../tests/fixtures/keras3/optimizer_weights/trained.json', import.meta.url), 'utf8')) as Fixture;
const flat = (a: unknown[]): number[] => a.flat(Infinity) as number[];
const m = new Sequential([new layers.Dense(3, { inputShape: [4], activation: 'relu' }), new layers.Dense(2)]);
m.setWeights(fx.init.map((w, i) => tensor(flat(w), m.weights[i].shape)));
m.compile({ optimizer: new optimizers.Adam({ learningRate: 0.01 }), loss: 'mse' });
for (let i = 0; i < fx.steps; i++) await m.trainOnBatch(tensor(flat(fx.x), [5, 4]), tensor(flat(fx.y), [5, 2]));
writeFileSync(join(out, 'compiled_adam.weights.h5'), await weightsToBytes(m));
