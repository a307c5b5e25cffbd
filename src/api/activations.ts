/**
 * Keras activations by name (snake_case or camelCase) or as functions, each a composition of
 * `ops`, so the compiler fuses them into the producing kernel.
 */
import * as ops from './ops.js';
import type { SymbolicTensor } from './ops.js';
import { Registry, snakeCaseSpelling } from './registry.js';

export type ActivationFn = (x: SymbolicTensor) => SymbolicTensor;
export type ActivationIdentifier = string | ActivationFn | null | undefined;

export const linear: ActivationFn = (x) => x;
export const relu: ActivationFn = (x) => ops.relu(x);
export const relu6: ActivationFn = (x) => ops.relu6(x);
export const sigmoid: ActivationFn = (x) => ops.sigmoid(x);
export const tanh: ActivationFn = (x) => ops.tanh(x);
export const softmax: ActivationFn = (x) => ops.softmax(x, -1);
export const logSoftmax: ActivationFn = (x) => ops.logSoftmax(x, -1);
export const elu: ActivationFn = (x) => ops.elu(x);
export const selu: ActivationFn = (x) => ops.selu(x);
/** Keras's default `approximate=False`: the exact erf form. */
export const gelu: ActivationFn = (x) => ops.gelu(x, false);
export const silu: ActivationFn = (x) => ops.silu(x);
export const swish = silu;
export const softplus: ActivationFn = (x) => ops.softplus(x);
export const softsign: ActivationFn = (x) => ops.softsign(x);
export const leakyRelu: ActivationFn = (x) => ops.leakyRelu(x, 0.2);
export const exponential: ActivationFn = (x) => ops.exp(x);
export const hardSigmoid: ActivationFn = (x) => ops.hardSigmoid(x);
/**
 * Keras 2 and TensorFlow.js `hard_sigmoid`, clip(0.2x + 0.5, 0, 1), which Keras 3 redefined; files from
 * them name it `keras_jit>keras2_hard_sigmoid` (the saving dialect) so their LSTM/GRU predict as written.
 */
export const keras2HardSigmoid: ActivationFn = (x) => ops.clip(ops.add(ops.multiply(x, 0.2), 0.5), 0, 1);

/** Keras's snake_case names; camelCase spellings find them too. */
export const registry = new Registry<ActivationFn>('activation', {
  spelling: snakeCaseSpelling,
  unknown: (identifier, r) =>
    `Could not interpret activation function identifier: '${identifier}'. Valid names are: ${r.names().join(', ')} (or their camelCase forms)`,
});
for (const [name, fn] of Object.entries({
  linear, relu, relu6, sigmoid, tanh, softmax, log_softmax: logSoftmax, elu, selu, gelu, silu, swish,
  softplus, softsign, leaky_relu: leakyRelu, exponential, hard_sigmoid: hardSigmoid,
})) registry.register(name, fn);
registry.register('keras_jit>keras2_hard_sigmoid', keras2HardSigmoid);

/** The Keras name of an activation function (for summaries and configs), or its JS name. */
export function serialize(fn: ActivationFn): string {
  return registry.nameOf(fn) ?? (fn.name || 'custom');
}

/** Resolves an identifier; null/undefined is linear. Unknown names list the valid ones. */
export function get(identifier: ActivationIdentifier): ActivationFn {
  if (identifier === null || identifier === undefined) return linear;
  if (typeof identifier === 'function') return identifier;
  if (typeof identifier !== 'string') throw new TypeError(`Could not interpret activation identifier: ${String(identifier)}`);
  return registry.get(identifier);
}
