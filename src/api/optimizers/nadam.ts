import type { Node } from '../../ir/node.js';
import * as ops from '../ops.js';
import { Optimizer, type OptimizerOptions, type SlotSpec, type StepIn, type StepOut } from './base.js';

export interface NadamOptions extends OptimizerOptions {
  readonly beta1?: number;
  readonly beta2?: number;
  readonly epsilon?: number;
}

/** The momentum schedule of Nadam at a step: beta1 * (1 - 0.5 * 0.96^step). */
function momentumAt(beta1: number, step: Node): Node {
  return ops.multiply(beta1, ops.subtract(1, ops.multiply(0.5, ops.power(ops.convertToTensor(0.96), step))));
}

/** Keras 3 Nadam (Adam with Nesterov momentum): learningRate 1e-3, beta1 0.9, beta2 0.999, epsilon 1e-7. */
export class Nadam extends Optimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  constructor(options: NadamOptions = {}) {
    super('nadam', 0.001, options, ['beta1', 'beta2', 'epsilon']);
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-7;
  }
  protected slotSpecs(): SlotSpec[] {
    return [{ name: 'momentum', initial: 0 }, { name: 'velocity', initial: 0 }];
  }
  /** u_product, the running product of the momentum schedule, shared by all variables. */
  protected override globalSpecs(): SlotSpec[] {
    return [{ name: 'u_product', initial: 1 }];
  }
  protected override advanceGlobals(globals: readonly Node[], step: Node): Node[] {
    return [ops.multiply(globals[0], momentumAt(this.beta1, step))];
  }
  protected updateStep({ grad, value, slots, lr, step, globals }: StepIn): StepOut {
    const uT = momentumAt(this.beta1, step);
    const uT1 = momentumAt(this.beta1, ops.add(step, 1));
    const uProduct = globals[0];
    const uProductNext = ops.multiply(uProduct, uT1);
    const beta2Power = ops.power(ops.convertToTensor(this.beta2), step);
    const m = ops.add(slots[0], ops.multiply(ops.subtract(grad, slots[0]), 1 - this.beta1));
    const v = ops.add(slots[1], ops.multiply(ops.subtract(ops.square(grad), slots[1]), 1 - this.beta2));
    const mHat = ops.add(ops.divide(ops.multiply(uT1, m), ops.subtract(1, uProductNext)), ops.divide(ops.multiply(ops.subtract(1, uT), grad), ops.subtract(1, uProduct)));
    const vHat = ops.divide(v, ops.subtract(1, beta2Power));
    const next = ops.subtract(value, ops.divide(ops.multiply(mHat, lr), ops.add(ops.sqrt(vHat), this.epsilon)));
    return { value: next, slots: [m, v] };
  }
  protected override ownConfig(): Record<string, unknown> { return { ...super.ownConfig(), beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon }; }
}
