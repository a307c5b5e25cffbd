/** Connects Layer.getConfig / Layer.fromConfig to the config machinery, and registers the built-in specs. */
import { installLayerConfigHooks } from '../../layers/config-hooks.js';
import { InputLayer } from '../../layers/input-layer.js';
import type { Layer } from '../../layers/layer.js';
import { Model } from '../../models/model.js';
import { addBuiltinSpecs } from './class-registry.js';
import type { JsonObject } from './json.js';
import { getLayerConfig, layerFromConfig, serializeLayer } from './layer-config.js';
import type { LayerClass } from './layer-spec.js';
import { coreSpecs } from './layer-specs-core.js';
import { moreSpecs } from './layer-specs-more.js';
import { inputLayerConfig, inputLayerFromConfig, modelFromConfig, modelToConfig } from './model-config.js';

addBuiltinSpecs([...coreSpecs, ...moreSpecs]);

installLayerConfigHooks({
  getConfig(layer: Layer) {
    if (layer instanceof InputLayer) return { ...inputLayerConfig(layer) };
    if (layer instanceof Model) return { ...(modelToConfig(layer).config as JsonObject) };
    return getLayerConfig(layer);
  },
  serialize(layer: Layer) {
    if (layer instanceof InputLayer) return { module: 'keras.layers', class_name: 'InputLayer', config: inputLayerConfig(layer), registered_name: null };
    if (layer instanceof Model) return { ...modelToConfig(layer) };
    return { ...serializeLayer(layer) };
  },
  fromConfig(cls, config) {
    if ((cls as unknown) === InputLayer) return inputLayerFromConfig(config as JsonObject);
    if ((cls as unknown) === Model || Object.prototype.isPrototypeOf.call(Model, cls)) {
      const className = (cls as unknown as { name: string }).name === 'Sequential' ? 'Sequential' : 'Functional';
      return modelFromConfig({ class_name: className, config: config as JsonObject });
    }
    return layerFromConfig(cls as LayerClass, config as JsonObject);
  },
});
