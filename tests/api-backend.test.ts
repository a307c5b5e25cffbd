/** backend (K): sessions, name counters, clearSession, learning phase; initializers and seeds. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Input, Model, Sequential, Session, backend, initializers, layers } from '../src/index.js';
import { toSnakeCase } from '../src/api/naming.js';

// Each test gets its own default session, so clearSession never touches other test files' weights.
let previous = backend.getSession();
test.before.each(() => { previous = backend.getSession(); backend.setSession(new Session()); });
test.after.each(() => backend.setSession(previous));

test('unique Keras names per class, snake_case', () => {
  backend.clearSession();
  assert.equal([new layers.Dense(1), new layers.Dense(1), new layers.Dense(1)].map((l) => l.name), ['dense', 'dense_1', 'dense_2']);
  assert.is(new layers.Conv2DTranspose(1, 1).name, 'conv2d_transpose');
  assert.is(new layers.MaxPooling2D().name, 'max_pooling2d');
  assert.is(new layers.GlobalAveragePooling2D().name, 'global_average_pooling2d');
  assert.is(new layers.BatchNormalization().name, 'batch_normalization');
  assert.is(new layers.Conv2D(1, 1).name, 'conv2d');
  assert.is(Input({ shape: [1] }).name, 'input_layer');
  assert.is(Input({ shape: [1] }).name, 'input_layer_1');
  assert.is(new Sequential().name, 'sequential');
  const x = Input({ shape: [2] });
  assert.is(new Model({ inputs: x, outputs: new layers.Dense(1)(x) }).name, 'functional');
  assert.is(new layers.Dense(1, { name: 'mine' }).name, 'mine');
  assert.is(toSnakeCase('MyCustomLayer'), 'my_custom_layer');
  class MyScale extends layers.Layer {}
  assert.is(new MyScale().name, 'my_scale');
});

test('clearSession resets the counters and drops weights of the default session', () => {
  backend.clearSession();
  const m = new Sequential([new layers.Dense(2, { inputShape: [3] })]);
  assert.is(m.layers[0].name, 'dense');
  const session = backend.getSession();
  session.program('p', () => ({ name: 'p', inputs: [], graph: { outputs: [m.layers[0].weights[0].node], updates: [] } }));
  assert.is(session.programCount, 1);
  backend.clearSession();
  assert.is(session.programCount, 0);
  assert.is(backend.getSession(), session);
  assert.throws(() => m.getWeights(), /does not belong to this session/);
  assert.is(new layers.Dense(1).name, 'dense');
});

test('setSession / getSession; weights live in the session current at build time', () => {
  const original = backend.getSession();
  const s = new Session({ seed: 7 });
  backend.setSession(s);
  try {
    assert.is(backend.getSession(), s);
    const m = new Sequential([new layers.Dense(2, { inputShape: [3] })]);
    assert.is(m.layers[0].weights[0].session, s);
  } finally {
    backend.setSession(original);
  }
});

test('learningPhase / setLearningPhase', () => {
  assert.is(backend.learningPhase(), undefined);
  backend.setLearningPhase(1);
  assert.is(backend.learningPhase(), 1);
  assert.is(backend.getSession().learningPhase, 1);
  backend.setLearningPhase(undefined);
  assert.throws(() => backend.setLearningPhase(2 as 0), /expected 0, 1 or undefined/);
});

test('a seeded session repeats weight initialisation', () => {
  const original = backend.getSession();
  const build = (seed: number) => {
    backend.setSession(new Session({ seed }));
    return new Sequential([new layers.Dense(4, { inputShape: [5] }), new layers.Reshape([2, 2, 1]), new layers.Conv2D(2, 1)]).getWeights().map((w) => Array.from(w.data));
  };
  try {
    const a = build(42);
    const b = build(42);
    const c = build(43);
    assert.equal(a, b);
    assert.not.equal(a[0], c[0]);
  } finally {
    backend.setSession(original);
  }
});

const stats = (xs: Float32Array) => {
  const mean = xs.reduce((s, v) => s + v, 0) / xs.length;
  const variance = xs.reduce((s, v) => s + (v - mean) ** 2, 0) / xs.length;
  return { mean, std: Math.sqrt(variance), min: Math.min(...xs), max: Math.max(...xs) };
};

test('initializers: Keras defaults and spreads', () => {
  const glorot = stats(initializers.get('glorot_uniform').generate([300, 200], 1));
  const limit = Math.sqrt(6 / 500);
  assert.ok(glorot.min >= -limit && glorot.max <= limit && glorot.max > 0.95 * limit);
  const he = stats(initializers.get('heNormal').generate([3, 3, 64, 32], 2));
  assert.ok(Math.abs(he.std - Math.sqrt(2 / (9 * 64))) < 0.01 * 1.5, `he std ${he.std}`);
  const heu = stats(initializers.get('he_uniform').generate([400, 10], 3));
  assert.ok(heu.max <= Math.sqrt(6 / 400));
  const normal = stats(initializers.get('random_normal').generate([20000], 4));
  assert.ok(Math.abs(normal.std - 0.05) < 0.002 && Math.abs(normal.mean) < 0.002);
  const uniform = stats(initializers.get('RandomUniform').generate([20000], 5));
  assert.ok(uniform.min >= -0.05 && uniform.max <= 0.05);
  const trunc = stats(initializers.get('truncated_normal').generate([20000], 6));
  assert.ok(trunc.min >= -0.1 && trunc.max <= 0.1);
  assert.equal(Array.from(initializers.get('zeros').generate([3], 0)), [0, 0, 0]);
  assert.equal(Array.from(initializers.get('ones').generate([2], 0)), [1, 1]);
  const q = initializers.get('orthogonal').generate([4, 3], 7);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
    let d = 0;
    for (let r = 0; r < 4; r++) d += q[r * 3 + i] * q[r * 3 + j];
    assert.ok(Math.abs(d - (i === j ? 1 : 0)) < 1e-5);
  }
  assert.throws(() => initializers.get('nope'), /Could not interpret initializer identifier: 'nope'. Valid names are: zeros, ones, glorot_uniform/);
  assert.equal(initializers.computeFans([3, 3, 16, 8]), [144, 72]);
});

test('layer default initializers are Keras\'s: zero biases, ones gamma', () => {
  const m = new Sequential([new layers.Dense(3, { inputShape: [2] }), new layers.BatchNormalization()]);
  const [, bias, gamma, beta, mean, variance] = m.getWeights();
  assert.equal(Array.from(bias.data), [0, 0, 0]);
  assert.equal(Array.from(gamma.data), [1, 1, 1]);
  assert.equal(Array.from(beta.data), [0, 0, 0]);
  assert.equal(Array.from(mean.data), [0, 0, 0]);
  assert.equal(Array.from(variance.data), [1, 1, 1]);
});

test.run();
