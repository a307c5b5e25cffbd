import { Adam, type AdamOptions } from './adam.js';

/** Keras 3 AdamW: Adam whose decoupled weight decay defaults to 0.004 (the decay itself is the base class's). */
export class AdamW extends Adam {
  constructor(options: AdamOptions = {}) {
    if (options.weightDecay === undefined && 'weightDecay' in options) throw new Error('AdamW: argument `weightDecay` must be a number. Received: weightDecay=undefined');
    super({ ...options, weightDecay: options.weightDecay ?? 0.004 }, 'adamw');
  }
}
