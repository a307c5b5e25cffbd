/**
 * Keras 2 / TF.js class names that Keras 3 spells differently. Keras 3 registers most of the old
 * aliases (`Convolution2D`, `MaxPool2D`, ...) as the same classes; we canonicalise them so the rest of
 * keras-jit sees one name per class. Classes Keras 3 removed cannot be mapped and are an error.
 */
export const KERAS2_CLASS_ALIASES: Readonly<Record<string, string>> = {
  Convolution1D: 'Conv1D',
  Convolution2D: 'Conv2D',
  Convolution3D: 'Conv3D',
  Convolution2DTranspose: 'Conv2DTranspose',
  Convolution3DTranspose: 'Conv3DTranspose',
  Deconvolution2D: 'Conv2DTranspose',
  Deconvolution3D: 'Conv3DTranspose',
  SeparableConvolution1D: 'SeparableConv1D',
  SeparableConvolution2D: 'SeparableConv2D',
  DepthwiseConvolution2D: 'DepthwiseConv2D',
  MaxPool1D: 'MaxPooling1D',
  MaxPool2D: 'MaxPooling2D',
  MaxPool3D: 'MaxPooling3D',
  AvgPool1D: 'AveragePooling1D',
  AvgPool2D: 'AveragePooling2D',
  AvgPool3D: 'AveragePooling3D',
  GlobalMaxPool1D: 'GlobalMaxPooling1D',
  GlobalMaxPool2D: 'GlobalMaxPooling2D',
  GlobalMaxPool3D: 'GlobalMaxPooling3D',
  GlobalAvgPool1D: 'GlobalAveragePooling1D',
  GlobalAvgPool2D: 'GlobalAveragePooling2D',
  GlobalAvgPool3D: 'GlobalAveragePooling3D',
  // TF.js and tf.keras 2 call a functional model `Model`; Keras 3 writes `Functional`.
  Model: 'Functional',
};

/** Keras 2 classes with no Keras 3 counterpart, with what to use instead. */
export const KERAS2_REMOVED_CLASSES: Readonly<Record<string, string>> = {
  CuDNNLSTM: 'LSTM (Keras 3 picks the fused kernel itself)',
  CuDNNGRU: 'GRU with reset_after=true',
  Merge: 'the merge layers (Add, Concatenate, ...)',
  ThresholdedReLU: 'ReLU with a threshold',
  LocallyConnected1D: 'nothing in Keras 3 (removed)',
  LocallyConnected2D: 'nothing in Keras 3 (removed)',
  DenseFeatures: 'nothing in Keras 3 (feature columns were removed)',
};

export function keras3ClassName(keras2: string, where: string): string {
  const removed = KERAS2_REMOVED_CLASSES[keras2];
  if (removed !== undefined) {
    throw new Error(`${where}: the Keras 2 layer class '${keras2}' does not exist in Keras 3 and cannot be converted; use ${removed}`);
  }
  return KERAS2_CLASS_ALIASES[keras2] ?? keras2;
}

/** Keras 3 → Keras 2 / TF.js: only the names whose spelling differs. */
export function keras2ClassName(keras3: string): string {
  return keras3 === 'Functional' ? 'Model' : keras3;
}
