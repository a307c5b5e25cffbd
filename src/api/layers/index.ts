/** The `layers` namespace: `import { layers } from 'keras-jit'`. */
export { Layer, LayerCallError, type LayerArgs, type CallArgs, type CallOptions, type AddWeightArgs } from './layer.js';
export { Variable } from './variable.js';
export { KerasTensor, CallNode, type KerasHistory } from './keras-tensor.js';
export type { InputSpec } from './input-spec.js';
export { Input, InputLayer, type InputArgs } from './input-layer.js';
export { Dense, Activation, type DenseArgs } from './core.js';
export { Flatten, Reshape } from './reshaping.js';
export { Dropout, type DropoutArgs } from './dropout.js';
export { Conv2D, Conv2DTranspose, type ConvArgs, type ConvTransposeArgs } from './conv.js';
export { MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D, type Pooling2DArgs, type GlobalPooling2DArgs } from './pooling.js';
export { BatchNormalization, type BatchNormalizationArgs } from './normalization.js';
export { Embedding, type EmbeddingArgs } from './embedding.js';
export {
  Concatenate, Add, Subtract, Multiply, Average, Maximum, Minimum, type ConcatenateArgs,
  concatenate, add, subtract, multiply, average, maximum, minimum,
} from './merge.js';
