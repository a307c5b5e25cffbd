/** The `layers` namespace: `import { layers } from 'keras-jit'`. */
export { Layer, LayerCallError, type LayerArgs, type CallArgs, type CallOptions, type CallKwargs, type AddWeightArgs } from './layer.js';
export { Variable } from './variable.js';
export { KerasTensor, CallNode, type KerasHistory } from './keras-tensor.js';
export type { InputSpec } from './input-spec.js';
export { Input, InputLayer, type InputArgs } from './input-layer.js';
export { Dense, Activation, type DenseArgs } from './core.js';
export { Flatten, Reshape } from './reshaping.js';
export { Dropout, type DropoutArgs } from './dropout.js';
export { Conv2D, Conv2DTranspose, type ConvArgs, type Conv2DArgs, type ConvTransposeArgs } from './conv.js';
export { MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D, type Pooling2DArgs, type GlobalPooling2DArgs } from './pooling.js';
export { BatchNormalization, type BatchNormalizationArgs } from './normalization.js';
export { Embedding, type EmbeddingArgs } from './embedding.js';
export {
  Concatenate, Add, Subtract, Multiply, Average, Maximum, Minimum, type ConcatenateArgs,
  concatenate, add, subtract, multiply, average, maximum, minimum,
} from './merge.js';
export { ReLU, LeakyReLU, PReLU, ELU, Softmax, type ReLUArgs, type LeakyReLUArgs, type PReLUArgs, type ELUArgs, type SoftmaxArgs, type SoftmaxCallOptions } from './activation-layers.js';
export { UpSampling2D, ZeroPadding2D, Cropping2D, Permute, type UpSampling2DArgs, type ZeroPadding2DArgs, type Cropping2DArgs, type MarginsArg } from './spatial-reshaping.js';
export { DepthwiseConv2D, SeparableConv2D, type DepthwiseConv2DArgs, type SeparableConv2DArgs } from './depthwise-conv.js';
export { SpatialDropout1D, SpatialDropout2D, GaussianNoise, GaussianDropout, AlphaDropout, type NoiseArgs } from './noise-layers.js';
export { Lambda, Identity, type LambdaArgs, type LambdaFunction } from './utility-layers.js';
export { Rescaling, Normalization, type RescalingArgs, type NormalizationArgs } from './preprocessing-layers.js';
export { UnitNormalization, GroupNormalization, type UnitNormalizationArgs, type GroupNormalizationArgs } from './feature-normalization.js';
export { Dot, type DotArgs } from './dot.js';
export { Conv1D, type Conv1DArgs, type Padding1DMode } from './conv1d.js';
export { MaxPooling1D, AveragePooling1D, GlobalAveragePooling1D, GlobalMaxPooling1D, type Pooling1DArgs, type GlobalPooling1DArgs } from './pooling1d.js';
export { UpSampling1D, ZeroPadding1D, Cropping1D, type UpSampling1DArgs, type ZeroPadding1DArgs, type Cropping1DArgs } from './sequence-reshaping.js';
export { RepeatVector } from './repeat-vector.js';
export { Masking, type MaskingArgs } from './masking.js';
export { LayerNormalization, type LayerNormalizationArgs } from './layer-normalization.js';
export { ActivityRegularization, type ActivityRegularizationArgs } from './activity-regularization.js';
export { TimeDistributed } from './time-distributed.js';
export { SimpleRNN, type SimpleRNNArgs } from './rnn/simple-rnn.js';
export { LSTM, type LSTMArgs } from './rnn/lstm.js';
export { GRU, type GRUArgs } from './rnn/gru.js';
export { Bidirectional, type BidirectionalArgs, type MergeMode } from './rnn/bidirectional.js';
export type { RecurrentArgs } from './rnn/recurrent.js';
export { MultiHeadAttention, type MultiHeadAttentionArgs, type MultiHeadAttentionCallOptions } from './attention/multi-head-attention.js';
export { Attention, AdditiveAttention, type AttentionArgs, type AdditiveAttentionArgs, type AttentionCallOptions } from './attention/attention.js';
export { serialize, deserialize } from '../saving/config/public.js';
export { RNN, type RNNArgs } from './rnn/rnn.js';
export { SimpleRNNCell, LSTMCell, GRUCell, type RNNCell, type CellArgs } from './rnn/cells.js';
export { StackedRNNCells } from './rnn/stacked.js';
