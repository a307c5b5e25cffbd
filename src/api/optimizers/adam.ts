import * as ops from '../ops.js';
import { Optimizer, type OptimizerOptions, type SlotSpec, type StepIn, type StepOut } from './base.js';

export const ADAM_OPTION_NAMES = ['beta1', 'beta2', 'epsilon', 'amsgrad'];

export interface AdamOptions extends OptimizerOptions {
  readonly beta1?: number;
  readonly beta2?: number;
  readonly epsilon?: number;
  readonly amsgrad?: boolean;
}

/** Keras 3 Adam: learningRate 1e-3, beta1 0.9, beta2 0.999, epsilon 1e-7 ("epsilon hat"). */
export class Adam extends Optimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly amsgrad: boolean;
  constructor(options: AdamOptions = {}, defaultName = 'adam') {
    super(defaultName, 0.001, options, ADAM_OPTION_NAMES);
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-7;
    this.amsgrad = options.amsgrad ?? false;
  }
  protected slotSpecs(): SlotSpec[] {
    const slots = [{ name: 'momentum', initial: 0 }, { name: 'velocity', initial: 0 }];
    return this.amsgrad ? [...slots, { name: 'velocity_hat', initial: 0 }] : slots;
  }
  protected updateStep({ grad, value, slots, lr, step }: StepIn): StepOut {
    const beta1Power = ops.power(ops.convertToTensor(this.beta1), step);
    const beta2Power = ops.power(ops.convertToTensor(this.beta2), step);
    const alpha = ops.divide(ops.multiply(lr, ops.sqrt(ops.subtract(1, beta2Power))), ops.subtract(1, beta1Power));
    const m = ops.add(slots[0], ops.multiply(ops.subtract(grad, slots[0]), 1 - this.beta1));
    const v = ops.add(slots[1], ops.multiply(ops.subtract(ops.square(grad), slots[1]), 1 - this.beta2));
    const vHat = this.amsgrad ? ops.maximum(slots[2], v) : v;
    const next = ops.subtract(value, ops.divide(ops.multiply(m, alpha), ops.add(ops.sqrt(vHat), this.epsilon)));
    return { value: next, slots: this.amsgrad ? [m, v, vHat] : [m, v] };
  }
  protected override ownConfig(): Record<string, unknown> { return { ...super.ownConfig(), beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, amsgrad: this.amsgrad }; }
}

