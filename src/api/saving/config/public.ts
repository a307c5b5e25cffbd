/**
 * The public config entry points (layers.serialize / deserialize, models.modelFromJSON /
 * modelFromConfig, model.toJSON); importing this module installs the layer specs.
 */
import './install.js';
import type { Layer } from '../../layers/layer.js';
import type { Model } from '../../models/model.js';
import type { CustomObjects } from './class-registry.js';
import type { Json, JsonObject } from './json.js';
import { deserializeLayer as deserializeOne, serializeLayer as serializeOne } from './layer-config.js';
import { modelFromConfig as fromConfig, modelToConfig as toConfig } from './model-config.js';
import { InputLayer } from '../../layers/input-layer.js';
import { Model as ModelClass } from '../../models/model.js';
import { inputLayerConfig, inputLayerFromConfig } from './model-config.js';
import { isJsonObject } from './json.js';

export interface CustomObjectsOption {
  /** Classes by the name configs use for them (their class_name or registered_name). */
  readonly customObjects?: CustomObjects;
}

/** Keras's layers.serialize: {module, class_name, config, registered_name, build_config?}. */
export function serialize(layer: Layer): JsonObject {
  if (layer instanceof InputLayer) return { module: 'keras.layers', class_name: 'InputLayer', config: inputLayerConfig(layer), registered_name: null };
  if (layer instanceof ModelClass) return toConfig(layer);
  return serializeOne(layer);
}

/** Keras's layers.deserialize; models (Sequential / Functional) too. */
export function deserialize(config: Json, options: CustomObjectsOption = {}): Layer {
  if (isJsonObject(config) && config.class_name === 'InputLayer' && isJsonObject(config.config)) return inputLayerFromConfig(config.config);
  if (isJsonObject(config) && (config.class_name === 'Sequential' || config.class_name === 'Functional')) return fromConfig(config, options);
  return deserializeOne(config, options);
}

export function modelToConfig(model: Model): JsonObject {
  return toConfig(model);
}

export function modelFromConfig(config: Json, options: CustomObjectsOption = {}): Model {
  return fromConfig(config, options);
}

/** models.modelFromJSON: the string model.toJSON() (or Keras's model.to_json()) wrote. */
export function modelFromJSON(json: string, options: CustomObjectsOption = {}): Model {
  let parsed: Json;
  try {
    parsed = JSON.parse(json) as Json;
  } catch (e) {
    throw new Error(`modelFromJSON: not valid JSON (${(e as Error).message})`);
  }
  return fromConfig(parsed, options);
}
