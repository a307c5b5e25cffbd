import * as ops from '../ops.js';
import { Optimizer, type OptimizerOptions, type SlotSpec, type StepIn, type StepOut } from './base.js';

export interface AdamaxOptions extends OptimizerOptions {
  readonly beta1?: number;
  readonly beta2?: number;
  readonly epsilon?: number;
}

/** Keras 3 Adamax (Adam on the infinity norm): learningRate 1e-3, beta1 0.9, beta2 0.999, epsilon 1e-7. */
export class Adamax extends Optimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  constructor(options: AdamaxOptions = {}) {
    super('adamax', 0.001, options, ['beta1', 'beta2', 'epsilon']);
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-7;
  }
  protected slotSpecs(): SlotSpec[] {
    return [{ name: 'momentum', initial: 0 }, { name: 'norm', initial: 0 }];
  }
  protected updateStep({ grad, value, slots, lr, step }: StepIn): StepOut {
    const beta1Power = ops.power(ops.convertToTensor(this.beta1), step);
    const m = ops.add(slots[0], ops.multiply(ops.subtract(grad, slots[0]), 1 - this.beta1));
    const u = ops.maximum(ops.multiply(this.beta2, slots[1]), ops.abs(grad));
    const next = ops.subtract(value, ops.divide(ops.multiply(lr, m), ops.multiply(ops.subtract(1, beta1Power), ops.add(u, this.epsilon))));
    return { value: next, slots: [m, u] };
  }
  protected override ownConfig(): Record<string, unknown> { return { ...super.ownConfig(), beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon }; }
}
