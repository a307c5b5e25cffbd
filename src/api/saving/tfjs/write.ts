/**
 * Writes the TF.js layers format: a `model.json` whose manifest points at one `weights.bin`, the way
 * tfjs-node's `file://` handler saves, so `tf.loadLayersModel` reads it back.
 */
import type { JsonObject } from '../dialects/json.js';
import type { NamedWeight } from './read-weights.js';

export interface TfjsWriteOptions {
  /** The weight file name written into the manifest; default `weights.bin`. */
  weightsPath?: string;
  trainingConfig?: JsonObject;
  generatedBy?: string;
}

export interface TfjsArtifacts {
  modelJson: JsonObject;
  weightData: Uint8Array;
}

/** `topology` is a Keras 2 dialect model config (see keras3ToKeras2); weights in the model's order. */
export function writeTfjsModel(topology: JsonObject, weights: readonly NamedWeight[], opts: TfjsWriteOptions = {}): TfjsArtifacts {
  const specs: JsonObject[] = [];
  let total = 0;
  for (const w of weights) {
    const n = w.shape.reduce((a, b) => a * b, 1);
    if (w.values.length !== n) throw new Error(`writeTfjsModel: weight '${w.name}' has ${w.values.length} values but shape [${w.shape.join(', ')}] needs ${n}`);
    const expected = w.dtype === 'float32' ? Float32Array : Int32Array;
    if (!(w.values instanceof expected)) throw new Error(`writeTfjsModel: weight '${w.name}' is declared ${w.dtype} but holds a ${w.values.constructor.name}`);
    specs.push({ name: w.name, shape: [...w.shape], dtype: w.dtype });
    total += 4 * n;
  }
  const weightData = new Uint8Array(total);
  const view = new DataView(weightData.buffer);
  let offset = 0;
  for (const w of weights) {
    for (let i = 0; i < w.values.length; i++, offset += 4) {
      if (w.dtype === 'float32') view.setFloat32(offset, w.values[i], true);
      else view.setInt32(offset, w.values[i], true);
    }
  }
  const modelJson: JsonObject = {
    format: 'layers-model',
    generatedBy: opts.generatedBy ?? 'keras-jit',
    convertedBy: null,
    modelTopology: topology,
    weightsManifest: [{ paths: [opts.weightsPath ?? 'weights.bin'], weights: specs }],
  };
  if (opts.trainingConfig !== undefined) modelJson.trainingConfig = opts.trainingConfig;
  return { modelJson, weightData };
}
