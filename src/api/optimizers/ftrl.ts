import * as ops from '../ops.js';
import { Optimizer, type OptimizerOptions, type SlotSpec, type StepIn, type StepOut } from './base.js';

export interface FtrlOptions extends OptimizerOptions {
  readonly learningRatePower?: number;
  readonly initialAccumulatorValue?: number;
  readonly l1RegularizationStrength?: number;
  readonly l2RegularizationStrength?: number;
  readonly l2ShrinkageRegularizationStrength?: number;
  readonly beta?: number;
}

const FTRL_OPTIONS = ['learningRatePower', 'initialAccumulatorValue', 'l1RegularizationStrength', 'l2RegularizationStrength', 'l2ShrinkageRegularizationStrength', 'beta'] as const;

/**
 * Keras 3 Ftrl (follow the regularized leader): learningRate 1e-3, learningRatePower -0.5,
 * initialAccumulatorValue 0.1, the three regularization strengths and beta 0.
 */
export class Ftrl extends Optimizer {
  readonly learningRatePower: number;
  readonly initialAccumulatorValue: number;
  readonly l1RegularizationStrength: number;
  readonly l2RegularizationStrength: number;
  readonly l2ShrinkageRegularizationStrength: number;
  readonly beta: number;
  constructor(options: FtrlOptions = {}) {
    super('ftrl', 0.001, options, FTRL_OPTIONS);
    this.learningRatePower = options.learningRatePower ?? -0.5;
    this.initialAccumulatorValue = options.initialAccumulatorValue ?? 0.1;
    this.l1RegularizationStrength = options.l1RegularizationStrength ?? 0;
    this.l2RegularizationStrength = options.l2RegularizationStrength ?? 0;
    this.l2ShrinkageRegularizationStrength = options.l2ShrinkageRegularizationStrength ?? 0;
    this.beta = options.beta ?? 0;
    if (!(this.learningRatePower <= 0)) throw new Error(`Ftrl: \`learningRatePower\` needs to be negative or zero. Received: learningRatePower=${this.learningRatePower}.`);
    for (const key of ['initialAccumulatorValue', 'l1RegularizationStrength', 'l2RegularizationStrength', 'l2ShrinkageRegularizationStrength'] as const) {
      if (!(this[key] >= 0)) throw new Error(`Ftrl: \`${key}\` needs to be positive or zero. Received: ${key}=${this[key]}.`);
    }
  }
  protected slotSpecs(): SlotSpec[] {
    return [{ name: 'accumulator', initial: this.initialAccumulatorValue }, { name: 'linear', initial: 0 }];
  }
  protected updateStep({ grad, value, slots, lr }: StepIn): StepOut {
    const [accum, linear] = slots;
    const p = -this.learningRatePower;
    const l2 = ops.add(this.l2RegularizationStrength, ops.divide(this.beta, ops.multiply(2, lr)));
    const gradToUse = ops.add(grad, ops.multiply(2 * this.l2ShrinkageRegularizationStrength, value));
    const newAccum = ops.add(accum, ops.square(grad));
    const newLinear = ops.add(linear, ops.subtract(gradToUse, ops.multiply(ops.divide(ops.subtract(ops.power(newAccum, p), ops.power(accum, p)), lr), value)));
    const quadratic = ops.add(ops.divide(ops.power(newAccum, p), lr), ops.multiply(2, l2));
    const l1 = this.l1RegularizationStrength;
    const next = ops.divide(ops.subtract(ops.clip(newLinear, -l1, l1), newLinear), quadratic);
    return { value: next, slots: [newAccum, newLinear] };
  }
  protected override ownConfig(): Record<string, unknown> {
    return {
      ...super.ownConfig(), learningRatePower: this.learningRatePower, initialAccumulatorValue: this.initialAccumulatorValue,
      l1RegularizationStrength: this.l1RegularizationStrength, l2RegularizationStrength: this.l2RegularizationStrength,
      l2ShrinkageRegularizationStrength: this.l2ShrinkageRegularizationStrength, beta: this.beta,
    };
  }
}
