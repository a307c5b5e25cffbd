/**
 * Layer get_config / from_config and serialize / deserialize (Keras 3 serialize_keras_object form)
 * driven by the layer specs: getConfig writes exactly Keras's keys and values, fromConfig accepts
 * exactly those keys, so nothing in a config is silently dropped.
 */
import { getConstraint, type ConstraintIdentifier } from '../../constraints.js';
import type { InitializerIdentifier } from '../../initializers.js';
import { Layer } from '../../layers/layer.js';
import { getRegularizer, type RegularizerIdentifier } from '../../regularizers.js';
import type { ActivationFn } from '../../activations.js';
import { isLayerSpec, registrationOf, resolveLayerClass, specOfClass, type CustomObjects } from './class-registry.js';
import { checkConfigKeys, isJsonObject, type Json, type JsonObject } from './json.js';
import type { FieldSpec, LayerClass, LayerSpec } from './layer-spec.js';
import {
  deserializeActivation, deserializeConstraint, deserializeDtype, deserializeInitializer, deserializeRegularizer,
  serializeActivation, serializeConstraint, serializeDtype, serializeInitializer, serializeRegularizer,
} from './objects.js';

const BASE_KEYS = ['name', 'trainable', 'dtype'];

/** Base Layer.get_config: name, trainable, dtype, and activity_regularizer when one is set. */
export function baseLayerConfig(layer: Layer): Record<string, Json> {
  const config: Record<string, Json> = { name: layer.name, trainable: layer.trainable, dtype: serializeDtype(layer.dtype) };
  if (layer.activityRegularizer !== undefined) config.activity_regularizer = serializeRegularizer(layer.activityRegularizer);
  return config;
}

export function layerConfigFromSpec(layer: Layer, spec: LayerSpec): Record<string, Json> {
  const config = baseLayerConfig(layer);
  if (spec.plainBase) {
    delete config.trainable;
    config.dtype = layer.dtype;
  }
  for (const field of spec.fields) {
    const value = readField(layer, field);
    if (field.omitNull && value === null) delete config[field.key];
    else config[field.key] = value;
  }
  return config;
}

function readField(layer: Layer, field: FieldSpec): Json {
  if (field.fixed !== undefined) return field.fixed;
  if (field.read) return field.read(layer);
  const own = (layer as unknown as Record<string, unknown>)[field.prop];
  const raw = own !== undefined ? own : (layer.layerArgs as Record<string, unknown>)[field.prop];
  const value = raw === undefined ? field.fallback ?? null : raw;
  switch (field.kind) {
    case 'initializer': return value === null ? null : serializeInitializer(value as InitializerIdentifier);
    case 'regularizer': return field.prop === 'activityRegularizer' ? serializeRegularizer(layer.activityRegularizer) : serializeRegularizer(value === null ? undefined : getRegularizer(value as RegularizerIdentifier));
    case 'constraint': return serializeConstraint(value === null ? undefined : getConstraint(value as ConstraintIdentifier));
    case 'activation': return typeof value === 'string' ? value : value === null ? 'linear' : serializeActivation(value as ActivationFn);
    case 'layer': return serializeLayer(value as Layer);
    case 'raw': return toJson(value, `${layer.name}.${field.key}`);
  }
}

/** Plain data to JSON; tuples become lists (as Keras writes them). */
export function toJson(value: unknown, what: string): Json {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value.map((v, i) => toJson(v, `${what}[${i}]`));
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number>);
  throw new Error(`Cannot write ${what} into a config: ${String(value)} is not plain data`);
}

function decodeField(field: FieldSpec, value: Json, customObjects: CustomObjects): unknown {
  if (field.toArg) return field.toArg(value);
  switch (field.kind) {
    case 'initializer': return value === null ? undefined : deserializeInitializer(value);
    case 'regularizer': return deserializeRegularizer(value);
    case 'constraint': return deserializeConstraint(value);
    case 'activation': return deserializeActivation(value);
    case 'layer': return deserializeLayer(value, { customObjects });
    case 'raw': return value === null ? undefined : value;
  }
}

const sameJson = (a: Json | undefined, b: Json): boolean => JSON.stringify(a) === JSON.stringify(b);

export function layerFromSpec(spec: LayerSpec, config: JsonObject, customObjects: CustomObjects = {}): Layer {
  const keys = [...BASE_KEYS, 'activity_regularizer', ...spec.fields.map((x) => x.key)];
  checkConfigKeys(`${spec.className} config`, config, keys);
  const options: Record<string, unknown> = {};
  if (config.name !== undefined) options.name = config.name;
  if (config.trainable !== undefined) options.trainable = config.trainable;
  const dtype = deserializeDtype(config.dtype);
  if (dtype !== undefined) options.dtype = dtype;
  if (config.activity_regularizer !== undefined && config.activity_regularizer !== null) options.activityRegularizer = deserializeRegularizer(config.activity_regularizer);
  const positional: unknown[] = [];
  for (const field of spec.fields) {
    const value = config[field.key];
    if (field.fixed !== undefined) {
      if (value !== undefined && !sameJson(value, field.fixed)) {
        throw new Error(`${spec.className} config: ${field.key}=${JSON.stringify(value)} is not supported by keras-jit; only ${JSON.stringify(field.fixed)} is`);
      }
      continue;
    }
    if (value === undefined || field.prop === 'activityRegularizer') continue;
    const arg = decodeField(field, value, customObjects);
    const at = spec.positional.indexOf(field.key);
    if (at >= 0) positional[at] = arg;
    else if (arg !== undefined) options[field.prop] = arg;
  }
  spec.positional.forEach((key, i) => {
    if (!(i in positional)) throw new Error(`${spec.className} config: missing required key '${key}'`);
  });
  if (spec.make) return spec.make(positional, options);
  const Cls = spec.cls as unknown as new (...args: unknown[]) => Layer;
  return new Cls(...positional, options);
}

/** layer.getConfig(): a built-in's spec, or, for a custom class, the base keys (override getConfig to add yours). */
export function getLayerConfig(layer: Layer): Record<string, Json> {
  const spec = specOfClass(layer.constructor as LayerClass);
  if (spec !== undefined) return layerConfigFromSpec(layer, spec);
  return baseLayerConfig(layer);
}

/** Cls.fromConfig(config): a built-in by its spec; a custom class gets `new Cls(config)` (Keras's cls(**config)). */
export function layerFromConfig(cls: LayerClass, config: JsonObject, customObjects: CustomObjects = {}): Layer {
  if (cls === (Layer as unknown as LayerClass)) throw new Error('Layer.fromConfig: call fromConfig on a concrete layer class (layers.Dense.fromConfig), or use layers.deserialize(config)');
  const spec = specOfClass(cls);
  if (spec !== undefined) return layerFromSpec(spec, config, customObjects);
  const Cls = cls as unknown as new (config: Record<string, unknown>) => Layer;
  // The base keys are Keras's; dtype arrives as a DTypePolicy object.
  const { dtype, ...rest } = config;
  const policy = deserializeDtype(dtype);
  return new Cls(policy === undefined ? rest : { ...rest, dtype: policy });
}

/** Keras's serialize_keras_object(layer): module, class_name, config, registered_name (+ build_config when built). */
export function serializeLayer(layer: Layer): JsonObject {
  const cls = layer.constructor as LayerClass;
  const spec = specOfClass(cls);
  const registration = registrationOf(cls);
  if (spec === undefined && registration === undefined) {
    throw new Error(`Cannot serialize layer "${layer.name}" of class ${cls.name}: it is not a built-in Keras layer. Register it with saving.registerKerasSerializable(${cls.name}, { package }) and give it getConfig() / static fromConfig().`);
  }
  const out: Record<string, Json> = {
    module: spec?.module ?? registration!.module,
    class_name: spec?.className ?? cls.name,
    config: layer.getConfig() as JsonObject,
    registered_name: spec !== undefined ? null : registration!.name,
  };
  const build = buildConfigOf(layer, spec);
  if (build !== undefined) out.build_config = build;
  return out;
}

/** Keras records the input shape a layer with its own build() was built with. */
export function buildConfigOf(layer: Layer, spec: LayerSpec | undefined): JsonObject | undefined {
  if (!layer.built || layer.inboundNodes.length === 0 || (spec !== undefined && spec.hasBuild === false)) return undefined;
  const node = layer.inboundNodes[0];
  const shapes = node.inputs.map((t) => [...t.shape] as Json);
  if (spec?.buildShapes) return spec.buildShapes(node);
  return { input_shape: node.inputsIsList ? shapes : shapes[0] };
}

export interface DeserializeOptions {
  readonly customObjects?: CustomObjects;
}

/** Keras's deserialize_keras_object for a layer config. */
export function deserializeLayer(value: Json, options: DeserializeOptions = {}): Layer {
  if (!isJsonObject(value) || typeof value.class_name !== 'string') throw new Error(`layers.deserialize: expected a layer config {"class_name": ..., "config": {...}}, got ${JSON.stringify(value)?.slice(0, 200)}`);
  const config = value.config;
  if (!isJsonObject(config)) throw new Error(`layers.deserialize: layer ${value.class_name} has no "config" object`);
  const registeredName = typeof value.registered_name === 'string' ? value.registered_name : null;
  const found = resolveLayerClass(value.class_name, registeredName, options.customObjects);
  if (isLayerSpec(found)) return layerFromSpec(found, config, options.customObjects);
  const fromConfig = (found as unknown as { fromConfig(c: JsonObject): Layer }).fromConfig;
  return fromConfig.call(found, config);
}
