/**
 * Strict constructor options for layers: the base LayerArgs keys plus the layer's own, so a
 * misspelt or snake_case option is an error naming the right key instead of being dropped.
 */
import { checkOptions, optionKeys, type OptionKeys } from '../strict-options.js';
import type { LayerArgs } from './layer.js';

const LAYER_ARG_KEYS = optionKeys<LayerArgs>({
  name: true, trainable: true, inputShape: true, batchInputShape: true, batchSize: true, dtype: true, activityRegularizer: true,
});

/** Checks `args` against LayerArgs and the layer's own keys (listed exhaustively over its options type). */
export function checkLayerOptions<T extends LayerArgs>(className: string, args: T | undefined, own: OptionKeys<Omit<T, keyof LayerArgs>>): void {
  checkOptions(args, [...LAYER_ARG_KEYS, ...optionKeys(own)], className);
}
