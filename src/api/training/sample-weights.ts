/**
 * Sample weights as fit() and evaluate() take them: one array for every output (Keras replicates
 * a per-sample array over the outputs), one per output (a list in output order or a record by
 * name), or, for fit() on a single output, a classWeight map turned into per-sample weights.
 */
import { formatShape } from '../../ir/types.js';
import { isNumericArray, isTensor, tensor, Tensor, type NestedArray } from '../tensor.js';
import { rowSize } from './data.js';
import type { DataLike } from './types.js';

/** Weights of one class index each: `{ 0: 1, 1: 5 }` (Keras's class_weight dict). */
export type ClassWeight = Readonly<Record<number, number>>;

function asWeightTensor(w: Tensor | NestedArray, what: string): Tensor {
  if (isTensor(w)) return w.dtype === 'float32' ? w : new Tensor(Float32Array.from(w.data, Number), w.shape, 'float32');
  if (typeof w === 'number' || typeof w === 'boolean') throw new Error(`${what}: expected an array of one weight per sample, got a single number`);
  return tensor(w, undefined, 'float32');
}

function isPerSample(t: Tensor): boolean {
  return t.shape.length === 1 || (t.shape.length === 2 && t.shape[1] === 1);
}

function isPerOutputList(w: DataLike, outputs: number): w is readonly (Tensor | NestedArray)[] {
  if (!Array.isArray(w) || w.length === 0) return false;
  const list = w as readonly unknown[];
  if (list.every(isTensor)) return true;
  return outputs > 1 && list.length === outputs && list.every((e) => isTensor(e) || Array.isArray(e) || isNumericArray(e));
}

/** One float32 weight tensor per output, from what the user passed as `sampleWeight`. */
export function toSampleWeights(sampleWeight: DataLike, outputNames: readonly string[], fn: string): Tensor[] {
  const what = `${fn}: sampleWeight`;
  if (isPerOutputList(sampleWeight, outputNames.length)) {
    if (sampleWeight.length !== outputNames.length) throw new Error(`${what}: one array per output is expected; the model has ${outputNames.length} output(s) but ${sampleWeight.length} array(s) were given`);
    return sampleWeight.map((w, i) => asWeightTensor(w, `${what} ${i}`));
  }
  if (isTensor(sampleWeight) || Array.isArray(sampleWeight) || ArrayBuffer.isView(sampleWeight)) {
    const one = asWeightTensor(sampleWeight as Tensor | NestedArray, what);
    if (one.shape.length === 0) throw new Error(`${what}: expected one weight per sample, got a scalar`);
    if (outputNames.length > 1 && !isPerSample(one)) {
      throw new Error(`${what}: for a model with multiple outputs, a single sampleWeight array must have one scalar weight per sample (shape (num_samples,)); got shape ${formatShape(one.shape)}. Pass one array per output for non-scalar weights.`);
    }
    return outputNames.map(() => one);
  }
  if (typeof sampleWeight !== 'object' || sampleWeight === null) throw new Error(`${what}: expected an array of one weight per sample, one array per output, or a record by output name; got ${sampleWeight === null ? 'null' : typeof sampleWeight}`);
  const record = sampleWeight as Readonly<Record<string, Tensor | NestedArray>>;
  const unknown = Object.keys(record).filter((k) => !outputNames.includes(k));
  if (unknown.length > 0) throw new Error(`${what}: unknown key(s) ${unknown.map((k) => `'${k}'`).join(', ')}; expected output names ${outputNames.map((n) => `'${n}'`).join(', ')}`);
  return outputNames.map((n) => {
    const w = record[n];
    if (w === undefined) throw new Error(`${what}: no weights for output '${n}'; give every output its weights (a weight of 1 leaves a sample as it is)`);
    return asWeightTensor(w, `${what} '${n}'`);
  });
}

/**
 * Keras's class_weight_to_sample_weights: each sample weighs what its class does (1 when the map
 * does not name it). The class is the argmax of one-hot labels, else the rounded label.
 */
export function classWeightsToSampleWeights(classWeight: ClassWeight, ys: readonly Tensor[], fn: string): Tensor {
  if (typeof classWeight !== 'object' || classWeight === null || Array.isArray(classWeight)) {
    throw new Error(`${fn}: classWeight must be an object mapping class indices to weights, e.g. { 0: 1, 1: 5 }`);
  }
  for (const [k, v] of Object.entries(classWeight)) {
    if (!/^\d+$/.test(k)) throw new Error(`${fn}: classWeight keys must be class indices (integers >= 0), got '${k}'`);
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${fn}: classWeight[${k}] must be a finite number, got ${String(v)}`);
  }
  if (ys.length !== 1) throw new Error(`${fn}: classWeight is only supported for models with a single output; this one has ${ys.length}`);
  const y = ys[0];
  const n = y.shape[0];
  const row = rowSize(y);
  const oneHot = y.shape.length > 1 && y.shape[y.shape.length - 1] !== 1;
  const weights = new Float32Array(n);
  for (let r = 0; r < n; r++) {
    let label = Math.round(Number(y.data[r * row]));
    if (oneHot) {
      label = 0;
      for (let k = 1; k < row; k++) if (y.data[r * row + k] > y.data[r * row + label]) label = k;
    }
    weights[r] = classWeight[label] ?? 1;
  }
  return new Tensor(weights, [n], 'float32');
}
