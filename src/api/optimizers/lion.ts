import * as ops from '../ops.js';
import { Optimizer, type OptimizerOptions, type SlotSpec, type StepIn, type StepOut } from './base.js';

export interface LionOptions extends OptimizerOptions {
  readonly beta1?: number;
  readonly beta2?: number;
}

/** Keras 3 Lion (the sign of an interpolated momentum): learningRate 1e-3, beta1 0.9, beta2 0.99. */
export class Lion extends Optimizer {
  readonly beta1: number;
  readonly beta2: number;
  constructor(options: LionOptions = {}) {
    super('lion', 0.001, options, ['beta1', 'beta2']);
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.99;
    if (!(this.beta1 > 0 && this.beta1 <= 1)) throw new Error(`Lion: argument \`beta1\` must be in the [0, 1] range. Otherwise, the optimizer degenerates to SignSGD. Received: beta1=${this.beta1}.`);
  }
  protected slotSpecs(): SlotSpec[] {
    return [{ name: 'momentum', initial: 0 }];
  }
  protected updateStep({ grad, value, slots, lr }: StepIn): StepOut {
    const m = slots[0];
    const direction = ops.sign(ops.add(ops.multiply(m, this.beta1), ops.multiply(grad, 1 - this.beta1)));
    const next = ops.subtract(value, ops.multiply(lr, direction));
    return { value: next, slots: [ops.add(ops.multiply(m, this.beta2), ops.multiply(grad, 1 - this.beta2))] };
  }
  protected override ownConfig(): Record<string, unknown> { return { ...super.ownConfig(), beta1: this.beta1, beta2: this.beta2 }; }
}
