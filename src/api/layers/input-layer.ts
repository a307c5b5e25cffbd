import { input as inputNode } from '../../ir/build.js';
import type { DType, Shape } from '../../ir/types.js';
import { CallNode, KerasTensor } from './keras-tensor.js';
import { Layer } from './layer.js';

export interface InputArgs {
  /** Shape of one sample, without the batch dimension (None entries allowed). */
  readonly shape?: readonly (number | null)[];
  readonly batchSize?: number;
  /** The full shape, batch first; an alternative to shape + batchSize. */
  readonly batchShape?: readonly (number | null)[];
  readonly name?: string;
  readonly dtype?: DType;
}

/** The layer behind `Input()`: it has no inputs; its output is a program input of the model. */
export class InputLayer extends Layer {
  readonly batchShape: Shape;
  readonly tensor: KerasTensor;

  constructor(args: InputArgs = {}) {
    super({ name: args.name, dtype: args.dtype });
    let batchShape: Shape;
    if (args.batchShape !== undefined) batchShape = [...args.batchShape];
    else if (args.shape !== undefined) batchShape = [args.batchSize ?? null, ...args.shape];
    else throw new Error(`InputLayer "${this.name}": you must pass a \`shape\` argument (the shape of one sample, without the batch dimension).`);
    if (!batchShape.every((d) => d === null || (Number.isInteger(d) && d >= 0))) {
      throw new Error(`InputLayer "${this.name}": shape entries must be non-negative integers or null, got [${batchShape.join(', ')}]`);
    }
    this.batchShape = batchShape;
    this.built = true;
    this.tensor = new KerasTensor(inputNode(this.name, batchShape, this.dtype), { layer: this, nodeIndex: 0, tensorIndex: 0 });
    this.inboundNodes.push(new CallNode(this, [], [this.tensor], false, undefined));
  }
}

/** A symbolic model input (Keras's `keras.Input`). */
export function Input(args: InputArgs): KerasTensor {
  return new InputLayer(args).tensor;
}
