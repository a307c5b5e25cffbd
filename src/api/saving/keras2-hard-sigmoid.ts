/**
 * Keras 2's (and TF.js's) hard_sigmoid, clip(0.2x + 0.5, 0, 1), as the activation the Keras 2 dialect
 * names `keras_jit>keras2_hard_sigmoid` (Keras 3's hard_sigmoid is relu6(x + 3) / 6, a different
 * function): registered on first use so tf.keras LSTM/GRU files keep their predictions.
 */
import * as ops from '../ops.js';
import { registry, type ActivationFn } from '../activations.js';
import { KERAS2_HARD_SIGMOID } from './dialects/keras2-objects.js';

export const keras2HardSigmoid: ActivationFn = (x) => ops.clip(ops.add(ops.multiply(x, 0.2), 0.5), 0, 1);

export function ensureKeras2HardSigmoid(): void {
  if (registry.find(KERAS2_HARD_SIGMOID) === undefined) registry.register(KERAS2_HARD_SIGMOID, keras2HardSigmoid);
}
