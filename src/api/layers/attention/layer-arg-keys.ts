/** The keys of the base LayerArgs, for the attention layers' strict option checks. */
import type { OptionKeys } from '../../strict-options.js';
import type { LayerArgs } from '../layer.js';

export const LAYER_ARG_KEYS: OptionKeys<LayerArgs> = {
  name: true, trainable: true, inputShape: true, batchInputShape: true, batchSize: true, dtype: true, activityRegularizer: true,
};
