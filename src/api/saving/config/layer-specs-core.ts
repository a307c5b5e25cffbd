/** Specs of the core layers: Dense, Conv2D, pooling, BatchNormalization, Embedding, merges, reshaping. */
import { Activation, Dense } from '../../layers/core.js';
import { Conv2D, Conv2DTranspose } from '../../layers/conv.js';
import { Dropout } from '../../layers/dropout.js';
import { Embedding } from '../../layers/embedding.js';
import { InputLayer } from '../../layers/input-layer.js';
import { Masking } from '../../layers/masking.js';
import { Add, Average, Concatenate, Maximum, Minimum, Multiply, Subtract } from '../../layers/merge.js';
import { BatchNormalization } from '../../layers/normalization.js';
import { AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D, MaxPooling2D } from '../../layers/pooling.js';
import { Flatten, Reshape } from '../../layers/reshaping.js';
import { act, f, fixed, init, opt, plainSpec, reg, con, spec, tuple, weight, type LayerSpec } from './layer-spec.js';

const CL = fixed('data_format', 'channels_last');
const conv2dFields = [
  f('filters'), tuple('kernel_size', 2), tuple('strides', 2), f('padding'), CL, tuple('dilation_rate', 2),
];
const convWeights = [
  act('activation'), f('use_bias'), init('kernel_initializer', 'glorot_uniform'), init('bias_initializer', 'zeros'),
  reg('kernel_regularizer'), reg('bias_regularizer'), f('activity_regularizer', 'regularizer'), con('kernel_constraint'), con('bias_constraint'),
];

export const coreSpecs: readonly LayerSpec[] = [
  // InputLayer is written by model-config.ts (its config has no trainable / DTypePolicy); this entry only names the class.
  plainSpec(InputLayer, [], []),
  spec(Dense, ['units'], [
    f('units'), act('activation'), f('use_bias'), init('kernel_initializer', 'glorot_uniform'), init('bias_initializer', 'zeros'),
    reg('kernel_regularizer'), reg('bias_regularizer'), con('kernel_constraint'), con('bias_constraint'), fixed('quantization_config', null),
  ]),
  plainSpec(Activation, ['activation'], [act('activation')]),
  // Keras records training=False (Dropout.call's default) in each functional node.
  plainSpec(Dropout, ['rate'], [f('rate'), f('noise_shape'), opt('seed', null)], { nodeKwargs: { training: false } }),
  // Keras 3.15's Flatten records its build shape (observed in Keras's own configs).
  spec(Flatten, [], [CL]),
  plainSpec(Reshape, ['target_shape'], [f('target_shape')]),
  spec(Conv2D, ['filters', 'kernel_size'], [...conv2dFields, f('groups'), ...convWeights]),
  spec(Conv2DTranspose, ['filters', 'kernel_size'], [...conv2dFields, tuple('output_padding', 2), ...convWeights]),
  plainSpec(MaxPooling2D, ['pool_size'], [tuple('pool_size', 2), tuple('strides', 2), f('padding'), CL]),
  plainSpec(AveragePooling2D, ['pool_size'], [tuple('pool_size', 2), tuple('strides', 2), f('padding'), CL]),
  plainSpec(GlobalAveragePooling2D, [], [CL, f('keepdims')]),
  plainSpec(GlobalMaxPooling2D, [], [CL, f('keepdims')]),
  spec(BatchNormalization, [], [
    f('axis'), f('momentum'), f('epsilon'), f('center'), f('scale'),
    init('beta_initializer', 'zeros'), init('gamma_initializer', 'ones'), init('moving_mean_initializer', 'zeros'), init('moving_variance_initializer', 'ones'),
    // keras-jit's BatchNormalization takes no regularizers or constraints yet.
    fixed('beta_regularizer', null), fixed('gamma_regularizer', null), fixed('beta_constraint', null), fixed('gamma_constraint', null),
    fixed('synchronized', false), fixed('renorm', false), fixed('renorm_clipping', null), fixed('renorm_momentum', 0.99),
  ], { nodeKwargs: { mask: null } }),
  spec(Embedding, ['input_dim', 'output_dim'], [
    f('input_dim'), f('output_dim'), ...weight('embeddings', 'uniform'), f('activity_regularizer', 'regularizer'), f('mask_zero'), fixed('quantization_config', null),
  ]),
  plainSpec(Masking, [], [f('mask_value')]),
  spec(Concatenate, [], [f('axis')]),
  spec(Add, [], []), spec(Subtract, [], []), spec(Multiply, [], []), spec(Average, [], []), spec(Maximum, [], []), spec(Minimum, [], []),
];
