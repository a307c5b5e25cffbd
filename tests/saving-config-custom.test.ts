/**
 * Custom layers in configs (saving.registerKerasSerializable, customObjects) and coverage: every
 * layer class keras-jit exports has a Keras config (Lambda excepted: never deserialized).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Input, layers, losses, metrics, Model, models, ops, saving } from '../src/index.js';
import type { SymbolicTensor } from '../src/api/ops.js';

class Scale extends layers.Layer {
  readonly factor: number;
  constructor(args: { factor?: number; name?: string; trainable?: boolean; dtype?: 'float32' } = {}) {
    const { factor, ...rest } = args;
    super(rest);
    this.factor = factor ?? 2;
  }
  override call(x: SymbolicTensor): SymbolicTensor {
    return ops.multiply(x, this.factor);
  }
  override getConfig() {
    return { ...super.getConfig(), factor: this.factor };
  }
}
saving.registerKerasSerializable(Scale, { package: 'my_pkg' });

class Unregistered extends layers.Layer {}

test('a registered custom layer is written with registered_name package>name and read back', () => {
  const x = Input({ shape: [3], name: 'x' });
  const model = new Model({ inputs: x, outputs: new Scale({ factor: 3, name: 'scale' }).apply(x) });
  const json = JSON.parse(model.toJSON()) as { config: { layers: { class_name: string; registered_name: string | null; module: string; config: Record<string, unknown> }[] } };
  const entry = json.config.layers[1];
  assert.is(entry.class_name, 'Scale');
  assert.is(entry.registered_name, 'my_pkg>Scale');
  assert.is(entry.module, 'my_pkg');
  assert.is(entry.config.factor, 3);
  const back = models.modelFromJSON(model.toJSON());
  const layer = back.getLayer('scale');
  assert.ok(layer instanceof Scale);
  assert.is((layer as Scale).factor, 3);
  assert.equal(back.toJSON(), model.toJSON());
});

test('customObjects resolves a class that is not registered', () => {
  const cfg = { module: 'elsewhere', class_name: 'Unregistered', config: { name: 'u', trainable: true }, registered_name: 'other>Unregistered' };
  assert.throws(() => layers.deserialize(cfg as never), (e: Error) => e.message.includes("'other>Unregistered'") && e.message.includes('saving.registerKerasSerializable') && e.message.includes('customObjects'));
  const layer = layers.deserialize(cfg as never, { customObjects: { 'other>Unregistered': Unregistered } });
  assert.ok(layer instanceof Unregistered);
  assert.is(layer.name, 'u');
});

test('serializing an unregistered custom layer says how to register it', () => {
  assert.throws(() => layers.serialize(new Unregistered()), (e: Error) => e.message.includes('saving.registerKerasSerializable'));
});

test('a Lambda layer cannot be written to or read from a config', () => {
  const lambda = new layers.Lambda((x) => x);
  assert.throws(() => layers.serialize(lambda), /registerKerasSerializable|Lambda/);
});

test('every exported layer class has a Keras config spec', () => {
  const missing: string[] = [];
  const notLayers = new Set(['Layer', 'LayerCallError', 'Variable', 'KerasTensor', 'CallNode', 'Input', 'Lambda']);
  for (const [name, value] of Object.entries(layers)) {
    if (typeof value !== 'function' || notLayers.has(name) || !/^[A-Z]/.test(name)) continue;
    if (!(value.prototype instanceof layers.Layer)) continue;
    try {
      (value as unknown as { fromConfig(c: Record<string, unknown>): unknown }).fromConfig({ name: `probe_${name}`, bogus_key: 1 });
      missing.push(name);
    } catch (e) {
      // A class with a spec rejects the unknown key by name; one without would fail differently.
      if (!(e as Error).message.includes("'bogus_key'") && name !== 'InputLayer') missing.push(`${name}: ${(e as Error).message.slice(0, 80)}`);
    }
  }
  assert.equal(missing, []);
});


// Custom loss and metric classes in a compile_config, as Keras's register_keras_serializable.
class ScaledMse extends losses.Loss {
  readonly scale: number;
  constructor(options: { scale?: number; name?: string; reduction?: losses.Reduction } = {}) {
    super(options.name ?? 'scaled_mse', (t, p) => ops.multiply(losses.meanSquaredError(t, p), options.scale ?? 1), options.reduction);
    this.scale = options.scale ?? 1;
  }
  override getConfig() {
    return { ...super.getConfig(), scale: this.scale };
  }
}
saving.registerKerasSerializable(ScaledMse, { package: 'my_pkg' });
class MaxError extends metrics.Metric {
  constructor(options: { name?: string } = {}) {
    super(options.name ?? 'max_error', (t, p) => ops.max(ops.abs(ops.subtract(p, t)), -1));
  }
}

test('custom loss and metric classes: registered ones are written with package>name and read back; customObjects too', () => {
  const x = Input({ shape: [2], name: 'x' });
  const model = new Model({ inputs: x, outputs: new layers.Dense(1, { name: 'd' }).apply(x) });
  model.compile({ optimizer: 'sgd', loss: new ScaledMse({ scale: 3 }), metrics: [new MaxError()] });
  assert.throws(() => saving.compileConfigOf(model), /MaxError.*registerKerasSerializable/);
  saving.registerKerasSerializable(MaxError, { package: 'my_pkg', name: 'MaxErr' });
  const cc = saving.compileConfigOf(model) as Record<string, Record<string, unknown> | unknown[]>;
  assert.equal(cc.loss, { module: 'my_pkg', class_name: 'ScaledMse', config: { name: 'scaled_mse', reduction: 'sum_over_batch_size', scale: 3 }, registered_name: 'my_pkg>ScaledMse' });
  assert.equal(cc.metrics, [{ module: 'my_pkg', class_name: 'MaxError', config: { name: 'max_error', dtype: 'float32' }, registered_name: 'my_pkg>MaxErr' }]);
  const again = models.modelFromConfig(saving.modelToConfig(model) as never);
  saving.compileFromConfig(again, cc as never);
  assert.ok(again.compileOptions?.loss instanceof ScaledMse);
  assert.is((again.compileOptions?.loss as ScaledMse).scale, 3);
  assert.ok((again.compileOptions?.metrics as unknown[])[0] instanceof MaxError);
  assert.equal(saving.compileConfigOf(again), cc);
  // An unregistered class found through customObjects, by the config's class_name.
  const renamed = { ...(cc.loss as Record<string, unknown>), registered_name: 'other_pkg>ScaledMse' };
  assert.throws(() => saving.deserializeLoss(renamed as never), /other_pkg>ScaledMse/);
  assert.ok(saving.deserializeLoss(renamed as never, { customObjects: { 'other_pkg>ScaledMse': ScaledMse } }) instanceof ScaledMse);
  assert.throws(() => saving.deserializeLoss(renamed as never, { customObjects: { 'other_pkg>ScaledMse': MaxError } }), /not a loss class/);
});

test.run();
