/**
 * TensorFlow.js models for the saving tests, and their saved artifacts in memory: `model.json` as the
 * file handler would write it plus the weight bytes.
 */
import * as tf from '@tensorflow/tfjs';

export interface SavedTfjs {
  modelJson: Record<string, unknown>;
  weightData: Uint8Array;
  weightSpecs: tf.io.WeightsManifestEntry[];
}

export async function saveTfjs(model: tf.LayersModel): Promise<SavedTfjs> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (a) => {
    artifacts = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  const a = artifacts!;
  const data = a.weightData!;
  const buffer = Array.isArray(data) ? tf.io.concatenateArrayBuffers(data) : data;
  return {
    modelJson: {
      modelTopology: a.modelTopology,
      format: a.format,
      generatedBy: a.generatedBy,
      convertedBy: a.convertedBy,
      weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs }],
    },
    weightData: new Uint8Array(buffer),
    weightSpecs: a.weightSpecs!,
  };
}

/** The architectures tests/fixtures/keras_dialects.py builds with Keras 3, built here with TF.js. */
export function buildTfjsModels(): Record<string, tf.LayersModel> {
  const seqDense = tf.sequential({ name: 'seq_dense' });
  seqDense.add(tf.layers.dense({ units: 3, activation: 'relu', inputShape: [4] }));
  seqDense.add(tf.layers.dense({ units: 2, activation: 'softmax' }));

  const a = tf.input({ shape: [3], name: 'a' });
  const b = tf.input({ shape: [2], name: 'b' });
  const c = tf.layers.concatenate().apply([a, b]) as tf.SymbolicTensor;
  const multiInput = tf.model({ inputs: [a, b], outputs: tf.layers.dense({ units: 1 }).apply(c) as tf.SymbolicTensor, name: 'multi_input' });

  const conv = tf.sequential({ name: 'conv' });
  conv.add(tf.layers.conv2d({ filters: 3, kernelSize: 3, activation: 'relu', inputShape: [8, 8, 2] }));
  conv.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  conv.add(tf.layers.batchNormalization({ betaInitializer: 'randomNormal', gammaInitializer: 'randomUniform', movingMeanInitializer: 'randomNormal', movingVarianceInitializer: 'ones' }));
  conv.add(tf.layers.flatten());
  conv.add(tf.layers.dense({ units: 2 }));

  const embLstm = tf.sequential({ name: 'emb_lstm' });
  embLstm.add(tf.layers.embedding({ inputDim: 10, outputDim: 4, inputLength: 5 }));
  embLstm.add(tf.layers.lstm({ units: 3, biasInitializer: 'randomNormal' }));
  embLstm.add(tf.layers.dense({ units: 2 }));

  const gru = tf.sequential({ name: 'gru' });
  gru.add(tf.layers.gru({ units: 4, returnSequences: true, inputShape: [5, 3], biasInitializer: 'randomNormal' }));
  gru.add(tf.layers.gru({ units: 2 }));
  return { seq_dense: seqDense, multi_input: multiInput, conv, emb_lstm: embLstm, gru };
}

/** Deterministic inputs for each architecture (integers below 10 for the embedding). */
export function inputsFor(name: string): tf.Tensor[] {
  const fill = (shape: number[], seed: number, int = false): tf.Tensor => {
    const n = shape.reduce((x, y) => x * y, 1);
    const v = Array.from({ length: n }, (_, i) => {
      const r = ((Math.sin(seed * 12.9898 + i * 78.233) * 43758.5453) % 1 + 1) % 1;
      return int ? Math.floor(r * 10) : 4 * r - 2;
    });
    return tf.tensor(v, shape, int ? 'int32' : 'float32');
  };
  switch (name) {
    case 'seq_dense': return [fill([3, 4], 1)];
    case 'multi_input': return [fill([3, 3], 2), fill([3, 2], 3)];
    case 'conv': return [fill([2, 8, 8, 2], 4)];
    case 'emb_lstm': return [fill([3, 5], 5, true)];
    case 'gru': return [fill([2, 5, 3], 6)];
    default: throw new Error(`no inputs for ${name}`);
  }
}
