/**
 * TimeDistributed(layer): the wrapped layer applied to every step of a (batch, steps, ...) input,
 * with one set of weights. The steps are folded into the batch, so the layer runs once on
 * (batch * steps, ...) and its kernels are those of one ordinary call.
 */
import { formatShape, type Shape } from '../../ir/types.js';
import * as ops from '../ops.js';
import { isSymbolicTensor, type SymbolicTensor } from '../ops.js';
import { assertInputCompatibility } from './input-spec.js';
import { currentTrace } from '../trace-context.js';
import { checkLayerOptions } from './layer-options.js';
import { Layer, type CallArgs, type LayerArgs } from './layer.js';

export class TimeDistributed extends Layer {
  readonly layer: Layer;
  constructor(layer: Layer, args: LayerArgs = {}) {
    super(args);
    // Keras passes the input's mask through this layer unchanged.
    this.supportsMasking = true;
    checkLayerOptions<LayerArgs>('TimeDistributed', args, {});
    if (!(layer instanceof Layer)) {
      throw new Error(`Please initialize \`TimeDistributed\` layer with a \`keras.layers.Layer\` instance. Received: ${String(layer)}`);
    }
    this.layer = layer;
    this.inputSpec = { minNdim: 3 };
  }

  private childShape(inputShape: Shape): Shape {
    if (inputShape.length < 3) {
      throw new Error(`\`TimeDistributed\` Layer should be passed an \`input_shape\` with at least 3 dimensions, received: ${formatShape(inputShape)}`);
    }
    return [inputShape[0], ...inputShape.slice(2)];
  }

  override build(inputShape: Shape): void {
    this.layer.maybeBuild(this.childShape(inputShape));
  }

  override call(x: SymbolicTensor, { training }: CallArgs): SymbolicTensor {
    const [batch, steps, ...rest] = x.shape;
    if (steps === null) throw new Error(`TimeDistributed needs a known number of steps; received input shape ${formatShape(x.shape)}`);
    // As Keras, the wrapped layer's call runs directly (its activity regularizer is not applied per step).
    const step = (input: SymbolicTensor): SymbolicTensor => {
      assertInputCompatibility(this.layer.name, this.layer.inputSpec, [input.shape]);
      const y = this.layer.call(input, { training });
      if (!isSymbolicTensor(y)) throw new Error(`TimeDistributed: the wrapped layer "${this.layer.name}" must return one tensor per step; it returned ${Array.isArray(y) ? `${y.length} tensors` : String(y)}.`);
      return y;
    };
    if (batch === null) {
      // A symbolic batch cannot fold into the batch axis; the shape follows from one step (this
      // trace only infers shapes: programs are traced again at concrete batch sizes).
      const first = step(ops.reshape(ops.slice(x, [0, 0, ...rest.map(() => 0)], [-1, 1, ...rest.map(() => -1)]), [null, ...rest]));
      const [, ...outRest] = first.shape;
      return ops.broadcastTo(ops.reshape(first, [null, 1, ...outRest]), [null, steps, ...outRest]);
    }
    const updates = currentTrace().updates;
    const before = updates.length;
    const y = step(ops.reshape(x, [batch * steps, ...rest]));
    if (updates.length > before) {
      // Keras calls the layer once per step, each call updating the statistics it keeps; over the
      // folded batch the statistics would be those of all steps at once, so refuse rather than differ.
      updates.length = before;
      throw new Error(`TimeDistributed: the wrapped layer "${this.layer.name}" (${this.layer.className}) updates statistics of its batch in training, which keras-jit cannot yet compute step by step as Keras does; use it in inference, or freeze it (trainable = false).`);
    }
    const [, ...outRest] = y.shape;
    return ops.reshape(y, [batch, steps, ...outRest]);
  }
}
