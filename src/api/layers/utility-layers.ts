/** Lambda (a function of `ops` as a layer) and Identity. */
import * as ops from '../ops.js';
import type { SymbolicTensor } from '../ops.js';
import { Layer, type LayerArgs } from './layer.js';

export type LambdaFunction = (inputs: SymbolicTensor | readonly SymbolicTensor[], args: Readonly<Record<string, unknown>>) => SymbolicTensor | readonly SymbolicTensor[];

export interface LambdaArgs extends LayerArgs {
  /** Extra keyword arguments passed to the function on every call. */
  readonly arguments?: Readonly<Record<string, unknown>>;
}

/**
 * Wraps a function written with `ops` (no weights). A JavaScript function cannot be saved in a
 * config, so a model with a Lambda layer cannot be serialized; subclass Layer instead when the
 * model has to be saved.
 */
export class Lambda extends Layer {
  readonly fn: LambdaFunction;
  /** Keras's `arguments` (a function object already owns that name). */
  readonly lambdaArguments: Readonly<Record<string, unknown>>;
  constructor(fn: LambdaFunction, args: LambdaArgs = {}) {
    super(args);
    if (typeof fn !== 'function') {
      throw new TypeError(`Layer "${this.name}" (Lambda): expected a function of ops as its first argument. Received: ${String(fn)}`);
    }
    this.fn = fn;
    this.lambdaArguments = args.arguments ?? {};
  }
  override call(inputs: SymbolicTensor | readonly SymbolicTensor[]): SymbolicTensor | readonly SymbolicTensor[] {
    return this.fn(inputs, this.lambdaArguments);
  }
}

/** Returns its input unchanged (a placeholder in a model, as Keras's Identity). */
export class Identity extends Layer {
  override call(inputs: SymbolicTensor | readonly SymbolicTensor[]): SymbolicTensor | readonly SymbolicTensor[] {
    return Array.isArray(inputs) ? inputs.map((x: SymbolicTensor) => ops.convertToTensor(x)) : inputs;
  }
}
