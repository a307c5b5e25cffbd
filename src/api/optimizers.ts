/**
 * Keras 3 optimizers as graph builders: the base class (state, clipping, weight decay, EMA,
 * gradient accumulation, schedules) is in optimizers/base.ts, each newer optimizer in its own
 * file under optimizers/. Defaults and update formulas are Keras 3's (keras/src/optimizers/*.py).
 */
import type { Node } from '../ir/node.js';
import { Optimizer, type OptimizerOptions, type SlotSpec, type StepIn, type StepOut } from './optimizers/base.js';
import { Adam } from './optimizers/adam.js';
import { Adamax } from './optimizers/adamax.js';
import { AdamW } from './optimizers/adamw.js';
import { Ftrl } from './optimizers/ftrl.js';
import { Lion } from './optimizers/lion.js';
import { Nadam } from './optimizers/nadam.js';
import * as ops from './ops.js';
import { lowerCaseSpelling, quotedList, Registry } from './registry.js';
import * as schedules from './schedules.js';

export { Optimizer, Adam, Adamax, AdamW, Ftrl, Lion, Nadam, schedules };
export type { OptimizerOptions };
export type { AdamOptions } from './optimizers/adam.js';
export type { AdamaxOptions } from './optimizers/adamax.js';
export type { FtrlOptions } from './optimizers/ftrl.js';
export type { LionOptions } from './optimizers/lion.js';
export type { NadamOptions } from './optimizers/nadam.js';
export { LearningRateSchedule } from './schedules.js';

export interface SGDOptions extends OptimizerOptions {
  readonly momentum?: number;
  readonly nesterov?: boolean;
}

/** Keras 3 SGD: learningRate 0.01, momentum 0, nesterov false. */
export class SGD extends Optimizer {
  readonly momentum: number;
  readonly nesterov: boolean;
  constructor(options: SGDOptions = {}) {
    super('SGD', 0.01, options, ['momentum', 'nesterov']);
    this.momentum = options.momentum ?? 0;
    this.nesterov = options.nesterov ?? false;
    if (this.momentum < 0 || this.momentum > 1) throw new Error(`SGD: momentum must be in [0, 1], got ${this.momentum}`);
  }
  protected slotSpecs(): SlotSpec[] {
    return this.momentum !== 0 ? [{ name: 'momentum', initial: 0 }] : [];
  }
  protected updateStep({ grad, value, slots, lr }: StepIn): StepOut {
    if (this.momentum === 0) return { value: ops.subtract(value, ops.multiply(grad, lr)), slots };
    const m = ops.add(ops.negative(ops.multiply(grad, lr)), ops.multiply(slots[0], this.momentum));
    const next = this.nesterov ? ops.add(value, ops.add(ops.negative(ops.multiply(grad, lr)), ops.multiply(m, this.momentum))) : ops.add(value, m);
    return { value: next, slots: [m] };
  }
  protected override ownConfig(): Record<string, unknown> { return { ...super.ownConfig(), momentum: this.momentum, nesterov: this.nesterov }; }
}

export interface RMSpropOptions extends OptimizerOptions {
  readonly rho?: number;
  readonly momentum?: number;
  readonly epsilon?: number;
  readonly centered?: boolean;
}

/** Keras 3 RMSprop: learningRate 1e-3, rho 0.9, momentum 0, epsilon 1e-7 (inside the sqrt), not centered. */
export class RMSprop extends Optimizer {
  readonly rho: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly centered: boolean;
  constructor(options: RMSpropOptions = {}) {
    super('rmsprop', 0.001, options, ['rho', 'momentum', 'epsilon', 'centered']);
    this.rho = options.rho ?? 0.9;
    this.momentum = options.momentum ?? 0;
    this.epsilon = options.epsilon ?? 1e-7;
    this.centered = options.centered ?? false;
  }
  protected slotSpecs(): SlotSpec[] {
    const slots = [{ name: 'velocity', initial: 0 }];
    if (this.momentum > 0) slots.push({ name: 'momentum', initial: 0 });
    if (this.centered) slots.push({ name: 'average_gradient', initial: 0 });
    return slots;
  }
  protected updateStep({ grad, value, slots, lr }: StepIn): StepOut {
    const rho = this.rho;
    const hasMomentum = this.momentum > 0;
    const velocity = ops.add(ops.multiply(rho, slots[0]), ops.multiply(1 - rho, ops.square(grad)));
    let denominator = ops.add(velocity, this.epsilon);
    let avg: Node | undefined;
    if (this.centered) {
      avg = ops.add(ops.multiply(rho, slots[hasMomentum ? 2 : 1]), ops.multiply(1 - rho, grad));
      denominator = ops.add(ops.subtract(velocity, ops.square(avg)), this.epsilon);
    }
    const increment = ops.divide(ops.multiply(lr, grad), ops.sqrt(denominator));
    const m = hasMomentum ? ops.add(ops.multiply(this.momentum, slots[1]), increment) : undefined;
    // Slot order matches slotSpecs(): velocity, then momentum, then average_gradient.
    const out = [velocity, ...(m ? [m] : []), ...(avg ? [avg] : [])];
    return { value: ops.subtract(value, m ?? increment), slots: out };
  }
  protected override ownConfig(): Record<string, unknown> { return { ...super.ownConfig(), rho: this.rho, momentum: this.momentum, epsilon: this.epsilon, centered: this.centered }; }
}

export interface AdagradOptions extends OptimizerOptions {
  readonly initialAccumulatorValue?: number;
  readonly epsilon?: number;
}

/** Keras 3 Adagrad: learningRate 1e-3, initialAccumulatorValue 0.1, epsilon 1e-7. */
export class Adagrad extends Optimizer {
  readonly initialAccumulatorValue: number;
  readonly epsilon: number;
  constructor(options: AdagradOptions = {}) {
    super('adagrad', 0.001, options, ['initialAccumulatorValue', 'epsilon']);
    this.initialAccumulatorValue = options.initialAccumulatorValue ?? 0.1;
    this.epsilon = options.epsilon ?? 1e-7;
  }
  protected slotSpecs(): SlotSpec[] {
    return [{ name: 'accumulator', initial: this.initialAccumulatorValue }];
  }
  protected updateStep({ grad, value, slots, lr }: StepIn): StepOut {
    const acc = ops.add(slots[0], ops.square(grad));
    return { value: ops.subtract(value, ops.divide(ops.multiply(lr, grad), ops.sqrt(ops.add(acc, this.epsilon)))), slots: [acc] };
  }
  protected override ownConfig(): Record<string, unknown> { return { ...super.ownConfig(), initialAccumulatorValue: this.initialAccumulatorValue, epsilon: this.epsilon }; }
}

export interface AdadeltaOptions extends OptimizerOptions {
  readonly rho?: number;
  readonly epsilon?: number;
}

/** Keras 3 Adadelta: learningRate 1e-3, rho 0.95, epsilon 1e-7. */
export class Adadelta extends Optimizer {
  readonly rho: number;
  readonly epsilon: number;
  constructor(options: AdadeltaOptions = {}) {
    super('adadelta', 0.001, options, ['rho', 'epsilon']);
    this.rho = options.rho ?? 0.95;
    this.epsilon = options.epsilon ?? 1e-7;
  }
  protected slotSpecs(): SlotSpec[] {
    return [{ name: 'accumulated_grad', initial: 0 }, { name: 'accumulated_delta_var', initial: 0 }];
  }
  protected updateStep({ grad, value, slots, lr }: StepIn): StepOut {
    const rho = this.rho;
    const rms = (x: Node) => ops.sqrt(ops.add(x, this.epsilon));
    const accGrad = ops.add(ops.multiply(rho, slots[0]), ops.multiply(1 - rho, ops.square(grad)));
    const delta = ops.negative(ops.divide(ops.multiply(rms(slots[1]), grad), rms(accGrad)));
    const accDelta = ops.add(ops.multiply(rho, slots[1]), ops.multiply(1 - rho, ops.square(delta)));
    return { value: ops.add(value, ops.multiply(lr, delta)), slots: [accGrad, accDelta] };
  }
  protected override ownConfig(): Record<string, unknown> { return { ...super.ownConfig(), rho: this.rho, epsilon: this.epsilon }; }
}

/** Keras's names in lower case, each making a fresh optimizer; matched case-insensitively, as Keras's get. */
export const registry = new Registry<() => Optimizer>('optimizer', {
  spelling: lowerCaseSpelling,
  unknown: (identifier, r) => `Unknown optimizer '${identifier}'. Valid names: ${quotedList(r.names())}`,
})
  .register('sgd', () => new SGD())
  .register('adam', () => new Adam())
  .register('rmsprop', () => new RMSprop())
  .register('adagrad', () => new Adagrad())
  .register('adadelta', () => new Adadelta())
  .register('adamw', () => new AdamW())
  .register('nadam', () => new Nadam())
  .register('adamax', () => new Adamax())
  .register('lion', () => new Lion())
  .register('ftrl', () => new Ftrl());

export type OptimizerIdentifier = string | Optimizer;

/** Resolves 'adam', 'Adam', 'rmsprop', 'RMSprop', ... to a fresh optimizer. */
export function getOptimizer(identifier: OptimizerIdentifier): Optimizer {
  if (identifier instanceof Optimizer) return identifier;
  if (typeof identifier === 'string') return registry.get(identifier)();
  throw new Error(`Could not interpret optimizer identifier: ${String(identifier)}`);
}
