/**
 * Models to and from Keras 3 configs: Sequential (`layers` starting with its InputLayer,
 * `build_input_shape`) and functional (`layers` with `inbound_nodes` of `__keras_tensor__`
 * arguments, `input_layers`, `output_layers`), as serialize_keras_object(model) writes them.
 */
import type { Shape } from '../../../ir/types.js';
import { InputLayer } from '../../layers/input-layer.js';
import type { KerasTensor } from '../../layers/keras-tensor.js';
import { Layer } from '../../layers/layer.js';
import { Model } from '../../models/model.js';
import { Sequential } from '../../models/sequential.js';
import { specOfClass, type CustomObjects } from './class-registry.js';
import type { LayerClass } from './layer-spec.js';
import { checkConfigKeys, isJsonObject, type Json, type JsonObject } from './json.js';
import { kerasLayerOrder } from './keras-order.js';
import { baseLayerConfig, deserializeLayer, serializeLayer } from './layer-config.js';
import { deserializeDtype, serializeDtype } from './objects.js';
import { keras2ToKeras3 } from '../dialects/keras2-model.js';

const shapeJson = (s: Shape): Json => [...s];

/** InputLayer's config: Keras writes a plain dtype string and no `trainable`. */
export function inputLayerConfig(layer: InputLayer): JsonObject {
  return { batch_shape: shapeJson(layer.batchShape), dtype: layer.dtype, sparse: false, ragged: false, name: layer.name, optional: false };
}
export function inputLayerFromConfig(config: JsonObject): InputLayer {
  checkConfigKeys('InputLayer config', config, ['batch_shape', 'batch_input_shape', 'input_shape', 'dtype', 'sparse', 'ragged', 'name', 'optional', 'trainable', 'input_tensor']);
  for (const k of ['sparse', 'ragged', 'optional']) if (config[k] === true) throw new Error(`InputLayer config: ${k}=true is not supported by keras-jit`);
  // batch_input_shape is how Keras 2 spelled batch_shape.
  const shape = config.batch_shape ?? config.batch_input_shape;
  if (!Array.isArray(shape)) throw new Error(`InputLayer config: expected "batch_shape" to be a list, got ${JSON.stringify(shape)}`);
  const dtype = deserializeDtype(config.dtype);
  return new InputLayer({ batchShape: shape as (number | null)[], ...(typeof config.name === 'string' ? { name: config.name } : {}), ...(dtype ? { dtype: dtype as 'float32' } : {}) });
}

function serializeAnyLayer(layer: Layer): JsonObject {
  if (layer instanceof InputLayer) return { module: 'keras.layers', class_name: 'InputLayer', config: inputLayerConfig(layer), registered_name: null };
  if (layer instanceof Model) return modelToConfig(layer);
  return serializeLayer(layer);
}

function deserializeAnyLayer(value: Json, customObjects: CustomObjects): Layer {
  if (isJsonObject(value) && value.class_name === 'InputLayer' && isJsonObject(value.config)) return inputLayerFromConfig(value.config);
  if (isJsonObject(value) && (value.class_name === 'Sequential' || value.class_name === 'Functional' || value.class_name === 'Model')) return modelFromConfig(value, { customObjects });
  return deserializeLayer(value, { customObjects });
}

/** serialize_keras_object(model), without compile_config (see compileConfigOf). */
export function modelToConfig(model: Model): JsonObject {
  if (model instanceof Sequential) return sequentialToConfig(model);
  if (model.constructor !== Model) throw new Error(`Cannot serialize model "${model.name}" of class ${model.constructor.name}: only Sequential and functional models are supported`);
  return functionalToConfig(model);
}

function sequentialToConfig(model: Sequential): JsonObject {
  const layers: Json[] = [];
  let buildShape: Json = null;
  if (model.isGraphBuilt) {
    const input = model.inputs[0].history.layer as InputLayer;
    layers.push(serializeAnyLayer(input));
    buildShape = shapeJson(input.batchShape);
  }
  for (const layer of model.layers) layers.push(serializeAnyLayer(layer));
  const { name, trainable } = baseLayerConfig(model);
  const config: Record<string, Json> = { name, trainable, dtype: serializeDtype(model.dtype), layers };
  if (buildShape !== null) config.build_input_shape = buildShape;
  const out: Record<string, Json> = { module: 'keras', class_name: 'Sequential', config, registered_name: null };
  if (buildShape !== null) out.build_config = { input_shape: buildShape };
  return out;
}

function functionalToConfig(model: Model): JsonObject {
  const { nodes } = model.topology;
  const layers = kerasLayerOrder(model.inputs, model.outputs);
  const inModel = new Set(nodes);
  // Keras numbers a layer's calls within the model being saved (a shared layer may have calls elsewhere).
  const nodeIndex = (layer: Layer, index: number): number => layer.inboundNodes.slice(0, index).filter((n) => inModel.has(n)).length;
  const history = (t: KerasTensor): Json => [t.history.layer.name, nodeIndex(t.history.layer, t.history.nodeIndex), t.history.tensorIndex];
  const tensorJson = (t: KerasTensor): Json => ({ class_name: '__keras_tensor__', config: { shape: shapeJson(t.shape), dtype: t.dtype, keras_history: history(t) } });
  const entries = layers.map((layer) => {
    const calls = layer.inboundNodes.filter((n) => inModel.has(n) && !(layer instanceof InputLayer));
    const writeNode = specOfClass(layer.constructor as LayerClass)?.writeNode;
    const inbound = calls.map((node) => {
      if (writeNode !== undefined) return writeNode(node, tensorJson);
      const args: Json[] = node.inputsIsList ? [node.inputs.map(tensorJson)] : node.inputs.map(tensorJson);
      const kwargs: Record<string, Json> = { ...(specOfClass(layer.constructor as LayerClass)?.nodeKwargs ?? {}) };
      if (node.training !== undefined) kwargs.training = node.training;
      for (const [k, v] of Object.entries(node.kwargs ?? {})) kwargs[k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] = v as Json;
      return { args, kwargs };
    });
    return { ...serializeAnyLayer(layer), name: layer.name, inbound_nodes: inbound };
  });
  const ends = (ts: readonly KerasTensor[]): Json => (ts.length === 1 ? history(ts[0]) : ts.map(history));
  const config = { name: model.name, trainable: model.trainable, layers: entries, input_layers: ends(model.inputs), output_layers: ends(model.outputs) };
  return { module: 'keras.src.models.functional', class_name: 'Functional', config, registered_name: 'Functional', build_config: { input_shape: null } };
}

export interface ModelFromConfigOptions {
  readonly customObjects?: CustomObjects;
}

/** A Sequential or functional model from serialize_keras_object(model) (or just its `config` with class_name). */
export function modelFromConfig(raw: Json, options: ModelFromConfigOptions = {}): Model {
  // A tf.keras / TF.js config (list-style inbound_nodes, class_name 'Model', keras_version 2.x) is
  // first brought into Keras 3's form, as Keras 3's legacy loader does.
  const value = isKeras2Dialect(raw) ? keras2ToKeras3(raw) as Json : raw;
  if (!isJsonObject(value) || typeof value.class_name !== 'string') throw new Error(`modelFromConfig: expected {"class_name": "Sequential" | "Functional", "config": {...}}, got ${JSON.stringify(value)?.slice(0, 200)}`);
  checkConfigKeys(`${value.class_name} model`, value, ['module', 'class_name', 'config', 'registered_name', 'build_config', 'compile_config']);
  const config = value.config;
  if (!isJsonObject(config)) throw new Error(`modelFromConfig: ${value.class_name} has no "config" object`);
  const customObjects = options.customObjects ?? {};
  if (value.class_name === 'Sequential') return sequentialFromConfig(config, customObjects);
  if (value.class_name === 'Functional' || value.class_name === 'Model') return functionalFromConfig(config, customObjects);
  throw new Error(`modelFromConfig: unknown model class '${value.class_name}'; expected Sequential or Functional`);
}

/** Whether a model config is in the Keras 2 dialect: what only tf.keras (or TF.js) writes. */
function isKeras2Dialect(value: Json): boolean {
  if (!isJsonObject(value)) return false;
  if (isJsonObject(value.model_config)) return true;
  if (typeof value.keras_version === 'string' && /^[12]\./.test(value.keras_version)) return true;
  if (value.class_name === 'Model') return true;
  const config = value.config;
  const layers = Array.isArray(config) ? config : isJsonObject(config) && Array.isArray(config.layers) ? config.layers : [];
  return layers.some((l) => isJsonObject(l) && (
    (Array.isArray(l.inbound_nodes) && l.inbound_nodes.some((n) => Array.isArray(n))) ||
    (isJsonObject(l.config) && l.config.batch_input_shape !== undefined && l.class_name !== 'InputLayer')));
}

function sequentialFromConfig(config: JsonObject, customObjects: CustomObjects): Sequential {
  checkConfigKeys('Sequential config', config, ['name', 'trainable', 'dtype', 'layers', 'build_input_shape']);
  if (!Array.isArray(config.layers)) throw new Error('Sequential config: expected "layers" to be a list');
  const model = new Sequential([], { ...(typeof config.name === 'string' ? { name: config.name } : {}), ...(config.trainable === false ? { trainable: false } : {}) });
  for (const entry of config.layers as Json[]) model.add(deserializeAnyLayer(entry, customObjects));
  if (!model.isGraphBuilt && Array.isArray(config.build_input_shape)) model.build(config.build_input_shape as (number | null)[]);
  return model;
}

type History = readonly [string, number, number];

function functionalFromConfig(config: JsonObject, customObjects: CustomObjects): Model {
  checkConfigKeys('Functional config', config, ['name', 'trainable', 'layers', 'input_layers', 'output_layers']);
  if (!Array.isArray(config.layers)) throw new Error('Functional config: expected "layers" to be a list');
  const created = new Map<string, Layer>();
  const pending: { layer: Layer; nodes: JsonObject[]; done: number }[] = [];
  for (const entry of config.layers as Json[]) {
    if (!isJsonObject(entry)) throw new Error('Functional config: each layer must be an object');
    const { name: entryName, inbound_nodes: inbound, ...serializedLayer } = entry;
    const layer = deserializeAnyLayer(serializedLayer as JsonObject, customObjects);
    if (typeof entryName === 'string' && entryName !== layer.name) throw new Error(`Functional config: layer entry "${entryName}" has config name "${layer.name}"`);
    if (created.has(layer.name)) throw new Error(`Functional config: two layers are named "${layer.name}"`);
    created.set(layer.name, layer);
    const nodes = Array.isArray(inbound) ? inbound as JsonObject[] : [];
    pending.push({ layer, nodes, done: 0 });
  }
  // Outputs of each layer call, by [layer name, node index]; InputLayers have theirs already.
  const outputs = new Map<string, KerasTensor[]>();
  for (const layer of created.values()) if (layer instanceof InputLayer) outputs.set(`${layer.name}/0`, [layer.tensor]);
  const tensorOf = (h: Json): KerasTensor | undefined => {
    const [name, node, index] = h as unknown as History;
    return outputs.get(`${name}/${node}`)?.[index];
  };
  const resolve = (arg: Json): unknown => {
    if (Array.isArray(arg)) { const list = arg.map(resolve); return list.includes(undefined) ? undefined : list; }
    if (isJsonObject(arg) && arg.class_name === '__keras_tensor__' && isJsonObject(arg.config)) return tensorOf(arg.config.keras_history) ?? undefined;
    return arg;
  };
  // Keras's order: a shared layer's later calls may need layers listed after it, so repeat until no call is left.
  let progress = true;
  while (progress) {
    progress = false;
    for (const p of pending) {
      while (p.done < p.nodes.length) {
        const node = p.nodes[p.done];
        if (!isJsonObject(node) || !Array.isArray(node.args)) throw new Error(`Functional config: layer "${p.layer.name}" has an inbound node that is not {"args": [...], "kwargs": {...}}`);
        const args = (node.args as Json[]).map(resolve);
        if (args.includes(undefined)) break;
        const kwargs = isJsonObject(node.kwargs) ? node.kwargs : {};
        const options: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(kwargs)) {
          if (k === 'mask' && v === null) continue; // Keras records mask=None; masks are not propagated here
          const value = resolve(v);
          if (value === undefined) throw new Error(`Functional config: layer "${p.layer.name}" call kwarg '${k}' refers to a tensor not yet computed`);
          options[k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())] = value;
        }
        const callArgs = Object.keys(options).length > 0 ? [...args, options] : args;
        const out = (p.layer as unknown as (...a: unknown[]) => KerasTensor | KerasTensor[])(...callArgs);
        outputs.set(`${p.layer.name}/${p.done}`, Array.isArray(out) ? out : [out]);
        p.done++;
        progress = true;
      }
    }
  }
  const stuck = pending.find((p) => p.done < p.nodes.length);
  if (stuck) throw new Error(`Functional config: cannot compute call ${stuck.done} of layer "${stuck.layer.name}": its inputs are never produced`);
  const ends = (v: Json | undefined, what: string): KerasTensor[] => {
    if (!Array.isArray(v)) throw new Error(`Functional config: expected "${what}" to be a list`);
    const list = (v.length > 0 && !Array.isArray(v[0]) ? [v] : v) as Json[];
    return list.map((h) => {
      const t = tensorOf(h);
      if (t === undefined) throw new Error(`Functional config: ${what} entry ${JSON.stringify(h)} names no computed tensor`);
      return t;
    });
  };
  const ins = ends(config.input_layers, 'input_layers');
  const outs = ends(config.output_layers, 'output_layers');
  const single = (v: Json | undefined) => Array.isArray(v) && v.length > 0 && !Array.isArray(v[0]);
  return new Model({
    inputs: single(config.input_layers) ? ins[0] : ins,
    outputs: single(config.output_layers) ? outs[0] : outs,
    ...(typeof config.name === 'string' ? { name: config.name } : {}),
    ...(config.trainable === false ? { trainable: false } : {}),
  });
}
