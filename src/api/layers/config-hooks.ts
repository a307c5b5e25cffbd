/**
 * Where Layer.getConfig / Layer.fromConfig find the Keras config machinery (src/api/saving/config),
 * which depends on every layer class and so cannot be imported by layer.ts itself.
 */
import type { Layer } from './layer.js';

export type LayerConfig = Record<string, unknown>;
export interface LayerConfigHooks {
  getConfig(layer: Layer): LayerConfig;
  fromConfig(cls: abstract new (...args: never[]) => Layer, config: LayerConfig): Layer;
  /** serialize_keras_object(layer) (a model's too). */
  serialize(layer: Layer): LayerConfig;
}

let installed: LayerConfigHooks | undefined;

export function installLayerConfigHooks(hooks: LayerConfigHooks): void {
  installed = hooks;
}

export function layerConfigHooks(): LayerConfigHooks {
  if (installed === undefined) throw new Error('Layer configs need the saving module: import keras-jit (src/index.ts) rather than single layer files.');
  return installed;
}
