/**
 * Functional graph wiring between the dialects. Keras 2 writes a call as a list of
 * `[layer_name, node_index, tensor_index, kwargs]`; Keras 3 as `{args, kwargs}` whose tensors are
 * `__keras_tensor__` objects carrying `keras_history`. Mirrors deserialize_node in
 * keras/src/models/functional.py: one input is passed bare, several as one list, kwargs from the last.
 */
import { type Json, type JsonObject, describe, expectArray, expectObject, isObject } from './json.js';

export interface TensorInfo {
  dtype: string;
  /**
   * Known for InputLayer outputs only: the Keras 2 dialect does not record other tensors' shapes, and
   * Keras 3 recomputes them when it calls the layer (deserialize_node reads only keras_history).
   */
  shape: Json[] | null;
}

function isRef(v: Json): v is [string, number, number] {
  return Array.isArray(v) && v.length === 3 && typeof v[0] === 'string' && typeof v[1] === 'number' && typeof v[2] === 'number';
}

export type ShapeOf = (layer: string, node: number, tensor: number) => Json[] | undefined;

function kerasTensor(ref: [string, number, number], info: Map<string, TensorInfo>, shapeOf?: ShapeOf): JsonObject {
  const t = info.get(ref[0]);
  const shape = t?.shape ?? shapeOf?.(...ref) ?? null;
  return { class_name: '__keras_tensor__', config: { shape, dtype: t?.dtype ?? 'float32', keras_history: [...ref] } };
}

export function nodeToKeras3(node: Json, info: Map<string, TensorInfo>, where: string, shapeOf?: ShapeOf): JsonObject {
  if (isObject(node)) return node; // already Keras 3
  const entries = expectArray(node, where);
  if (entries.length === 0) throw new Error(`${where}: an inbound node with no inputs`);
  let kwargs: JsonObject = {};
  const tensors = entries.map((e, i) => {
    const entry = expectArray(e, `${where} input ${i}`);
    if ((entry.length !== 3 && entry.length !== 4) || typeof entry[0] !== 'string' || typeof entry[1] !== 'number' || typeof entry[2] !== 'number') {
      throw new Error(`${where} input ${i}: expected [layer_name, node_index, tensor_index, kwargs], got ${describe(entry)}`);
    }
    if (!info.has(entry[0])) throw new Error(`${where}: inbound layer '${entry[0]}' is not defined before it is used`);
    if (entry.length === 4) {
      kwargs = expectObject(entry[3], `${where} input ${i} kwargs`);
      for (const [k, v] of Object.entries(kwargs)) {
        // Keras 2 wrote tensor-valued call arguments (mask=...) in a form Keras 3 dropped.
        if (Array.isArray(v) || isObject(v)) throw new Error(`${where}: call argument '${k}' holds a tensor reference, which the Keras 2 dialect reader does not support`);
      }
    }
    return kerasTensor([entry[0], entry[1], entry[2]], info, shapeOf);
  });
  return { args: [tensors.length === 1 ? tensors[0] : tensors], kwargs };
}

function collectRefs(v: Json, out: [string, number, number][], where: string): void {
  if (isObject(v)) {
    if (v.class_name === '__keras_tensor__' && isObject(v.config)) {
      const h = v.config.keras_history;
      if (!Array.isArray(h) || !isRef(h)) throw new Error(`${where}: keras_history should be [layer_name, node_index, tensor_index], got ${describe(h)}`);
      out.push([h[0], h[1], h[2]]);
      return;
    }
    throw new Error(`${where}: call argument ${describe(v)} cannot be written in the Keras 2 dialect`);
  }
  if (Array.isArray(v)) for (const x of v) collectRefs(x, out, where);
  else throw new Error(`${where}: a non-tensor positional call argument ${describe(v)} cannot be written in the Keras 2 dialect`);
}

export function nodeToKeras2(node: Json, where: string): Json[] {
  if (Array.isArray(node)) return node; // already Keras 2
  const obj = expectObject(node, where);
  const kwargs = expectObject(obj.kwargs ?? {}, `${where}.kwargs`);
  for (const [k, v] of Object.entries(kwargs)) {
    if (Array.isArray(v) || isObject(v)) throw new Error(`${where}: call argument '${k}' is a tensor or structure, which the Keras 2 dialect cannot hold`);
  }
  const refs: [string, number, number][] = [];
  collectRefs(expectArray(obj.args ?? [], `${where}.args`), refs, where);
  return refs.map((r) => [...r, kwargs]);
}

/** `input_layers` / `output_layers`: Keras 3 writes one tensor flat, Keras 2 always as a list of them. */
export function refsToKeras3(v: Json | undefined, where: string): Json {
  const list = expectArray(v, where);
  if (isRef(list)) return list;
  const refs = list.map((r, i) => {
    if (!isRef(r)) throw new Error(`${where}[${i}]: expected [layer_name, node_index, tensor_index], got ${describe(r)}`);
    return r;
  });
  return refs.length === 1 ? refs[0] : refs;
}

export function refsToKeras2(v: Json | undefined, where: string): Json[] {
  if (isObject(v)) throw new Error(`${where}: named (dict) model inputs or outputs cannot be written in the Keras 2 dialect`);
  const list = expectArray(v, where);
  if (isRef(list)) return [list];
  return list.map((r, i) => {
    if (!isRef(r)) throw new Error(`${where}[${i}]: expected [layer_name, node_index, tensor_index], got ${describe(r)}`);
    return r;
  });
}
