/**
 * The TensorFlow.js layers-format `model.json`: checks its shape and returns what the loader needs.
 * Two writers: tfjs-layers (`modelTopology` is the model config) and the Python converter
 * (`modelTopology` is `{model_config, training_config}`, weights sharded as `group1-shard1of2.bin`).
 */
import { type Json, type JsonObject, describe, expectArray, expectObject, isObject } from '../dialects/json.js';

export type TfjsDtype = 'float32' | 'int32';
export type TfjsQuantizedDtype = 'uint8' | 'uint16' | 'float16';

export interface TfjsQuantization {
  dtype: TfjsQuantizedDtype;
  /** uint8 / uint16 only: value = quantized * scale + min (tfjs-core io_utils decodeWeight). */
  scale?: number;
  min?: number;
}

export interface TfjsWeightSpec {
  name: string;
  shape: number[];
  dtype: TfjsDtype;
  quantization?: TfjsQuantization;
  /** tfjs-layers marks optimizer state `group: "optimizer"` (save with includeOptimizer). */
  group?: string;
}

export interface TfjsWeightGroup {
  paths: string[];
  weights: TfjsWeightSpec[];
}

export interface TfjsModelJson {
  format: string | undefined;
  generatedBy: string | undefined;
  convertedBy: string | undefined;
  /** The Keras 2 dialect model config. */
  topology: JsonObject;
  trainingConfig: JsonObject | undefined;
  weightsManifest: TfjsWeightGroup[];
}

const QUANTIZED = new Set(['uint8', 'uint16', 'float16']);

function parseSpec(v: Json, where: string): TfjsWeightSpec {
  const s = expectObject(v, where);
  if (typeof s.name !== 'string') throw new Error(`${where}: a weight needs a string "name", got ${describe(s.name)}`);
  const at = `${where} ('${s.name}')`;
  const shape = expectArray(s.shape, `${at}.shape`);
  if (!shape.every((d) => typeof d === 'number' && Number.isInteger(d) && d >= 0)) throw new Error(`${at}: shape must be non-negative integers, got ${describe(shape)}`);
  if (s.dtype !== 'float32' && s.dtype !== 'int32') {
    throw new Error(`${at}: unknown or unsupported weight dtype ${describe(s.dtype)}; layers-model weights are 'float32' or 'int32'`);
  }
  const spec: TfjsWeightSpec = { name: s.name, shape: shape as number[], dtype: s.dtype };
  if (typeof s.group === 'string') spec.group = s.group;
  if (s.quantization !== undefined && s.quantization !== null) {
    const q = expectObject(s.quantization, `${at}.quantization`);
    if (typeof q.dtype !== 'string' || !QUANTIZED.has(q.dtype)) {
      throw new Error(`${at}: unknown quantization dtype ${describe(q.dtype)}; supported quantization dtypes are 'uint8', 'uint16' and 'float16'`);
    }
    const dtype = q.dtype as TfjsQuantizedDtype;
    if (dtype === 'float16') {
      if (spec.dtype !== 'float32') throw new Error(`${at}: float16 quantization only applies to float32 weights, not ${spec.dtype}`);
      spec.quantization = { dtype };
    } else {
      if (typeof q.scale !== 'number' || typeof q.min !== 'number') {
        throw new Error(`${at}: ${dtype} quantization needs numeric "scale" and "min", got scale=${describe(q.scale)}, min=${describe(q.min)}`);
      }
      spec.quantization = { dtype, scale: q.scale, min: q.min };
    }
  }
  return spec;
}

/** Validates a parsed model.json; `file` names it in errors. */
export function parseModelJson(modelJson: unknown, file = 'model.json'): TfjsModelJson {
  const mj = expectObject(modelJson, file);
  const format = typeof mj.format === 'string' ? mj.format : undefined;
  if (format !== undefined && format !== 'layers-model') {
    throw new Error(`${file}: format is '${format}', not 'layers-model'${format === 'graph-model' ? ' (a graph model: load it with tf.loadGraphModel, it has no Keras layers)' : ''}`);
  }
  if (!isObject(mj.modelTopology)) throw new Error(`${file}: not a TensorFlow.js layers model: "modelTopology" is missing or not an object`);
  const nested = isObject(mj.modelTopology.model_config);
  const topology = nested ? (mj.modelTopology.model_config as JsonObject) : mj.modelTopology;
  if (typeof topology.class_name !== 'string') throw new Error(`${file}: modelTopology has no "class_name"; expected a Keras model config`);
  const tc = nested ? mj.modelTopology.training_config : mj.trainingConfig;
  const manifest = expectArray(mj.weightsManifest ?? [], `${file}: weightsManifest`).map((g, i) => {
    const group = expectObject(g, `${file}: weightsManifest[${i}]`);
    const paths = expectArray(group.paths, `${file}: weightsManifest[${i}].paths`);
    if (!paths.every((p) => typeof p === 'string')) throw new Error(`${file}: weightsManifest[${i}].paths must be file names`);
    const weights = expectArray(group.weights, `${file}: weightsManifest[${i}].weights`).map((w, j) => parseSpec(w, `${file}: weightsManifest[${i}].weights[${j}]`));
    return { paths: paths as string[], weights };
  });
  return {
    format,
    generatedBy: typeof mj.generatedBy === 'string' ? mj.generatedBy : undefined,
    convertedBy: typeof mj.convertedBy === 'string' ? mj.convertedBy : undefined,
    topology,
    trainingConfig: isObject(tc) ? tc : undefined,
    weightsManifest: manifest,
  };
}
