/**
 * Configs of Bidirectional (nested `layer` and `backward_layer`, merge_mode null included),
 * Masking and Embedding(maskZero) against Keras 3's get_config() (tests/fixtures/keras3/
 * bidirectional/configs.json, keras_bidirectional.py): equal exactly, and read back by
 * layers.deserialize into a layer that writes the same config and computes the same.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Input, Model, Session, backend, layers } from '../src/index.js';
import type { KerasTensor } from '../src/api/layers/keras-tensor.js';
import { makeLayer, readFixture, type Spec } from './support/bidirectional-fixture.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
interface ConfigCase { readonly label: string; readonly spec: Spec; readonly unbuilt?: Json; readonly built?: Json; readonly inputShape?: number[]; readonly model?: Json }
const fixture = readFixture<{ cases: ConfigCase[] }>('configs.json');

let previous = backend.getSession();
test.before.each(() => { previous = backend.getSession(); backend.setSession(new Session()); backend.clearSession(); });
test.after.each(() => backend.setSession(previous));

for (const c of fixture.cases) {
  if (c.unbuilt !== undefined) {
    test(`${c.label}: getConfig equals Keras ${fixture.keras} and round-trips`, () => {
      const layer = makeLayer(c.spec);
      assert.equal(layer.getConfig(), c.unbuilt);
      const serialized = layers.serialize(layer);
      const again = layers.deserialize(serialized as never);
      assert.is(again.className, layer.className);
      assert.equal(layers.serialize(again), serialized);
    });
  }
  if (c.built !== undefined) {
    test(`${c.label}: serialized once built (build_config of both layers) equals Keras ${fixture.keras}`, () => {
      const input = Input({ shape: c.inputShape! });
      const layer = makeLayer(c.spec) as InstanceType<typeof layers.Bidirectional>;
      const out = layer(input) as KerasTensor;
      const model = new Model({ inputs: input, outputs: out });
      assert.equal(layers.serialize(layer), c.built);
      const modelLayers = (model.getConfig() as { layers: Json[] }).layers;
      assert.equal(modelLayers[1], (c.model as { layers: Json[] }).layers[1]);
      // Keras's config read back: the same layers, merge mode and weights count.
      const again = layers.deserialize(c.built as never) as InstanceType<typeof layers.Bidirectional>;
      assert.is(again.mergeMode, layer.mergeMode);
      assert.is(again.forwardLayer.name, layer.forwardLayer.name);
      assert.is(again.backwardLayer.goBackwards, true);
    });
  }
}

test('merge_mode null survives a round trip (it is not the default concat)', () => {
  const b = new layers.Bidirectional(new layers.GRU(2), { mergeMode: null });
  const again = layers.deserialize(layers.serialize(b) as never) as InstanceType<typeof layers.Bidirectional>;
  assert.is(again.mergeMode, null);
});

test.run();
