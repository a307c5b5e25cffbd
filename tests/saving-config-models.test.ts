/**
 * Model configs against Keras 3.15 (tests/fixtures/keras3/configs/models.json): Keras's
 * Sequential and functional configs load (layer names, classes, shapes, parameter counts) and
 * write Keras's config again; models built here write Keras's config.
 */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Input, layers, Model, models, Sequential, backend } from '../src/index.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };
const fixture = JSON.parse(readFileSync(new URL('../../tests/fixtures/keras3/configs/models.json', import.meta.url), 'utf8')) as Record<string, Obj>;

/** compile_config is written by the compile-config serializer (saving-config-training.test.ts). */
const withoutCompile = (o: Obj): Obj => {
  const { compile_config: _, ...rest } = o;
  return rest;
};

for (const key of Object.keys(fixture)) {
  test(`Keras's ${key} model config loads and writes the same config again`, () => {
    const keras = withoutCompile(fixture[key]);
    const model = models.modelFromConfig(keras as never);
    const layerEntries = (keras.config as Obj).layers as Obj[];
    const names = layerEntries.map((l) => (l.config as Obj).name);
    // model.layers follows keras-jit's topology (every input first); the config keeps Keras's order (checked below).
    const ours = model.isSequential ? [model.inputs[0].history.layer.name, ...model.layers.map((l) => l.name)] : model.layers.map((l) => l.name);
    assert.equal([...ours].sort(), [...names].sort());
    assert.equal(models.modelFromJSON(model.toJSON()).toJSON(), model.toJSON());
    assert.equal(JSON.parse(model.toJSON()), keras);
  });
}

test('parameter counts and output shapes of loaded models match the Keras graphs', () => {
  const fn = models.modelFromConfig(withoutCompile(fixture.fn) as never);
  assert.equal(fn.outputs.map((t) => t.shape), [[null, 1], [null, 2]]);
  // pa 5*3+3, shared 3*4+4 (used twice), o1 8+1, o2 8*2+2: counted from the fixture script's layers.
  assert.is(fn.countParams(), 18 + 16 + 9 + 18);
  const cnn = models.modelFromConfig(withoutCompile(fixture.cnn) as never);
  assert.equal(cnn.outputs[0].shape, [null, 2]);
});

test('a Sequential and a functional model built here write Keras\'s configs', () => {
  backend.clearSession();
  const seq = new Sequential([Input({ shape: [4] }), new layers.Dense(8, { activation: 'relu' }), new layers.Dropout(0.2), new layers.Dense(3, { activation: 'softmax' })], { name: 'seq' });
  assert.equal(JSON.parse(seq.toJSON()), withoutCompile(fixture.seq));
  backend.clearSession();
  const a = Input({ shape: [5], name: 'a' });
  const b = Input({ shape: [3], name: 'b' });
  const shared = new layers.Dense(4, { name: 'shared' });
  const h = new layers.Concatenate({ name: 'cat' }).apply([shared.apply(new layers.Dense(3, { name: 'pa' }).apply(a)), shared.apply(b)]);
  const fn = new Model({ inputs: [a, b], outputs: [new layers.Dense(1, { name: 'o1' }).apply(h), new layers.Dense(2, { activation: 'softmax', name: 'o2' }).apply(h)], name: 'fn' });
  assert.equal(JSON.parse(fn.toJSON()), withoutCompile(fixture.fn));
});

test('a loaded model predicts: the graph is wired as the config says', async () => {
  const fn = models.modelFromConfig(withoutCompile(fixture.fn) as never);
  const { tensor } = await import('../src/index.js');
  const out = fn.predict([tensor(new Float32Array(10).fill(1), [2, 5]), tensor(new Float32Array(6).fill(1), [2, 3])], { verbose: 0 }) as unknown as { shape: number[] }[];
  assert.equal(out.map((t) => t.shape), [[2, 1], [2, 2]]);
});

test('Sequential.getConfig / Sequential.fromConfig and Model.fromConfig use the model config', () => {
  const keras = withoutCompile(fixture.seq);
  const seq = Sequential.fromConfig(keras.config as never);
  assert.ok(seq instanceof Sequential);
  assert.equal(seq.getConfig(), keras.config);
  const fnKeras = withoutCompile(fixture.fn);
  const fn = Model.fromConfig(fnKeras.config as never);
  assert.equal(fn.getConfig(), fnKeras.config);
  assert.equal(layers.serialize(fn), fnKeras);
});

test('bad model configs are clear errors', () => {
  assert.throws(() => models.modelFromJSON('{not json'), /not valid JSON/);
  assert.throws(() => models.modelFromConfig({ class_name: 'Subclassed', config: {} } as never), /Subclassed/);
  const bad = JSON.parse(JSON.stringify(withoutCompile(fixture.rnn))) as Obj;
  ((bad.config as Obj).layers as Obj[])[1].class_name = 'MyEmbedding';
  assert.throws(() => models.modelFromConfig(bad as never), (e: Error) => e.message.includes("'MyEmbedding'") && e.message.includes('registerKerasSerializable'));
  const extra = { ...withoutCompile(fixture.seq), config: { ...(fixture.seq.config as Obj), jit: true } };
  assert.throws(() => models.modelFromConfig(extra as never), /'jit'/);
});

test.run();
