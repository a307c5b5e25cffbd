/**
 * A layer's own `seed` (Keras's SeedGenerator): its draws repeat whatever the session's seed,
 * differ between seeds and from step to step, do not move when other random layers are added
 * around it, survive the config round trip, and a seed that is not an integer is refused.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { backend, initializers, Input, layers, Model, Sequential, Session, optimizers, tensor, type Tensor } from '../src/index.js';
import type { Layer } from '../src/api/layers/layer.js';

const N = 4096;
const ones = tensor(new Float32Array(N).fill(1), [1, N]);

/** Two predicts of `make()` called in training mode, in a session of `sessionSeed`. */
function draws(make: () => Layer, sessionSeed: number, before?: () => Layer): [number[], number[]] {
  backend.setSession(new Session({ seed: sessionSeed }));
  const input = Input({ shape: [N] });
  const first = before === undefined ? input : (before()(input, { training: true }) as ReturnType<typeof Input>);
  const model = new Model({ inputs: input, outputs: [make()(first, { training: true }) as ReturnType<typeof Input>, first] });
  const run = () => Array.from(((model.predict(ones, { verbose: 0 }) as Tensor[])[0]).data);
  return [run(), run()];
}

const seeded = (seed: number) => new initializers.SeededInitializer(initializers.get('glorot_uniform'), seed);
const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

const LAYERS: [string, (seed?: number) => Layer][] = [
  ['Dropout', (seed) => new layers.Dropout(0.5, { seed })],
  ['GaussianNoise', (seed) => new layers.GaussianNoise(0.5, { seed })],
  ['GaussianDropout', (seed) => new layers.GaussianDropout(0.3, { seed })],
  ['AlphaDropout', (seed) => new layers.AlphaDropout(0.3, { seed })],
];

test('a seeded layer draws the same values in sessions of different seeds, fresh ones each call', () => {
  for (const [name, make] of LAYERS) {
    const [a1, a2] = draws(() => make(7), 1);
    const [b1, b2] = draws(() => make(7), 2);
    assert.ok(same(a1, b1) && same(a2, b2), `${name}: seed 7 draws alike whatever the session's seed`);
    assert.not.ok(same(a1, a2), `${name}: the second call draws afresh`);
    const [c1] = draws(() => make(8), 1);
    assert.not.ok(same(a1, c1), `${name}: seeds 7 and 8 draw differently`);
    // The control: without a seed the session's stream decides.
    const [u1] = draws(() => make(), 1), [v1] = draws(() => make(), 2);
    assert.not.ok(same(u1, v1), `${name}: unseeded draws follow the session's seed`);
  }
});

test('a seeded dropout keeps rate and scale: about half dropped, the rest scaled by 2', () => {
  const [mask] = draws(() => new layers.Dropout(0.5, { seed: 3 }), 1);
  const dropped = mask.filter((v) => v === 0).length;
  assert.ok(mask.every((v) => v === 0 || v === 2), 'values are 0 or 1 / (1 - rate)');
  assert.ok(Math.abs(dropped / N - 0.5) < 0.04, `dropped ${dropped} of ${N}`);
});

test('a seeded layer draws alike when other random layers come before it, and two layers of one seed draw alike', () => {
  const [alone] = draws(() => new layers.Dropout(0.5, { seed: 11 }), 1);
  const [after] = draws(() => new layers.Dropout(0.5, { seed: 11 }), 1, () => new layers.GaussianNoise(0.1));
  // After the noise layer its input differs, not its mask: compare where it kept values.
  const [noisy] = draws(() => new layers.Dropout(0.5, { seed: 11 }), 1, () => new layers.GaussianNoise(0.1));
  assert.ok(same(alone.map((v) => (v === 0 ? 0 : 1)), after.map((v) => (v === 0 ? 0 : 1))), 'the mask does not depend on the layers before');
  assert.ok(noisy.some((v) => v !== 0 && v !== 2), 'the noise layer did run before it');
  const [twin] = draws(() => new layers.Dropout(0.5, { seed: 11 }), 5, () => new layers.Dropout(0.5, { seed: 11 }));
  // The first Dropout of seed 11 zeroes what the second would: the second only zeroes (and rescales) the survivors.
  const kept = twin.filter((v) => v !== 0).length;
  assert.ok(Math.abs(kept / N - 0.5) < 0.04, `two seed-11 dropouts keep one half, not a quarter (${kept} of ${N})`);
});

test('Attention, AdditiveAttention and MultiHeadAttention dropout follow their own seed', () => {
  const x = tensor(Float32Array.from({ length: 2 * 6 * 4 }, (_, i) => Math.sin(i * 0.7)), [2, 6, 4]);
  const run = (sessionSeed: number, make: () => Layer, multiHead: boolean): number[][] => {
    backend.setSession(new Session({ seed: sessionSeed }));
    const q = Input({ shape: [6, 4] });
    const layer = make() as Layer & ((...args: unknown[]) => ReturnType<typeof Input>);
    const y = multiHead ? layer(q, q, { training: true }) : layer([q, q], { training: true });
    const model = new Model({ inputs: q, outputs: y });
    return [0, 1].map(() => Array.from((model.predict(x, { verbose: 0 }) as Tensor).data));
  };
  const cases: [string, (seed?: number) => Layer, boolean][] = [
    ['Attention', (seed) => new layers.Attention({ dropout: 0.5, seed }), false],
    ['AdditiveAttention', (seed) => new layers.AdditiveAttention({ dropout: 0.5, seed, useScale: false }), false],
    ['MultiHeadAttention', (seed) => new layers.MultiHeadAttention({ numHeads: 2, keyDim: 3, dropout: 0.5, seed, kernelInitializer: seeded(4) }), true],
  ];
  for (const [name, make, multiHead] of cases) {
    const [a1, a2] = run(1, () => make(9), multiHead), [b1, b2] = run(2, () => make(9), multiHead);
    assert.ok(same(a1, b1) && same(a2, b2), `${name}: seed 9 drops alike whatever the session's seed`);
    assert.not.ok(same(a1, a2), `${name}: a fresh mask each call`);
    const [u1] = run(1, () => make(), multiHead), [v1] = run(2, () => make(), multiHead);
    assert.not.ok(same(u1, v1), `${name}: unseeded, the session's seed decides`);
    assert.is((make(9).getConfig() as Record<string, unknown>).seed, 9, `${name}: the config keeps the seed`);
  }
});

test('training with seeded dropout repeats across sessions of different seeds; unseeded, it does not', async () => {
  const train = async (sessionSeed: number, dropoutSeed: number | undefined): Promise<number[]> => {
    backend.setSession(new Session({ seed: sessionSeed }));
    const model = new Sequential([
      new layers.Dense(16, { activation: 'relu', inputShape: [8], kernelInitializer: seeded(1) }),
      new layers.Dropout(0.4, { seed: dropoutSeed }),
      new layers.Dense(1, { kernelInitializer: seeded(2) }),
    ]);
    model.compile({ optimizer: new optimizers.SGD({ learningRate: 0.1 }), loss: 'mse' });
    const x = tensor(Float32Array.from({ length: 64 * 8 }, (_, i) => Math.sin(i)), [64, 8]);
    const y = tensor(Float32Array.from({ length: 64 }, (_, i) => Math.cos(i)), [64, 1]);
    await model.fit(x, y, { batchSize: 16, epochs: 2, verbose: 0, shuffle: false });
    return model.getWeights().flatMap((w) => Array.from(w.data));
  };
  assert.ok(same(await train(1, 21), await train(2, 21)), 'seeded: the same weights after training');
  assert.not.ok(same(await train(1, 21), await train(1, 22)), 'another layer seed: other weights');
  assert.not.ok(same(await train(1, undefined), await train(2, undefined)), 'unseeded: the session seed decides');
});

test('recurrent layers and cells draw their dropout masks from their own seed', () => {
  const x = tensor(Float32Array.from({ length: 2 * 5 * 6 }, (_, i) => Math.cos(i * 0.3)), [2, 5, 6]);
  const run = (sessionSeed: number, make: () => Layer): number[][] => {
    backend.setSession(new Session({ seed: sessionSeed }));
    const input = Input({ shape: [5, 6] });
    const model = new Model({ inputs: input, outputs: make()(input, { training: true }) as ReturnType<typeof Input> });
    return [0, 1].map(() => Array.from((model.predict(x, { verbose: 0 }) as Tensor).data));
  };
  const options = (seed?: number) => ({ dropout: 0.4, recurrentDropout: 0.3, seed, kernelInitializer: seeded(5), recurrentInitializer: seeded(6) });
  const cases: [string, (seed?: number) => Layer][] = [
    ['LSTM', (seed) => new layers.LSTM(4, options(seed))],
    ['GRU', (seed) => new layers.GRU(4, options(seed))],
    ['SimpleRNN', (seed) => new layers.SimpleRNN(4, options(seed))],
    ['RNN(LSTMCell)', (seed) => new layers.RNN(new layers.LSTMCell(4, options(seed)))],
  ];
  for (const [name, make] of cases) {
    const [a1, a2] = run(1, () => make(13)), [b1, b2] = run(2, () => make(13));
    assert.ok(same(a1, b1) && same(a2, b2), `${name}: seed 13 drops alike whatever the session's seed`);
    assert.not.ok(same(a1, a2), `${name}: fresh masks each call`);
    const [u1] = run(1, () => make()), [v1] = run(2, () => make());
    assert.not.ok(same(u1, v1), `${name}: unseeded, the session's seed decides`);
  }
  assert.is(new layers.LSTM(3, { seed: 4 }).getConfig().seed, 4);
  assert.is(new layers.GRUCell(3, { seed: 4 }).getConfig().seed, 4);
});

test('the seed survives getConfig and fromConfig, and a seed that is not an integer is refused', () => {
  const layer = new layers.Dropout(0.5, { seed: 42 });
  assert.is(layer.getConfig().seed, 42);
  const back = layers.Dropout.fromConfig(layer.getConfig());
  const [a] = draws(() => back, 1), [b] = draws(() => new layers.Dropout(0.5, { seed: 42 }), 2);
  assert.ok(same(a, b), 'the rebuilt layer draws as one made with seed 42');
  assert.is(new layers.GaussianNoise(0.1, { seed: null }).getConfig().seed, null);
  for (const outside of [-1, 2 ** 32]) assert.throws(() => new layers.Dropout(0.5, { seed: outside }), /must be an integer in \[0, 2\*\*32 - 1\]/);
  assert.is(new layers.Dropout(0.5, { seed: 2 ** 32 - 1 }).getConfig().seed, 2 ** 32 - 1);
  for (const bad of [1.5, '3', Number.NaN]) {
    assert.throws(() => new layers.Dropout(0.5, { seed: bad as number }), /argument `seed` must be an integer/);
    assert.throws(() => new layers.GaussianDropout(0.5, { seed: bad as number }), /argument `seed` must be an integer/);
  }
});

test.run();
