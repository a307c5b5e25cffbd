/**
 * The functional API's bookkeeping: a KerasTensor is the symbolic output of a layer called on
 * other KerasTensors (batch dimension None); a CallNode records one such call. Models are the
 * graphs of CallNodes between their inputs and outputs; they re-run those calls when traced.
 */
import type { Node } from '../../ir/node.js';
import { formatShape, type DType, type Shape } from '../../ir/types.js';
import type { Layer } from './layer.js';

export interface KerasHistory {
  readonly layer: Layer;
  /** Which call of the layer made this tensor (index into `layer.inboundNodes`). */
  readonly nodeIndex: number;
  /** Which output of that call. */
  readonly tensorIndex: number;
}

export class KerasTensor {
  constructor(
    /** The node traced at build time, with the batch dimension None: it carries the shape and dtype. */
    readonly node: Node,
    readonly history: KerasHistory,
  ) {}
  get shape(): Shape {
    return this.node.shape;
  }
  get dtype(): DType {
    return this.node.dtype;
  }
  get name(): string {
    return this.history.layer.name;
  }
  toString(): string {
    return `<KerasTensor shape=${formatShape(this.shape)}, dtype=${this.dtype}, name=${this.name}>`;
  }
}

export function isKerasTensor(x: unknown): x is KerasTensor {
  return x instanceof KerasTensor;
}

/** One call of a layer in the functional graph. */
export class CallNode {
  constructor(
    readonly layer: Layer,
    readonly inputs: readonly KerasTensor[],
    readonly outputs: readonly KerasTensor[],
    /** Whether the layer received a list (Concatenate) rather than one tensor. */
    readonly inputsIsList: boolean,
    /** A learning phase fixed at call time (`layer(x, { training: false })`); undefined follows the trace. */
    readonly training: boolean | undefined,
    /** The call's non-tensor keyword arguments, repeated when a model is traced (see Layer.splitCallArguments). */
    readonly kwargs?: Readonly<Record<string, unknown>>,
  ) {}
}
