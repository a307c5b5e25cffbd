/**
 * Sequential: a stack of single-input layers. Once the input shape is known (from the first
 * layer's inputShape, an Input() added first, build(), or the first call) it is a functional
 * model whose graph grows with each add().
 */
import type { Node } from '../../ir/node.js';
import type { Shape } from '../../ir/types.js';
import type { TraceResult } from '../engine-types.js';
import { isKerasTensor, type KerasTensor } from '../layers/keras-tensor.js';
import { InputLayer } from '../layers/input-layer.js';
import { Layer } from '../layers/layer.js';
import { Model } from './model.js';

export interface SequentialArgs {
  readonly name?: string;
  readonly trainable?: boolean;
}

export class Sequential extends Model {
  private readonly stack: Layer[];
  private inputTensor: KerasTensor | undefined;

  constructor(layers: readonly (Layer | KerasTensor)[] = [], args: SequentialArgs = {}) {
    super({ name: args.name, trainable: args.trainable });
    this.stack = [];
    this.inputTensor = undefined;
    for (const layer of layers) this.add(layer);
  }

  override get className(): string {
    return this.constructor.name;
  }

  /** The layers, without the InputLayer (as Keras 3). */
  override get layers(): Layer[] {
    return [...this.stack];
  }

  override get isSequential(): boolean {
    return true;
  }

  protected override trackedLayers(): Layer[] {
    return this.layers;
  }

  /** Appends a layer (or, first, an Input()); layers must have unique names within the model. */
  add(layer: Layer | KerasTensor): void {
    if (isKerasTensor(layer)) {
      if (!(layer.history.layer instanceof InputLayer) || this.stack.length > 0 || this.inputTensor !== undefined) {
        throw new Error(`Sequential "${this.name}": only an Input() can be added as a tensor, and only as the first element`);
      }
      this.inputTensor = layer;
      return;
    }
    if (!(layer instanceof Layer)) {
      throw new TypeError(`Only instances of \`keras.Layer\` can be added to a Sequential model. Received: ${String(layer)} (of type ${typeof layer})`);
    }
    if (layer instanceof InputLayer) {
      this.add(layer.tensor);
      return;
    }
    if (this.stack.some((l) => l.name === layer.name)) {
      throw new Error(`All layers added to a Sequential model should have unique names. Name "${layer.name}" is already the name of a layer in this model. Update the \`name\` argument to pass a unique name.`);
    }
    this.stack.push(layer);
    if (this.stack.length === 1 && this.inputTensor === undefined && layer.batchInputShape !== undefined) {
      this.inputTensor = new InputLayer({ batchShape: [...layer.batchInputShape], dtype: layer.dtype }).tensor;
    }
    if (this.inputTensor !== undefined) this.rebuild();
  }

  /** Removes the last layer. */
  pop(): Layer {
    const layer = this.stack.pop();
    if (layer === undefined) throw new Error(`There are no layers in the model "${this.name}".`);
    if (this.inputTensor !== undefined) this.rebuild();
    return layer;
  }

  /** Defines the input shape (batch first, None allowed) of a model whose first layer had none. */
  override build(inputShape: Shape | readonly Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    if (this.inputTensor === undefined) {
      this.inputTensor = new InputLayer({ batchShape: [...shape], dtype: this.stack[0]?.dtype }).tensor;
      this.rebuild();
    }
  }

  /** Calls the layers in order on the input; the graph is only as long as the stack. */
  private rebuild(): void {
    const input = this.inputTensor!;
    let x = input;
    for (const layer of this.stack) {
      const calls = layer.inboundNodes;
      // Reuse the call made by an earlier rebuild when it read the same tensor.
      const previous = calls.find((n) => n.inputs.length === 1 && n.inputs[0] === x);
      const out = previous ? previous.outputs : [layer(x)];
      if (out.length !== 1) {
        throw new Error(`All layers in a Sequential model should have a single output tensor. For multi-output layers, use the functional API. Layer "${layer.name}" has ${out.length} outputs.`);
      }
      x = out[0];
    }
    this.setGraph(input, x);
  }

  /** Builds from the concrete input shape first, when no input shape was ever given. */
  override trace(inputs: readonly Node[], training: boolean, seed: Node): TraceResult {
    if (!this.isGraphBuilt) this.build([null, ...inputs[0].shape.slice(1)]);
    return super.trace(inputs, training, seed);
  }
}
