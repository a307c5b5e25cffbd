/**
 * Specs of the remaining layers: activations, spatial and sequence reshaping, depthwise and 1D
 * convolutions, pooling 1D, noise, preprocessing, feature normalisations, recurrent layers,
 * attention and wrappers. A key fixed to one value is an option keras-jit does not implement.
 */
import { ReLU, LeakyReLU, PReLU, ELU, Softmax } from '../../layers/activation-layers.js';
import { ActivityRegularization } from '../../layers/activity-regularization.js';
import { Attention, AdditiveAttention } from '../../layers/attention/attention.js';
import { MultiHeadAttention } from '../../layers/attention/multi-head-attention.js';
import { Conv1D } from '../../layers/conv1d.js';
import { DepthwiseConv2D, SeparableConv2D } from '../../layers/depthwise-conv.js';
import { Dot } from '../../layers/dot.js';
import { UnitNormalization, GroupNormalization } from '../../layers/feature-normalization.js';
import { LayerNormalization } from '../../layers/layer-normalization.js';
import { SpatialDropout1D, SpatialDropout2D, GaussianNoise, GaussianDropout, AlphaDropout } from '../../layers/noise-layers.js';
import { MaxPooling1D, AveragePooling1D, GlobalAveragePooling1D, GlobalMaxPooling1D } from '../../layers/pooling1d.js';
import { Rescaling, Normalization } from '../../layers/preprocessing-layers.js';
import { RepeatVector } from '../../layers/repeat-vector.js';
import { Bidirectional } from '../../layers/rnn/bidirectional.js';
import { GRU } from '../../layers/rnn/gru.js';
import { LSTM } from '../../layers/rnn/lstm.js';
import { GRUCell, LSTMCell, SimpleRNNCell } from '../../layers/rnn/cells.js';
import { RNN } from '../../layers/rnn/rnn.js';
import { cellBuildShape, StackedRNNCells } from '../../layers/rnn/stacked.js';
import { SimpleRNN } from '../../layers/rnn/simple-rnn.js';
import { UpSampling1D, ZeroPadding1D, Cropping1D } from '../../layers/sequence-reshaping.js';
import { UpSampling2D, ZeroPadding2D, Cropping2D, Permute } from '../../layers/spatial-reshaping.js';
import { TimeDistributed } from '../../layers/time-distributed.js';
import { Identity } from '../../layers/utility-layers.js';
import type { CallNode, KerasTensor } from '../../layers/keras-tensor.js';
import { Layer } from '../../layers/layer.js';
import type { Json, JsonObject } from './json.js';
import { deserializeLayer, serializeLayer } from './layer-config.js';
import { act, con, f, fixed, init, opt, plainSpec, reg, spec, tuple, weight, type FieldSpec, type LayerSpec } from './layer-spec.js';

const CL = fixed('data_format', 'channels_last');
const noActivityRegularizer = f('activity_regularizer', 'regularizer', { read: () => null, omitNull: true });
const depthwiseFields = [
  tuple('kernel_size', 2), tuple('strides', 2), f('padding'), CL, tuple('dilation_rate', 2), f('depth_multiplier'),
  act('activation'), f('use_bias'), init('depthwise_initializer', 'glorot_uniform'), init('bias_initializer', 'zeros'),
  // keras-jit's depthwise convolutions take no regularizers or constraints yet.
  fixed('depthwise_regularizer', null), fixed('bias_regularizer', null), fixed('activity_regularizer', null),
  fixed('depthwise_constraint', null), fixed('bias_constraint', null),
];
/** Keras's cell configs: a recurrent layer's without the loop's options. */
const cellFields = (extra: readonly FieldSpec[]): FieldSpec[] => [
  f('units'), act('activation', 'tanh'), ...extra, f('use_bias'),
  init('kernel_initializer', 'glorot_uniform'), init('recurrent_initializer', 'orthogonal'), init('bias_initializer', 'zeros'),
  reg('kernel_regularizer'), reg('recurrent_regularizer'), reg('bias_regularizer'),
  con('kernel_constraint'), con('recurrent_constraint'), con('bias_constraint'),
  f('dropout'), f('recurrent_dropout'), opt('seed', null),
];
const recurrentFields = (extra: readonly FieldSpec[]): FieldSpec[] => [
  f('units'), act('activation', 'tanh'), ...extra, f('use_bias'),
  init('kernel_initializer', 'glorot_uniform'), init('recurrent_initializer', 'orthogonal'), init('bias_initializer', 'zeros'),
  reg('kernel_regularizer'), reg('recurrent_regularizer'), reg('bias_regularizer'), f('activity_regularizer', 'regularizer'),
  con('kernel_constraint'), con('recurrent_constraint'), con('bias_constraint'),
  f('dropout'), f('recurrent_dropout'), f('return_sequences'), f('return_state'), f('go_backwards'),
  f('stateful'), f('unroll'), f('zero_output_for_mask'),
];
/** Keras's RNN.call(sequences, initial_state=None, mask=None, training=False) records these. */
const RNN_KWARGS = { mask: null, training: false };
/** A recurrent call: Keras records initial states, when given, as the only keyword `initial_state`. */
function writeRecurrentNode(defaults: JsonObject) {
  return (node: CallNode, tensor: (t: KerasTensor) => Json): { args: Json[]; kwargs: Record<string, Json> } => {
    if (node.inputs.length > 1) return { args: [tensor(node.inputs[0])], kwargs: { initial_state: node.inputs.slice(1).map(tensor) } };
    const kwargs: Record<string, Json> = { ...defaults };
    if (node.training !== undefined) kwargs.training = node.training;
    return { args: [tensor(node.inputs[0])], kwargs };
  };
}
/** Layers whose call(training=False) Keras records as training=False in each node. */
export const TRAINING_KWARGS = { training: false };
/** Layers whose call takes mask=None (and masking is supported): Keras records mask=None. */
export const MASK_KWARGS = { mask: null };
const MHA_BUILD_NAMES = ['query_shape', 'value_shape', 'key_shape'];

export const moreSpecs: readonly LayerSpec[] = [
  plainSpec(ReLU, [], [f('max_value'), f('negative_slope'), f('threshold')]),
  plainSpec(LeakyReLU, [], [f('negative_slope')]),
  spec(PReLU, [], [init('alpha_initializer', 'zeros'), fixed('alpha_regularizer', null), fixed('alpha_constraint', null), f('shared_axes')]),
  plainSpec(ELU, [], [f('alpha')]),
  plainSpec(Softmax, [], [f('axis')]),
  plainSpec(UpSampling2D, [], [tuple('size', 2), CL, f('interpolation')]),
  plainSpec(ZeroPadding2D, [], [f('padding'), CL]),
  plainSpec(Cropping2D, [], [f('cropping'), CL]),
  plainSpec(Permute, ['dims'], [f('dims')]),
  spec(DepthwiseConv2D, ['kernel_size'], depthwiseFields),
  spec(SeparableConv2D, ['filters', 'kernel_size'], [
    f('filters'), ...depthwiseFields, init('pointwise_initializer', 'glorot_uniform'), fixed('pointwise_regularizer', null), fixed('pointwise_constraint', null),
  ]),
  plainSpec(SpatialDropout1D, ['rate'], [f('rate'), opt('seed', null)], { plainBase: true, nodeKwargs: TRAINING_KWARGS }),
  plainSpec(SpatialDropout2D, ['rate'], [f('rate'), opt('seed', null), CL], { plainBase: true, nodeKwargs: TRAINING_KWARGS }),
  plainSpec(GaussianNoise, ['stddev'], [f('stddev'), opt('seed', null)], { nodeKwargs: TRAINING_KWARGS }),
  plainSpec(GaussianDropout, ['rate'], [f('rate'), opt('seed', null)], { nodeKwargs: TRAINING_KWARGS }),
  plainSpec(AlphaDropout, ['rate'], [f('rate'), f('noise_shape'), opt('seed', null)], { nodeKwargs: TRAINING_KWARGS }),
  plainSpec(Identity, [], []),
  plainSpec(Rescaling, ['scale'], [f('scale'), f('offset')]),
  spec(Normalization, [], [f('axis'), f('invert'), opt('mean', null), opt('variance', null)]),
  plainSpec(UnitNormalization, [], [f('axis')]),
  spec(GroupNormalization, [], [
    f('groups'), f('axis'), f('epsilon'), f('center'), f('scale'), init('beta_initializer', 'zeros'), init('gamma_initializer', 'ones'),
    fixed('beta_regularizer', null), fixed('gamma_regularizer', null), fixed('beta_constraint', null), fixed('gamma_constraint', null),
  ]),
  spec(Dot, ['axes'], [f('axes'), f('normalize')]),
  spec(Conv1D, ['filters', 'kernel_size'], [
    f('filters'), tuple('kernel_size', 1), tuple('strides', 1), f('padding'), CL, tuple('dilation_rate', 1), f('groups'),
    act('activation'), f('use_bias'), init('kernel_initializer', 'glorot_uniform'), init('bias_initializer', 'zeros'),
    reg('kernel_regularizer'), reg('bias_regularizer'), f('activity_regularizer', 'regularizer'), con('kernel_constraint'), con('bias_constraint'),
  ]),
  plainSpec(MaxPooling1D, ['pool_size'], [tuple('pool_size', 1), tuple('strides', 1), f('padding'), CL]),
  plainSpec(AveragePooling1D, ['pool_size'], [tuple('pool_size', 1), tuple('strides', 1), f('padding'), CL]),
  plainSpec(GlobalAveragePooling1D, [], [CL, f('keepdims')], { nodeKwargs: MASK_KWARGS }),
  plainSpec(GlobalMaxPooling1D, [], [CL, f('keepdims')]),
  plainSpec(UpSampling1D, [], [f('size')]),
  plainSpec(ZeroPadding1D, [], [tuple('padding', 2), CL]),
  plainSpec(Cropping1D, [], [tuple('cropping', 2)]),
  plainSpec(RepeatVector, ['n'], [f('n')]),
  spec(LayerNormalization, [], [f('axis'), f('epsilon'), f('center'), f('scale'), f('rms_scaling'), ...weight('beta', 'zeros'), ...weight('gamma', 'ones')]),
  // Keras's ActivityRegularization writes l1 and l2, not the activity_regularizer they make.
  plainSpec(ActivityRegularization, [], [f('l1'), f('l2'), noActivityRegularizer]),
  spec(TimeDistributed, ['layer'], [f('layer', 'layer', { read: innerLayerConfig })], { nodeKwargs: MASK_KWARGS }),
  spec(Bidirectional, ['layer'], [
    f('merge_mode', 'raw', { toArg: (v) => v }),
    f('layer', 'layer', { read: (l) => wrappedLayerConfig(l, (l as Bidirectional).forwardLayer) }),
    f('backward_layer', 'layer', { read: (l) => wrappedLayerConfig(l, (l as Bidirectional).backwardLayer) }),
  ], { nodeKwargs: MASK_KWARGS, writeNode: writeRecurrentNode(MASK_KWARGS) }),
  spec(SimpleRNN, ['units'], recurrentFields([]), { nodeKwargs: RNN_KWARGS, writeNode: writeRecurrentNode(RNN_KWARGS) }),
  spec(LSTM, ['units'], [...recurrentFields([act('recurrent_activation', 'sigmoid')]), f('unit_forget_bias'), opt('seed', null)], { nodeKwargs: RNN_KWARGS, writeNode: writeRecurrentNode(RNN_KWARGS) }),
  spec(GRU, ['units'], [...recurrentFields([act('recurrent_activation', 'sigmoid')]), f('reset_after'), opt('seed', null)], { nodeKwargs: RNN_KWARGS, writeNode: writeRecurrentNode(RNN_KWARGS) }),
  // Keras's RNN config nests its cell's config under `cell`.
  spec(RNN, ['cell'], [
    f('cell', 'layer', { read: (l) => rnnCellConfig(l as RNN) }),
    f('return_sequences'), f('return_state'), f('go_backwards'), f('stateful'), f('unroll'), f('zero_output_for_mask'),
  ], { nodeKwargs: RNN_KWARGS, writeNode: writeRecurrentNode(RNN_KWARGS) }),
  spec(StackedRNNCells, ['cells'], [
    f('cells', 'raw', { read: (l) => (l as StackedRNNCells).cells.map((c) => cellConfig(c, l.name)), toArg: (v) => (v as Json[]).map((c) => deserializeLayer(c)) }),
  ]),
  spec(SimpleRNNCell, ['units'], cellFields([])),
  spec(LSTMCell, ['units'], [...cellFields([act('recurrent_activation', 'sigmoid')]), f('unit_forget_bias')]),
  spec(GRUCell, ['units'], [...cellFields([act('recurrent_activation', 'sigmoid')]), f('reset_after')]),
  spec(MultiHeadAttention, [], [
    f('num_heads'), f('key_dim'), f('value_dim'), f('dropout'), f('use_bias'), f('output_shape'), f('attention_axes'),
    init('kernel_initializer', 'glorot_uniform'), init('bias_initializer', 'zeros'), reg('kernel_regularizer'), reg('bias_regularizer'),
    fixed('activity_regularizer', null), con('kernel_constraint'), con('bias_constraint'), opt('seed', null), fixed('use_gate', false), fixed('sliding_window', null),
  ], {
    // MultiHeadAttention.build(query_shape, value_shape, key_shape=None): Keras records the shapes passed.
    buildShapes: (node) => ({ shapes_dict: Object.fromEntries(node.inputs.slice(0, mhaHasKey(node) ? 3 : 2).map((t, i) => [MHA_BUILD_NAMES[i], [...t.shape]])) as JsonObject }),
    writeNode: writeMhaNode,
  }),
  spec(Attention, [], [f('use_scale'), f('score_mode'), f('dropout'), opt('seed', null)], { buildShapes: attentionBuild, writeNode: writeAttentionNode }),
  spec(AdditiveAttention, [], [f('use_scale'), f('dropout'), opt('seed', null)], { buildShapes: attentionBuild, writeNode: writeAttentionNode }),
];

/** An RNN's cell: a Layer has a config; a plain object cell cannot be written. */
function rnnCellConfig(rnn: RNN): JsonObject {
  return cellConfig(rnn.cell, rnn.name);
}

/** A cell's config, with the step input shape it was built on as Keras's build_config. */
function cellConfig(cell: object, owner: string): JsonObject {
  if (!(cell instanceof Layer)) throw new Error(`Cannot serialize layer "${owner}": its cell is not a Layer, so it has no config. Make the cell a registered Layer (saving.registerKerasSerializable) to save it.`);
  const config: Record<string, unknown> = { ...serializeLayer(cell) };
  const shape = cellBuildShape(cell);
  if (shape !== undefined && config.build_config === undefined) config.build_config = { input_shape: [...shape] };
  return config as JsonObject;
}

/** One of Bidirectional's layers: built on the wrapper's input shape, which Keras records as its build_config. */
function wrappedLayerConfig(wrapper: Layer, inner: Layer): JsonObject {
  const config: Record<string, unknown> = { ...serializeLayer(inner) };
  const node = wrapper.inboundNodes[0];
  if (inner.built && node !== undefined && config.build_config === undefined) config.build_config = { input_shape: [...node.inputs[0].shape] };
  return config as JsonObject;
}

/** TimeDistributed's inner layer, with the per-step build shape Keras records for it once built. */
function innerLayerConfig(layer: Layer): JsonObject {
  const inner = (layer as TimeDistributed).layer;
  const config: Record<string, unknown> = { ...serializeLayer(inner) };
  const node = layer.inboundNodes[0];
  if (inner.built && node !== undefined && config.build_config === undefined) {
    const shape = node.inputs[0].shape;
    config.build_config = { input_shape: [shape[0], ...shape.slice(2)] };
  }
  return config as JsonObject;
}

/** keras-jit's MultiHeadAttention call node holds [query, value, key (value when not given), mask?]. */
function mhaHasKey(node: CallNode): boolean {
  return node.inputs[2] !== node.inputs[1];
}
function writeMhaNode(node: CallNode, tensor: (t: KerasTensor) => Json): { args: Json[]; kwargs: Record<string, Json> } {
  const k = (node.kwargs ?? {}) as { hasMask?: boolean; useCausalMask?: boolean; returnAttentionScores?: boolean };
  const kwargs: Record<string, Json> = {};
  if (mhaHasKey(node)) kwargs.key = tensor(node.inputs[2]);
  if (k.hasMask) kwargs.attention_mask = tensor(node.inputs[3]);
  if (k.useCausalMask) kwargs.use_causal_mask = true;
  if (k.returnAttentionScores) kwargs.return_attention_scores = true;
  if (node.training !== undefined) kwargs.training = node.training;
  return { args: [tensor(node.inputs[0]), tensor(node.inputs[1])], kwargs };
}
/** keras-jit's Attention call node holds [query, value, key (value when not given), queryMask?, valueMask?]. */
type AttentionNodeKwargs = { hasKey?: boolean; hasQueryMask?: boolean; hasValueMask?: boolean; useCausalMask?: boolean; returnAttentionScores?: boolean };
function attentionBuild(node: CallNode): JsonObject {
  const k = (node.kwargs ?? {}) as AttentionNodeKwargs;
  return { input_shape: node.inputs.slice(0, k.hasKey ? 3 : 2).map((t) => [...t.shape]) };
}
function writeAttentionNode(node: CallNode, tensor: (t: KerasTensor) => Json): { args: Json[]; kwargs: Record<string, Json> } {
  const k = (node.kwargs ?? {}) as AttentionNodeKwargs;
  const kwargs: Record<string, Json> = {};
  let next = 3;
  if (k.hasQueryMask || k.hasValueMask) {
    const q = k.hasQueryMask ? tensor(node.inputs[next++]) : null;
    const v = k.hasValueMask ? tensor(node.inputs[next++]) : null;
    kwargs.mask = [q, v];
  }
  if (k.useCausalMask) kwargs.use_causal_mask = true;
  if (k.returnAttentionScores) kwargs.return_attention_scores = true;
  if (node.training !== undefined) kwargs.training = node.training;
  return { args: [node.inputs.slice(0, k.hasKey ? 3 : 2).map(tensor)], kwargs };
}
