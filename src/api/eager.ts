/**
 * Runs a graph function once on concrete tensors. Keras's loss and metric functions also work
 * eagerly on arrays (`keras.losses.mse(a, b)`); keras-jit has no eager runtime, so such a call
 * traces the function on inputs of the tensors' shapes and runs it as a one-off program.
 */
import * as b from '../ir/build.js';
import type { Node } from '../ir/node.js';
import { concrete } from '../ir/types.js';
import { Session } from '../runtime/session.js';
import { isTensor, tensor, Tensor, type NestedArray, type TensorData } from './tensor.js';

export type TensorLike = Tensor | NestedArray;

export function toTensor(x: TensorLike): Tensor {
  return isTensor(x) ? x : tensor(x as NestedArray);
}

/** True for IR nodes (symbolic values), false for tensors and JS arrays. */
export function isNode(x: unknown): x is Node {
  return typeof x === 'object' && x !== null && 'op' in x && 'key' in x && 'inputs' in x;
}

/**
 * Evaluates `fn` on `args`. A throwaway session is used so the call neither enlarges the user's
 * program cache nor advances its random stream.
 */
export function evalEager(fn: (...xs: Node[]) => Node, args: readonly TensorLike[]): Tensor {
  const tensors = args.map(toTensor);
  const inputs = tensors.map((t, i) => b.input(`arg${i}`, t.shape, t.dtype));
  const out = fn(...inputs);
  const session = new Session({ seed: 0 });
  const program = session.program('eager', () => ({ name: 'eager', inputs, graph: { outputs: [out], updates: [] } }));
  tensors.forEach((t, i) => program.input(i).set(t.data));
  session.run(program);
  const data = program.output(0).slice() as TensorData;
  return new Tensor(data, concrete(out.shape, 'eager result'), out.dtype);
}
