/** Layers that merge several tensors: Concatenate, Add, Multiply, ... and their function forms. */
import { formatShape, type Dim, type Shape } from '../../ir/types.js';
import * as ops from '../ops.js';
import type { SymbolicTensor } from '../ops.js';
import type { KerasTensor } from './keras-tensor.js';
import type { CallMask } from './masks.js';
import { Layer, type LayerArgs } from './layer.js';

function requireList(layer: Layer, inputs: readonly SymbolicTensor[] | SymbolicTensor): readonly SymbolicTensor[] {
  if (!Array.isArray(inputs)) {
    throw new Error(`Layer "${layer.name}" (${layer.className}): a merge layer should be called on a list of inputs. Received: inputs=${formatShape((inputs as SymbolicTensor).shape)} (not a list of tensors)`);
  }
  if (inputs.length < 1) throw new Error(`Layer "${layer.name}" (${layer.className}): a merge layer should be called on a list of at least 1 input. Got 0 inputs.`);
  return inputs;
}

/** Keras's elementwise merge shape rule: equal sizes, 1 broadcasts, None matches anything. */
function elementwiseShape(layer: Layer, shapes: readonly Shape[]): void {
  const rank = Math.max(...shapes.map((s) => s.length));
  for (let k = 1; k < shapes.length; k++) {
    const [a, b] = [shapes[0], shapes[k]];
    for (let i = 1; i <= rank; i++) {
      const x: Dim = a.at(-i) ?? 1;
      const y: Dim = b.at(-i) ?? 1;
      if (x !== null && y !== null && x !== 1 && y !== 1 && x !== y) {
        throw new Error(`Layer "${layer.name}" (${layer.className}): Inputs have incompatible shapes. Received shapes ${formatShape(a)} and ${formatShape(b)}`);
      }
    }
  }
}

abstract class ElementwiseMerge extends Layer {
  protected abstract combine(a: SymbolicTensor, b: SymbolicTensor): SymbolicTensor;
  override call(inputs: readonly SymbolicTensor[]): SymbolicTensor {
    const xs = requireList(this, inputs);
    elementwiseShape(this, xs.map((x) => x.shape));
    return this.finish(xs.slice(1).reduce((acc, x) => this.combine(acc, x), xs[0]), xs.length);
  }
  protected finish(y: SymbolicTensor, _n: number): SymbolicTensor {
    return y;
  }
  /** Keras's base Merge.compute_mask: a step is kept where any input keeps it; no mask unless every input has one. */
  override computeMask(_inputs: readonly SymbolicTensor[], mask: CallMask): SymbolicTensor | undefined {
    if (!Array.isArray(mask)) return undefined;
    const masks = mask as readonly (SymbolicTensor | undefined)[];
    if (!masks.every((m): m is SymbolicTensor => m !== undefined)) return undefined;
    const present = masks as readonly SymbolicTensor[];
    return present.slice(1).reduce((acc, m) => ops.logicalOr(acc, m), present[0]);
  }
}

export class Add extends ElementwiseMerge {
  protected combine(a: SymbolicTensor, b: SymbolicTensor) { return ops.add(a, b); }
}
export class Subtract extends ElementwiseMerge {
  override call(inputs: readonly SymbolicTensor[]): SymbolicTensor {
    const xs = requireList(this, inputs);
    if (xs.length !== 2) throw new Error(`Layer "${this.name}" (Subtract): a Subtract layer should be called on exactly 2 inputs. Received: ${xs.length} inputs`);
    return super.call(xs);
  }
  protected combine(a: SymbolicTensor, b: SymbolicTensor) { return ops.subtract(a, b); }
}
export class Multiply extends ElementwiseMerge {
  protected combine(a: SymbolicTensor, b: SymbolicTensor) { return ops.multiply(a, b); }
}
export class Average extends ElementwiseMerge {
  protected combine(a: SymbolicTensor, b: SymbolicTensor) { return ops.add(a, b); }
  protected override finish(y: SymbolicTensor, n: number) { return ops.divide(y, n); }
}
export class Maximum extends ElementwiseMerge {
  protected combine(a: SymbolicTensor, b: SymbolicTensor) { return ops.maximum(a, b); }
}
export class Minimum extends ElementwiseMerge {
  protected combine(a: SymbolicTensor, b: SymbolicTensor) { return ops.minimum(a, b); }
}

export interface ConcatenateArgs extends LayerArgs {
  readonly axis?: number;
}

export class Concatenate extends Layer {
  readonly axis: number;
  constructor(args: ConcatenateArgs = {}) {
    super(args);
    this.axis = args.axis ?? -1;
  }
  override call(inputs: readonly SymbolicTensor[]): SymbolicTensor {
    const xs = requireList(this, inputs);
    const rank = xs[0].shape.length;
    const axis = this.axis < 0 ? this.axis + rank : this.axis;
    const ok = axis >= 0 && axis < rank && xs.every((x) => x.shape.length === rank && x.shape.every((d, i) => i === axis || d === null || xs[0].shape[i] === null || d === xs[0].shape[i]));
    if (!ok) {
      throw new Error(`Layer "${this.name}" (Concatenate): A \`Concatenate\` layer requires inputs with matching shapes except for the concatenation axis. Received: input_shape=[${xs.map((x) => formatShape(x.shape)).join(', ')}]`);
    }
    return ops.concatenate(xs, { axis });
  }
}

type Merged<T> = T extends KerasTensor ? KerasTensor : SymbolicTensor;

/** Functional forms: `concatenate([a, b], { axis })` makes a Concatenate layer and calls it. */
export function concatenate<T extends KerasTensor | SymbolicTensor>(inputs: readonly T[], args: ConcatenateArgs = {}): Merged<T> {
  return new Concatenate(args)(inputs as readonly KerasTensor[]) as Merged<T>;
}
export function add<T extends KerasTensor | SymbolicTensor>(inputs: readonly T[], args: LayerArgs = {}): Merged<T> {
  return new Add(args)(inputs as readonly KerasTensor[]) as Merged<T>;
}
export function subtract<T extends KerasTensor | SymbolicTensor>(inputs: readonly T[], args: LayerArgs = {}): Merged<T> {
  return new Subtract(args)(inputs as readonly KerasTensor[]) as Merged<T>;
}
export function multiply<T extends KerasTensor | SymbolicTensor>(inputs: readonly T[], args: LayerArgs = {}): Merged<T> {
  return new Multiply(args)(inputs as readonly KerasTensor[]) as Merged<T>;
}
export function average<T extends KerasTensor | SymbolicTensor>(inputs: readonly T[], args: LayerArgs = {}): Merged<T> {
  return new Average(args)(inputs as readonly KerasTensor[]) as Merged<T>;
}
export function maximum<T extends KerasTensor | SymbolicTensor>(inputs: readonly T[], args: LayerArgs = {}): Merged<T> {
  return new Maximum(args)(inputs as readonly KerasTensor[]) as Merged<T>;
}
export function minimum<T extends KerasTensor | SymbolicTensor>(inputs: readonly T[], args: LayerArgs = {}): Merged<T> {
  return new Minimum(args)(inputs as readonly KerasTensor[]) as Merged<T>;
}
