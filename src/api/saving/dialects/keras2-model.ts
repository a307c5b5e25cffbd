/**
 * A whole model config between the Keras 2 dialect (tf.keras `model_config`, TF.js `modelTopology`) and
 * Keras 3's serialize_keras_object form, following keras/src/models/functional.py and
 * keras/src/legacy/saving/saving_utils.py. Configs that are already Keras 3 (a Keras 3 `.h5`'s
 * `model_config`) pass through with only what is missing filled in.
 */
import { type Json, type JsonObject, expectArray, expectObject, expectString, isObject } from './json.js';
import { type DialectOptions, layerToKeras2, layerToKeras3 } from './keras2-layer.js';
import { keras3ClassName } from './keras2-names.js';
import { dtypePolicy } from './keras2-objects.js';
import { nodeToKeras2, nodeToKeras3, refsToKeras2, refsToKeras3, type TensorInfo } from './keras2-nodes.js';

export type { DialectOptions } from './keras2-layer.js';

/** `{model_config, training_config}` (Python converter, legacy h5 metadata) → the model config itself. */
export function unwrapModelConfig(topology: unknown, where: string): JsonObject {
  const obj = expectObject(topology, where);
  return isObject(obj.model_config) ? obj.model_config : obj;
}

function sequentialToKeras3(config: JsonObject | Json[], opts: DialectOptions): JsonObject {
  // Keras 1 wrote a Sequential config as a bare list of layers.
  const cfg: JsonObject = Array.isArray(config) ? { layers: config } : config;
  const layers = expectArray(cfg.layers, 'Sequential config.layers');
  const out: JsonObject[] = [];
  layers.forEach((raw, i) => {
    const layer = layerToKeras3(raw, `Sequential layer ${i}`, opts);
    if (i === 0 && layer.className !== 'InputLayer' && layer.batchInputShape !== undefined) {
      // Keras 3's Sequential keeps its input as an explicit first InputLayer.
      const base = typeof layer.config.name === 'string' ? layer.config.name : 'layer';
      out.push(withModule({ className: 'InputLayer', config: { batch_shape: layer.batchInputShape, dtype: layer.inputDtype ?? 'float32', sparse: false, ragged: false, name: `${base}_input` } }));
    }
    out.push(withModule(layer));
  });
  const result: JsonObject = { name: typeof cfg.name === 'string' ? cfg.name : 'sequential', trainable: cfg.trainable ?? true, dtype: isObject(cfg.dtype) ? cfg.dtype : dtypePolicy('float32'), layers: out };
  return { module: 'keras', class_name: 'Sequential', config: result, registered_name: null };
}

function withModule(layer: { className: string; config: JsonObject }): JsonObject {
  return { module: 'keras.layers', class_name: layer.className, config: layer.config, registered_name: null };
}

function functionalToKeras3(config: JsonObject, opts: DialectOptions): JsonObject {
  const layers = expectArray(config.layers, 'Functional config.layers');
  const info = new Map<string, TensorInfo>();
  const out: JsonObject[] = [];
  layers.forEach((raw, i) => {
    const where = `Functional layer ${i}`;
    const obj = expectObject(raw, where);
    const layer = layerToKeras3(obj, where, opts);
    const name = expectString(obj.name ?? layer.config.name, `${where}.name`);
    const dtype = layer.className === 'InputLayer' ? String(layer.config.dtype) : layer.inputDtype ?? 'float32';
    info.set(name, { dtype, shape: layer.className === 'InputLayer' ? (layer.config.batch_shape as Json[]) : null });
    const nodes = expectArray(obj.inbound_nodes ?? [], `layer '${name}'.inbound_nodes`).map((n, k) => nodeToKeras3(n, info, `layer '${name}' node ${k}`, opts.tensorShape));
    out.push({ ...withModule(layer), name, inbound_nodes: nodes });
  });
  const result: JsonObject = {
    name: typeof config.name === 'string' ? config.name : 'functional',
    trainable: config.trainable ?? true,
    layers: out,
    input_layers: refsToKeras3(config.input_layers, 'input_layers'),
    output_layers: refsToKeras3(config.output_layers, 'output_layers'),
  };
  return { module: 'keras.src.models.functional', class_name: 'Functional', config: result, registered_name: 'Functional' };
}

/** Keras 2 / TF.js model config (or a Keras 3 one) → Keras 3 serialize_keras_object form. */
export function keras2ToKeras3(topology: unknown, opts: DialectOptions = {}): JsonObject {
  const model = unwrapModelConfig(topology, 'model config');
  const className = keras3ClassName(expectString(model.class_name, 'model config.class_name'), 'model config');
  const config = model.config;
  if (className === 'Sequential') {
    if (!Array.isArray(config) && !isObject(config)) throw new Error('Sequential model config: expected "config" to hold the layers');
    return sequentialToKeras3(config, opts);
  }
  if (className === 'Functional') return functionalToKeras3(expectObject(config, 'Functional model config.config'), opts);
  throw new Error(`model config: class_name '${model.class_name}' is not a model the Keras 2 dialect can hold (expected Sequential, Model or Functional)`);
}

/** Keras 3 serialize_keras_object model config → Keras 2 / TF.js `modelTopology`. */
export function keras3ToKeras2(config: unknown, meta: { kerasVersion?: string; backend?: string } = {}): JsonObject {
  const model = expectObject(config, 'Keras 3 model config');
  const className = expectString(model.class_name, 'Keras 3 model config.class_name');
  const cfg = expectObject(model.config, 'Keras 3 model config.config');
  const layers = expectArray(cfg.layers, 'Keras 3 model config.config.layers');
  let out: JsonObject;
  if (className === 'Sequential') {
    const converted = layers.map((l, i) => layerToKeras2(l, `Sequential layer ${i}`));
    // TF.js and tf.keras carry a Sequential's input on its first layer, not as an InputLayer.
    if (converted.length > 1 && converted[0].class_name === 'InputLayer') {
      const input = converted.shift()!;
      converted[0].config.batch_input_shape = input.config.batch_input_shape;
      if (typeof input.config.dtype === 'string') converted[0].config.dtype = input.config.dtype;
    }
    out = { class_name: 'Sequential', config: { name: cfg.name ?? 'sequential', layers: converted } };
  } else if (className === 'Functional' || className === 'Model') {
    const converted = layers.map((raw, i) => {
      const obj = expectObject(raw, `Functional layer ${i}`);
      const layer = layerToKeras2(obj, `Functional layer ${i}`);
      const name = expectString(obj.name ?? layer.config.name, `Functional layer ${i}.name`);
      const nodes = expectArray(obj.inbound_nodes ?? [], `layer '${name}'.inbound_nodes`).map((n, k) => nodeToKeras2(n, `layer '${name}' node ${k}`));
      return { name, class_name: layer.class_name, config: layer.config, inbound_nodes: nodes };
    });
    out = {
      class_name: 'Model',
      config: { name: cfg.name ?? 'model', layers: converted, input_layers: refsToKeras2(cfg.input_layers, 'input_layers'), output_layers: refsToKeras2(cfg.output_layers, 'output_layers') },
    };
  } else {
    throw new Error(`Keras 3 model config: class_name '${className}' cannot be written in the Keras 2 dialect (expected Sequential or Functional)`);
  }
  out.keras_version = meta.kerasVersion ?? 'keras-jit';
  out.backend = meta.backend ?? 'keras-jit';
  return out;
}
