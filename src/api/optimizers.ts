/**
 * Keras 3 optimizers as graph builders. An optimizer turns gradients into variable updates that
 * join the training program, so a whole step is one compiled graph. Its state lives in session
 * variables: slots (momentum, velocity, ...), the iteration count, and the learning rate, a
 * scalar variable so callbacks can change it between steps without recompiling.
 * Defaults and update formulas are Keras 3's (keras/src/optimizers/*.py).
 */
import type { Update } from '../ir/graph.js';
import type { Node } from '../ir/node.js';
import type { Session, Variable } from '../runtime/session.js';
import * as ops from './ops.js';
import { lowerCaseSpelling, quotedList, Registry } from './registry.js';

export interface OptimizerOptions {
  readonly learningRate?: number;
  /** Decoupled weight decay: `v -= v * weightDecay * lr` before the update, as Keras 3. */
  readonly weightDecay?: number;
  /** Clips each gradient to this L2 norm. */
  readonly clipnorm?: number;
  /** Clips each gradient element to [-clipvalue, clipvalue]. */
  readonly clipvalue?: number;
  /** Clips all gradients together to this global L2 norm. */
  readonly globalClipnorm?: number;
  readonly name?: string;
}

/** The nodes one variable's update step reads and the new values it writes. */
interface StepIn {
  readonly grad: Node;
  readonly value: Node;
  readonly slots: readonly Node[];
  readonly lr: Node;
  /** iterations + 1, as float32 (Keras's local_step). */
  readonly step: Node;
}
interface StepOut {
  readonly value: Node;
  readonly slots: readonly Node[];
}

interface SlotSpec {
  readonly name: string;
  readonly initial: number;
}

/** Optimizer state in one session. */
interface BuiltState {
  readonly session: Session;
  readonly learningRate: Variable;
  readonly iterations: Variable;
  readonly slots: Map<number, Variable[]>;
}

export abstract class Optimizer {
  readonly name: string;
  readonly weightDecay?: number;
  readonly clipnorm?: number;
  readonly clipvalue?: number;
  readonly globalClipnorm?: number;
  private lr: number;
  private state?: BuiltState;

  constructor(defaultName: string, defaultLr: number, options: OptimizerOptions) {
    this.name = options.name ?? defaultName;
    this.lr = options.learningRate ?? defaultLr;
    this.weightDecay = options.weightDecay;
    this.clipnorm = options.clipnorm;
    this.clipvalue = options.clipvalue;
    this.globalClipnorm = options.globalClipnorm;
    const clips = [options.clipnorm, options.clipvalue, options.globalClipnorm].filter((c) => c !== undefined);
    if (clips.length > 1) throw new Error(`${this.constructor.name}: only one of clipnorm, clipvalue and globalClipnorm can be set`);
  }

  /** The current learning rate; setting it takes effect at the next step, with no recompilation. */
  get learningRate(): number {
    return this.lr;
  }
  set learningRate(value: number) {
    if (!Number.isFinite(value)) throw new Error(`${this.constructor.name}: learningRate must be a finite number, got ${value}`);
    this.lr = value;
    const s = this.liveState();
    if (s !== undefined) s.session.write(s.learningRate, [value]);
  }

  /** Steps applied so far (Keras's `optimizer.iterations`). */
  get iterations(): number {
    const s = this.liveState();
    return s === undefined ? 0 : s.session.view(s.iterations)[0];
  }

  /** Slots of this optimizer, per slot name, e.g. ['momentum', 'velocity'] for Adam. */
  protected abstract slotSpecs(): readonly SlotSpec[];
  /** One variable's update: Keras's `update_step`, with every assignment returned as a new value. */
  protected abstract updateStep(input: StepIn): StepOut;

  /**
   * Creates the optimizer's variables in `session` (once), and slots for any variable not seen
   * yet. A cleared or different session starts fresh state, as a rebuilt Keras optimizer does.
   */
  build(session: Session, vars: readonly Variable[]): void {
    let s = this.liveState();
    if (s === undefined || s.session !== session) {
      s = {
        session,
        learningRate: session.createVariable(`${this.name}/learning_rate`, [], 'float32', [this.lr]),
        iterations: session.createVariable(`${this.name}/iterations`, [], 'int32', [0]),
        slots: new Map(),
      };
      this.state = s;
    }
    for (const v of vars) {
      if (s.slots.has(v.id)) continue;
      const slots = this.slotSpecs().map((spec) =>
        session.createVariable(`${this.name}/${v.label}_${spec.name}`, v.shape, 'float32', new Float32Array(v.size).fill(spec.initial)));
      s.slots.set(v.id, slots);
    }
  }

  /** Variable updates of one step for gradients `grads` of `vars`; needs build() first. */
  applyGradients(grads: readonly Node[], vars: readonly Variable[]): Update[] {
    const s = this.liveState();
    if (s === undefined) throw new Error(`${this.constructor.name}: build() must be called before applyGradients()`);
    const lr = s.learningRate.node;
    const iterations = s.iterations.node;
    const step = ops.cast(ops.add(iterations, 1), 'float32');
    const clipped = this.clipGradients(grads);
    const updates: Update[] = [];
    vars.forEach((v, i) => {
      const slots = s.slots.get(v.id);
      if (slots === undefined) throw new Error(`${this.constructor.name}: variable '${v.label}' was not built`);
      let value: Node = v.node;
      if (this.weightDecay !== undefined && this.weightDecay > 0) value = ops.subtract(value, ops.multiply(ops.multiply(value, this.weightDecay), lr));
      const out = this.updateStep({ grad: clipped[i], value, slots: slots.map((sl) => sl.node), lr, step });
      updates.push({ variable: v.node, value: out.value });
      slots.forEach((sl, k) => {
        if (out.slots[k] !== sl.node) updates.push({ variable: sl.node, value: out.slots[k] });
      });
    });
    updates.push({ variable: iterations, value: ops.add(iterations, 1) });
    return updates;
  }

  /** Keras 3's _clip_gradients: clipnorm per gradient, else the global norm, else by value. */
  private clipGradients(grads: readonly Node[]): Node[] {
    if (this.clipnorm !== undefined && this.clipnorm > 0) {
      const c = this.clipnorm;
      return grads.map((g) => ops.divide(ops.multiply(g, c), ops.maximum(ops.sqrt(ops.sum(ops.square(g))), c)));
    }
    if (this.globalClipnorm !== undefined && this.globalClipnorm > 0) {
      const c = this.globalClipnorm;
      const norm = ops.sqrt(grads.map((g) => ops.sum(ops.square(g))).reduce((acc, x) => ops.add(acc, x), ops.convertToTensor(0)));
      const scale = ops.divide(c, ops.maximum(norm, c));
      return grads.map((g) => ops.multiply(g, scale));
    }
    if (this.clipvalue !== undefined && this.clipvalue > 0) return grads.map((g) => ops.clip(g, -this.clipvalue!, this.clipvalue!));
    return [...grads];
  }

  private liveState(): BuiltState | undefined {
    const s = this.state;
    if (s === undefined) return undefined;
    try {
      s.session.variableOf(s.learningRate.node); // throws once the session was cleared
      return s;
    } catch {
      this.state = undefined;
      return undefined;
    }
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, learningRate: this.lr, weightDecay: this.weightDecay, clipnorm: this.clipnorm, clipvalue: this.clipvalue, globalClipnorm: this.globalClipnorm };
  }
}

export interface SGDOptions extends OptimizerOptions {
  readonly momentum?: number;
  readonly nesterov?: boolean;
}

/** Keras 3 SGD: learningRate 0.01, momentum 0, nesterov false. */
export class SGD extends Optimizer {
  readonly momentum: number;
  readonly nesterov: boolean;
  constructor(options: SGDOptions = {}) {
    super('SGD', 0.01, options);
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
  override getConfig() { return { ...super.getConfig(), momentum: this.momentum, nesterov: this.nesterov }; }
}

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
  constructor(options: AdamOptions = {}) {
    super('adam', 0.001, options);
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
  override getConfig() { return { ...super.getConfig(), beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, amsgrad: this.amsgrad }; }
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
    super('rmsprop', 0.001, options);
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
  override getConfig() { return { ...super.getConfig(), rho: this.rho, momentum: this.momentum, epsilon: this.epsilon, centered: this.centered }; }
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
    super('adagrad', 0.001, options);
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
  override getConfig() { return { ...super.getConfig(), initialAccumulatorValue: this.initialAccumulatorValue, epsilon: this.epsilon }; }
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
    super('adadelta', 0.001, options);
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
  override getConfig() { return { ...super.getConfig(), rho: this.rho, epsilon: this.epsilon }; }
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
  .register('adadelta', () => new Adadelta());

export type OptimizerIdentifier = string | Optimizer;

/** Resolves 'adam', 'Adam', 'rmsprop', 'RMSprop', ... to a fresh optimizer. */
export function getOptimizer(identifier: OptimizerIdentifier): Optimizer {
  if (identifier instanceof Optimizer) return identifier;
  if (typeof identifier === 'string') return registry.get(identifier)();
  throw new Error(`Could not interpret optimizer identifier: ${String(identifier)}`);
}
