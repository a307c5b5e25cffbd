/** Dot: the batch-wise dot product of two tensors along given axes (Keras's batch_dot). */
import { formatShape, type Shape } from '../../ir/types.js';
import * as ops from '../ops.js';
import type { SymbolicTensor } from '../ops.js';
import { Layer, type LayerArgs } from './layer.js';

export interface DotArgs extends LayerArgs {
  /** L2-normalise both inputs along their dot axes first (the result is then the cosine similarity). */
  readonly normalize?: boolean;
}

export class Dot extends Layer {
  readonly axes: number | readonly [number, number];
  readonly normalize: boolean;

  constructor(axes: number | readonly [number, number], args: DotArgs = {}) {
    super(args);
    if (typeof axes !== 'number') {
      if (!Array.isArray(axes)) throw new TypeError(`Invalid type for argument \`axes\`: it should be a list or an int. Received: axes=${String(axes)}`);
      if (axes.length !== 2) throw new Error(`Invalid format for argument \`axes\`: it should contain two elements. Received: axes=${JSON.stringify(axes)}`);
      if (!axes.every(Number.isInteger)) throw new Error(`Invalid format for argument \`axes\`: list elements should be integers. Received: axes=${JSON.stringify(axes)}`);
    } else if (!Number.isInteger(axes)) {
      throw new TypeError(`Invalid type for argument \`axes\`: it should be a list or an int. Received: axes=${axes}`);
    }
    this.axes = typeof axes === 'number' ? axes : [axes[0], axes[1]];
    this.normalize = args.normalize ?? false;
  }

  private resolvedAxes(shapes: readonly Shape[]): [number, number] {
    const pick = (a: number, rank: number) => (a < 0 ? ((a % rank) + rank) % rank : a);
    const [a, b] = typeof this.axes === 'number' ? [this.axes, this.axes] : this.axes;
    return [pick(a, shapes[0].length), pick(b, shapes[1].length)];
  }

  override build(inputShape: Shape | readonly Shape[]): void {
    const shapes = inputShape as readonly Shape[];
    if (!Array.isArray(shapes[0]) || shapes.length !== 2) {
      throw new Error(`A \`Dot\` layer should be called on a list of 2 inputs. Received: input_shape=${Array.isArray(shapes[0]) ? `[${shapes.map(formatShape).join(', ')}]` : formatShape(inputShape as Shape)}`);
    }
    const [a0, a1] = this.resolvedAxes(shapes);
    const [s1, s2] = shapes;
    if (s1[a0] !== s2[a1]) {
      throw new Error(`Incompatible input shapes: axis values ${s1[a0] ?? 'None'} (at axis ${a0}) != ${s2[a1] ?? 'None'} (at axis ${a1}). Full input shapes: ${formatShape(s1)}, ${formatShape(s2)}`);
    }
  }

  override call(inputs: readonly SymbolicTensor[]): SymbolicTensor {
    if (!Array.isArray(inputs) || inputs.length !== 2) {
      throw new Error(`A \`Dot\` layer should be called on exactly 2 inputs. Received: ${Array.isArray(inputs) ? inputs.length : 1} input(s)`);
    }
    let [x, y] = inputs;
    const axes = this.resolvedAxes([x.shape, y.shape]);
    if (this.normalize) {
      x = ops.normalize(x, { axis: axes[0] });
      y = ops.normalize(y, { axis: axes[1] });
    }
    return batchDot(x, y, axes);
  }
}

/** Keras's batch_dot: contracts x's axis a0 with y's axis a1, sample by sample. */
function batchDot(x: SymbolicTensor, y: SymbolicTensor, [a0, a1]: [number, number]): SymbolicTensor {
  if (x.shape.length < 2 || y.shape.length < 2) {
    throw new Error(`Cannot do batch_dot on inputs with rank < 2. Received inputs with shapes ${formatShape(x.shape)} and ${formatShape(y.shape)}.`);
  }
  if (a0 === 0 || a1 === 0) {
    throw new Error('Cannot perform batch_dot over axis 0. If your inputs are not batched, add a dummy batch dimension to your inputs using keras.ops.expand_dims(x, 0)');
  }
  // x to (batch, rest of x, k), y to (batch, k, rest of y); one batched matmul; then unfold.
  const xRest = x.shape.filter((_, i) => i !== 0 && i !== a0);
  const yRest = y.shape.filter((_, i) => i !== 0 && i !== a1);
  const xt = ops.transpose(x, [0, ...x.shape.map((_, i) => i).filter((i) => i !== 0 && i !== a0), a0]);
  const yt = ops.transpose(y, [0, a1, ...y.shape.map((_, i) => i).filter((i) => i !== 0 && i !== a1)]);
  const size = (s: Shape) => s.reduce<number>((p, d) => p * (d ?? 1), 1);
  const batch = x.shape[0];
  const k = x.shape[a0];
  const product = ops.matmul(ops.reshape(xt, [batch, size(xRest), k]), ops.reshape(yt, [batch, k, size(yRest)]));
  const outShape = [batch, ...xRest, ...yRest];
  // Two rank-2 inputs give (batch, 1), as in Keras.
  return ops.reshape(product, outShape.length === 1 ? [batch, 1] : outShape);
}
