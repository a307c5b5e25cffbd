/**
 * What the 1-D window layers (Conv1D, the 1-D poolings) share: Keras's single-integer arguments,
 * and running a 2-D window primitive on a height-1 image, so the conv2d and pooling kernels (and
 * their gradients) serve sequences unchanged.
 */
import type { Padding2D, Pair } from '../../ir/attrs.js';
import type { Dim } from '../../ir/types.js';
import * as ops from '../ops.js';
import type { SymbolicTensor } from '../ops.js';
import { padding2d } from './conv-utils.js';

/** Keras's standardize_tuple(value, 1, name): an int or a list of one int, > 0 (>= 0 with allowZero). */
export function toSingle(what: string, value: number | readonly number[], allowZero = false): number {
  const single = typeof value === 'number' ? value : Array.isArray(value) && value.length === 1 ? value[0] : undefined;
  if (single === undefined || !Number.isInteger(single)) {
    throw new Error(`The \`${what}\` argument must be a tuple of 1 integers. Received ${what}=${JSON.stringify(value)}`);
  }
  if (allowZero ? single < 0 : single <= 0) {
    throw new Error(`The \`${what}\` argument must be a tuple of 1 integers. Received ${what}=${JSON.stringify(value)}, including values {${single}} that do not satisfy \`value ${allowZero ? '>= 0' : '> 0'}\``);
  }
  return single;
}

/** Keras's standardize_tuple(value, 2, name, allow_zero=True): an int or a pair of ints >= 0. */
export function toMargins(what: string, value: number | readonly number[]): Pair {
  const pair = typeof value === 'number' ? [value, value] : value;
  if (!Array.isArray(pair) || pair.length !== 2 || !pair.every((v) => Number.isInteger(v))) {
    throw new Error(`The \`${what}\` argument must be a tuple of 2 integers. Received ${what}=${JSON.stringify(value)}`);
  }
  if (pair.some((v) => v < 0)) {
    throw new Error(`The \`${what}\` argument must be a tuple of 2 integers. Received ${what}=${JSON.stringify(value)}, including values {${[...new Set(pair.filter((v) => v < 0))].join(', ')}} that do not satisfy \`value >= 0\``);
  }
  return [pair[0], pair[1]];
}

/** (batch, steps, channels) as (batch, 1, steps, channels). */
export function asImage(x: SymbolicTensor): SymbolicTensor {
  const [b, steps, c] = x.shape;
  return ops.reshape(x, [b, 1, steps, c]);
}

/** (batch, 1, steps, channels) back to (batch, steps, channels). */
export function fromImage(y: SymbolicTensor): SymbolicTensor {
  const [b, , steps, c] = y.shape;
  return ops.reshape(y, [b, steps, c]);
}

/** The 2-D padding of a 1-D window over `steps`: nothing above or below the single row. */
export function padding1d(layer: string, mode: 'valid' | 'same', steps: Dim, window: number, stride: number, dilation = 1): Padding2D {
  return padding2d(layer, mode, 1, steps, [1, window], [1, stride], [1, dilation]);
}
