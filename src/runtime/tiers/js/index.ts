import type { KernelTier } from '../tier.js';

/**
 * Generated JavaScript for everything (KERAS_JIT_BACKEND=js): no lowerings of its own, since the
 * JavaScript lowering is every tier's fallback; runs on any engine.
 */
export const jsTier: KernelTier<'js'> = {
  name: 'js',
  unavailable: () => undefined,
  lowerings: [],
};
