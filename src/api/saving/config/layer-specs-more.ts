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
import { GRU } from '../../layers/rnn/gru.js';
import { LSTM } from '../../layers/rnn/lstm.js';
import { SimpleRNN } from '../../layers/rnn/simple-rnn.js';
import { UpSampling1D, ZeroPadding1D, Cropping1D } from '../../layers/sequence-reshaping.js';
import { UpSampling2D, ZeroPadding2D, Cropping2D, Permute } from '../../layers/spatial-reshaping.js';
import { TimeDistributed } from '../../layers/time-distributed.js';
import { Identity } from '../../layers/utility-layers.js';
import type { JsonObject } from './json.js';
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
const recurrentFields = (extra: readonly FieldSpec[]): FieldSpec[] => [
  f('units'), act('activation', 'tanh'), ...extra, f('use_bias'),
  init('kernel_initializer', 'glorot_uniform'), init('recurrent_initializer', 'orthogonal'), init('bias_initializer', 'zeros'),
  // Recurrent regularizers, constraints, stateful, unroll and seeds are not implemented (see rnn/recurrent.ts).
  fixed('kernel_regularizer', null), fixed('recurrent_regularizer', null), fixed('bias_regularizer', null), fixed('activity_regularizer', null),
  fixed('kernel_constraint', null), fixed('recurrent_constraint', null), fixed('bias_constraint', null),
  f('dropout'), f('recurrent_dropout'), f('return_sequences'), f('return_state'), f('go_backwards'),
  fixed('stateful', false), fixed('unroll', false), fixed('zero_output_for_mask', false),
];
/** Keras's RNN.call(sequences, initial_state=None, mask=None, training=False) records these. */
const RNN_KWARGS = { mask: null, training: false };
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
  plainSpec(SpatialDropout1D, ['rate'], [f('rate'), opt('seed', null)], { plainBase: true }),
  plainSpec(SpatialDropout2D, ['rate'], [f('rate'), opt('seed', null), CL], { plainBase: true }),
  plainSpec(GaussianNoise, ['stddev'], [f('stddev'), opt('seed', null)]),
  plainSpec(GaussianDropout, ['rate'], [f('rate'), opt('seed', null)]),
  plainSpec(AlphaDropout, ['rate'], [f('rate'), f('noise_shape'), opt('seed', null)]),
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
  plainSpec(GlobalAveragePooling1D, [], [CL, f('keepdims')]),
  plainSpec(GlobalMaxPooling1D, [], [CL, f('keepdims')]),
  plainSpec(UpSampling1D, [], [f('size')]),
  plainSpec(ZeroPadding1D, [], [tuple('padding', 2), CL]),
  plainSpec(Cropping1D, [], [tuple('cropping', 2)]),
  plainSpec(RepeatVector, ['n'], [f('n')]),
  spec(LayerNormalization, [], [f('axis'), f('epsilon'), f('center'), f('scale'), f('rms_scaling'), ...weight('beta', 'zeros'), ...weight('gamma', 'ones')]),
  // Keras's ActivityRegularization writes l1 and l2, not the activity_regularizer they make.
  plainSpec(ActivityRegularization, [], [f('l1'), f('l2'), noActivityRegularizer]),
  spec(TimeDistributed, ['layer'], [f('layer', 'layer')]),
  spec(SimpleRNN, ['units'], recurrentFields([]), { nodeKwargs: RNN_KWARGS }),
  spec(LSTM, ['units'], [...recurrentFields([act('recurrent_activation', 'sigmoid')]), f('unit_forget_bias'), fixed('seed', null)], { nodeKwargs: RNN_KWARGS }),
  spec(GRU, ['units'], [...recurrentFields([act('recurrent_activation', 'sigmoid')]), f('reset_after'), fixed('seed', null)], { nodeKwargs: RNN_KWARGS }),
  spec(MultiHeadAttention, [], [
    f('num_heads'), f('key_dim'), f('value_dim'), f('dropout'), f('use_bias'), f('output_shape'), f('attention_axes'),
    init('kernel_initializer', 'glorot_uniform'), init('bias_initializer', 'zeros'), reg('kernel_regularizer'), reg('bias_regularizer'),
    fixed('activity_regularizer', null), con('kernel_constraint'), con('bias_constraint'), fixed('seed', null), fixed('use_gate', false), fixed('sliding_window', null),
  ], {
    // MultiHeadAttention.build(query_shape, value_shape, key_shape=None): Keras records a shapes_dict.
    buildShapes: (shapes) => Object.fromEntries(shapes.map((s, i) => [MHA_BUILD_NAMES[i], [...s]])) as JsonObject,
  }),
  spec(Attention, [], [f('use_scale'), f('score_mode'), f('dropout'), fixed('seed', null)]),
  spec(AdditiveAttention, [], [f('use_scale'), f('dropout'), fixed('seed', null)]),
];
