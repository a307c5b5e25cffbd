/**
 * The Keras 3 optimizer base as a graph builder. An optimizer turns gradients into variable
 * updates that join the training program, so a whole step is one compiled graph. Its state lives
 * in session variables: slots (momentum, velocity, ...), the iteration count, and the learning
 * rate, a scalar variable so callbacks can change it between steps without recompiling (or, with
 * a schedule, the schedule's value, written by the step itself).
 * The step follows keras/src/backend/jax/optimizer.py (Keras's JAX apply): gradient accumulation
 * and the EMA overwrite are selects rather than branches, as there.
 */
import type { Update } from '../../ir/graph.js';
import type { Node } from '../../ir/node.js';
import type { Session, Variable } from '../../runtime/session.js';
import * as ops from '../ops.js';
import { toSnakeCase } from '../naming.js';
import { deserializeSchedule, LearningRateSchedule, serializeSchedule } from '../schedules.js';
import { checkConfigKeys, isJsonObject, type Json, type JsonObject } from '../saving/config/json.js';
import { checkKnownOptions } from './known-options.js';

export interface OptimizerOptions {
  /** A number, or a schedule of the iteration count (evaluated inside the compiled step). */
  readonly learningRate?: number | LearningRateSchedule;
  /** Decoupled weight decay: `v -= v * weightDecay * lr` before the update, as Keras 3. */
  readonly weightDecay?: number;
  /** Clips each gradient to this L2 norm. */
  readonly clipnorm?: number;
  /** Clips each gradient element to [-clipvalue, clipvalue]. */
  readonly clipvalue?: number;
  /** Clips all gradients together to this global L2 norm. */
  readonly globalClipnorm?: number;
  /** Keeps an exponential moving average of the weights; fit() ends by writing it into them. */
  readonly useEma?: boolean;
  readonly emaMomentum?: number;
  /** Every this many steps the weights are overwritten with their moving average. */
  readonly emaOverwriteFrequency?: number;
  /** Sums this many batches' gradients before one update (the mean of them is applied). */
  readonly gradientAccumulationSteps?: number;
  readonly name?: string;
}

export const OPTIMIZER_OPTION_NAMES: readonly (keyof OptimizerOptions)[] = [
  'learningRate', 'weightDecay', 'clipnorm', 'clipvalue', 'globalClipnorm', 'useEma', 'emaMomentum',
  'emaOverwriteFrequency', 'gradientAccumulationSteps', 'name',
];

/** The nodes one variable's update step reads and the new values it writes. */
export interface StepIn {
  readonly grad: Node;
  readonly value: Node;
  readonly slots: readonly Node[];
  readonly lr: Node;
  /** iterations + 1, as float32 (Keras's local_step). */
  readonly step: Node;
  /** The optimizer-wide values of this step (globalSpecs(), after advanceGlobals()). */
  readonly globals: readonly Node[];
}
export interface StepOut {
  readonly value: Node;
  readonly slots: readonly Node[];
}

export interface SlotSpec {
  readonly name: string;
  readonly initial: number;
}

/** Per-variable state beyond the optimizer's own slots. */
interface VariableState {
  readonly slots: Variable[];
  readonly accumulator?: Variable;
  readonly average?: Variable;
}

/** Optimizer state in one session. */
interface BuiltState {
  readonly session: Session;
  readonly learningRate: Variable;
  /** Batches seen (Keras's `_iterations`); updates applied is this over gradientAccumulationSteps. */
  readonly iterations: Variable;
  readonly globals: Variable[];
  readonly perVariable: Map<number, VariableState>;
}

function checkNonNegative(owner: string, what: string, value: number | undefined): void {
  if (value !== undefined && !(Number.isFinite(value) && value >= 0)) throw new Error(`${owner}: \`${what}\` must be a number >= 0. Received: ${what}=${value}`);
}

export abstract class Optimizer {
  readonly name: string;
  readonly weightDecay?: number;
  readonly clipnorm?: number;
  readonly clipvalue?: number;
  readonly globalClipnorm?: number;
  readonly useEma: boolean;
  readonly emaMomentum: number;
  readonly emaOverwriteFrequency?: number;
  readonly gradientAccumulationSteps?: number;
  /** Set when learningRate is a schedule; then the rate is not settable. */
  readonly schedule?: LearningRateSchedule;
  private lr: number;
  private state?: BuiltState;
  private excludedIds = new Set<number>();
  private excludedNames?: RegExp;

  /** The name the optimizer takes when none is given (Keras writes its snake_case class name then). */
  private readonly defaultName: string;

  constructor(defaultName: string, defaultLr: number, options: OptimizerOptions, ownOptionNames: readonly string[]) {
    const owner = new.target.name;
    this.defaultName = defaultName;
    checkKnownOptions(owner, options, [...ownOptionNames, ...OPTIMIZER_OPTION_NAMES]);
    this.name = options.name ?? defaultName;
    const lr = options.learningRate ?? defaultLr;
    if (lr instanceof LearningRateSchedule) {
      this.schedule = lr;
      this.lr = lr.initialValue();
    } else {
      if (typeof lr !== 'number' || !Number.isFinite(lr)) throw new Error(`${owner}: learningRate must be a finite number or a LearningRateSchedule, got ${String(lr)}`);
      this.lr = lr;
    }
    this.weightDecay = options.weightDecay ?? undefined;
    this.clipnorm = options.clipnorm;
    this.clipvalue = options.clipvalue;
    this.globalClipnorm = options.globalClipnorm;
    for (const key of ['weightDecay', 'clipnorm', 'clipvalue', 'globalClipnorm'] as const) checkNonNegative(owner, key, this[key]);
    const clips = [options.clipnorm, options.clipvalue, options.globalClipnorm].filter((c) => c !== undefined);
    if (clips.length > 1) throw new Error(`${owner}: only one of clipnorm, clipvalue and globalClipnorm can be set`);
    this.useEma = options.useEma ?? false;
    this.emaMomentum = options.emaMomentum ?? 0.99;
    this.emaOverwriteFrequency = options.emaOverwriteFrequency;
    if (!(this.emaMomentum >= 0 && this.emaMomentum <= 1)) throw new Error(`${owner}: \`emaMomentum\` must be in the range [0, 1]. Received: emaMomentum=${this.emaMomentum}`);
    const freq = this.emaOverwriteFrequency;
    if (freq !== undefined && !(Number.isInteger(freq) && freq >= 1)) throw new Error(`${owner}: \`emaOverwriteFrequency\` must be an integer >= 1 or undefined. Received: emaOverwriteFrequency=${freq}`);
    if (!this.useEma && (options.emaMomentum !== undefined || freq !== undefined)) throw new Error(`${owner}: emaMomentum and emaOverwriteFrequency need useEma: true`);
    this.gradientAccumulationSteps = options.gradientAccumulationSteps;
    const acc = this.gradientAccumulationSteps;
    if (acc !== undefined && !(Number.isInteger(acc) && acc >= 2)) throw new Error(`${owner}: \`gradientAccumulationSteps\` must be an integer >= 2. Received: gradientAccumulationSteps=${acc}`);
  }

  /** The current learning rate; setting it takes effect at the next step, with no recompilation. */
  get learningRate(): number {
    // A schedule's current value is only in the session variable the step writes it to.
    const s = this.schedule !== undefined ? this.liveState() : undefined;
    return s === undefined ? this.lr : s.session.view(s.learningRate)[0];
  }
  set learningRate(value: number) {
    if (this.schedule !== undefined) {
      throw new Error(`${this.constructor.name}: this optimizer was created with a LearningRateSchedule as its learningRate, hence its learning rate is not settable.`);
    }
    if (!Number.isFinite(value)) throw new Error(`${this.constructor.name}: learningRate must be a finite number, got ${value}`);
    this.lr = value;
    const s = this.liveState();
    if (s !== undefined) s.session.write(s.learningRate, [value]);
  }

  /**
   * The optimizer's state for `vars` in Keras's `optimizer.variables` order, which is how Keras
   * lays it out in `optimizer/vars/0..`: iterations, learning rate, EMA averages (useEma), gradient
   * accumulators (gradientAccumulationSteps), then each variable's slots in slotSpecs() order
   * (Adam: m0, v0, m1, v1, ...), then globals (Nadam's u_product). Builds the state if needed.
   */
  stateVariables(session: Session, vars: readonly Variable[]): Variable[] {
    this.build(session, vars);
    const s = this.state as BuiltState;
    const per = vars.map((v) => s.perVariable.get(v.id) as VariableState);
    return [
      s.iterations, s.learningRate,
      ...per.flatMap((p) => (p.average === undefined ? [] : [p.average])),
      ...per.flatMap((p) => (p.accumulator === undefined ? [] : [p.accumulator])),
      ...per.flatMap((p) => p.slots),
      ...s.globals,
    ];
  }

  /** Updates applied so far (Keras's `optimizer.iterations`: batches over gradientAccumulationSteps). */
  get iterations(): number {
    const s = this.liveState();
    const batches = s === undefined ? 0 : s.session.view(s.iterations)[0];
    return Math.floor(batches / (this.gradientAccumulationSteps ?? 1));
  }

  /**
   * Keras's exclude_from_weight_decay: these variables, and any whose name contains a match of
   * one of `varNames` (regular expressions, as Keras's re.search), get no weight decay.
   */
  excludeFromWeightDecay(options: { readonly variables?: readonly Variable[]; readonly varNames?: readonly string[] }): void {
    checkKnownOptions(`${this.constructor.name}.excludeFromWeightDecay`, options, ['variables', 'varNames']);
    if (this.state !== undefined) throw new Error(`${this.constructor.name}: excludeFromWeightDecay() can only be configured before the optimizer is built.`);
    this.excludedIds = new Set((options.variables ?? []).map((v) => v.id));
    const names = options.varNames ?? [];
    this.excludedNames = names.length > 0 ? new RegExp(names.join('|')) : undefined;
  }

  private decays(v: Variable): boolean {
    if (this.weightDecay === undefined || this.excludedIds.has(v.id)) return false;
    return this.excludedNames === undefined || !this.excludedNames.test(v.label);
  }

  /** Slots of this optimizer, per slot name, e.g. ['momentum', 'velocity'] for Adam. */
  protected abstract slotSpecs(): readonly SlotSpec[];
  /** One variable's update: Keras's `update_step`, with every assignment returned as a new value. */
  protected abstract updateStep(input: StepIn): StepOut;
  /** Optimizer-wide scalar state (Nadam's u_product). */
  protected globalSpecs(): readonly SlotSpec[] {
    return [];
  }
  /** The optimizer-wide values after this step's own update (before the per-variable steps). */
  protected advanceGlobals(globals: readonly Node[], _step: Node): readonly Node[] {
    return globals;
  }

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
        globals: this.globalSpecs().map((spec) => session.createVariable(`${this.name}/${spec.name}`, [], 'float32', [spec.initial])),
        perVariable: new Map(),
      };
      this.state = s;
    }
    for (const v of vars) {
      if (s.perVariable.has(v.id)) continue;
      const make = (suffix: string, initial: number) => session.createVariable(`${this.name}/${v.label}_${suffix}`, v.shape, 'float32', new Float32Array(v.size).fill(initial));
      s.perVariable.set(v.id, {
        slots: this.slotSpecs().map((spec) => make(spec.name, spec.initial)),
        accumulator: this.gradientAccumulationSteps !== undefined ? make('gradient_accumulator', 0) : undefined,
        average: this.useEma ? make('average', 0) : undefined,
      });
    }
  }

  /** Variable updates of one step for gradients `grads` of `vars`; needs build() first. */
  applyGradients(grads: readonly Node[], vars: readonly Variable[], constraintOf?: (v: Variable) => ((w: Node) => Node) | undefined): Update[] {
    const s = this.liveState();
    if (s === undefined) throw new Error(`${this.constructor.name}: build() must be called before applyGradients()`);
    const states = vars.map((v) => {
      const st = s.perVariable.get(v.id);
      if (st === undefined) throw new Error(`${this.constructor.name}: variable '${v.label}' was not built`);
      return st;
    });
    const batches = ops.cast(s.iterations.node, 'float32');
    const accSteps = this.gradientAccumulationSteps;
    // Keras's `iterations`: updates applied so far; truncation is floor for these whole non-negative counts.
    const applied = accSteps === undefined ? batches : ops.cast(ops.cast(ops.divide(batches, accSteps), 'int32'), 'float32');
    const isUpdate = accSteps === undefined ? undefined : isMultiple(ops.add(batches, 1), accSteps);
    const lr = this.schedule !== undefined ? this.schedule.value(batches) : s.learningRate.node;
    const step = ops.add(applied, 1);

    let used = [...grads];
    if (isUpdate !== undefined) {
      used = grads.map((g, i) => ops.where(isUpdate, ops.divide(ops.add(g, states[i].accumulator!.node), accSteps!), g));
    }
    const clipped = this.clipGradients(used);
    const keep = (next: Node, old: Node) => (isUpdate === undefined ? next : ops.where(isUpdate, next, old));
    const updates: Update[] = [];
    const globals = this.advanceGlobals(s.globals.map((g) => g.node), step);
    s.globals.forEach((g, k) => {
      if (globals[k] !== g.node) updates.push({ variable: g.node, value: keep(globals[k], g.node) });
    });
    const newValues = vars.map((v, i) => {
      const st = states[i];
      let value: Node = v.node;
      if (this.decays(v)) value = ops.subtract(value, ops.multiply(ops.multiply(value, this.weightDecay!), lr));
      const out = this.updateStep({ grad: clipped[i], value, slots: st.slots.map((sl) => sl.node), lr, step, globals });
      st.slots.forEach((sl, k) => {
        if (out.slots[k] !== sl.node) updates.push({ variable: sl.node, value: keep(out.slots[k], sl.node) });
      });
      if (st.accumulator !== undefined) {
        updates.push({ variable: st.accumulator.node, value: ops.where(isUpdate!, 0, ops.add(grads[i], st.accumulator.node)) });
      }
      return keep(out.value, v.node);
    });
    vars.forEach((v, i) => {
      let value = newValues[i];
      const average = states[i].average;
      if (average !== undefined) {
        // The first average is the weights themselves (momentum 0 before any update was applied).
        const momentum = ops.multiply(ops.cast(ops.notEqual(applied, 0), 'float32'), this.emaMomentum);
        const nextAverage = ops.add(ops.multiply(momentum, average.node), ops.multiply(ops.subtract(1, momentum), value));
        updates.push({ variable: average.node, value: nextAverage });
        if (this.emaOverwriteFrequency !== undefined) value = ops.where(isMultiple(step, this.emaOverwriteFrequency), nextAverage, value);
      }
      // Keras applies constraints after the whole update, EMA overwrite included.
      const constrain = constraintOf?.(v);
      updates.push({ variable: v.node, value: constrain === undefined ? value : constrain(value) });
    });
    if (this.schedule !== undefined) updates.push({ variable: s.learningRate.node, value: this.schedule.value(ops.add(batches, 1)) });
    updates.push({ variable: s.iterations.node, value: ops.add(s.iterations.node, 1) });
    return updates;
  }

  /** Keras's finalize_variable_values, run at the end of fit(): with EMA, the weights become their averages. */
  finalizeVariableValues(vars: readonly Variable[]): void {
    const s = this.liveState();
    if (!this.useEma || s === undefined) return;
    for (const v of vars) {
      const average = s.perVariable.get(v.id)?.average;
      if (average !== undefined) s.session.write(v, s.session.read(average));
    }
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

  /** Keras's optimizer.built: its variables exist (in the current session). */
  get built(): boolean {
    return this.liveState() !== undefined;
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

  /** The subclass's own hyperparameters (camelCase), in Keras's config order. */
  protected ownConfig(): Record<string, unknown> {
    return {};
  }

  /** Keras 3's get_config(): what serialize_keras_object writes under "config", snake_case keys. */
  getConfig(): Record<string, Json> {
    const config: Record<string, Json> = {};
    // Keras names an optimizer left unnamed by its snake_case class name (its auto_name).
    config.name = this.name === this.defaultName ? toSnakeCase(this.constructor.name) : this.name;
    // Keras keeps the rate in a float32 variable, so its config holds the float32 value.
    config.learning_rate = this.schedule !== undefined ? serializeSchedule(this.schedule) : Math.fround(this.learningRate);
    const common: Record<string, unknown> = {
      weightDecay: this.weightDecay, clipnorm: this.clipnorm, globalClipnorm: this.globalClipnorm, clipvalue: this.clipvalue,
      useEma: this.useEma, emaMomentum: this.emaMomentum, emaOverwriteFrequency: this.emaOverwriteFrequency,
      lossScaleFactor: undefined, gradientAccumulationSteps: this.gradientAccumulationSteps,
    };
    for (const [k, v] of Object.entries({ ...common, ...this.ownConfig() })) {
      const key = snakeKey(k);
      if (!(key in config)) config[key] = toJson(v);
    }
    return config;
  }

  /** Keras 3's from_config(): an optimizer of this class from the config getConfig() (or Keras) wrote. */
  static fromConfig<T extends Optimizer>(this: new (options?: never) => T, config: JsonObject): T {
    const owner = `optimizer ${this.name}`;
    const Cls = this as unknown as new (o?: unknown) => T;
    checkConfigKeys(owner, config, Object.keys(new Cls().getConfig()));
    if (config.loss_scale_factor !== undefined && config.loss_scale_factor !== null) throw new Error(`${owner}: loss_scale_factor is not supported by keras-jit (no mixed precision)`);
    const options: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(config)) {
      if (v === null || k === 'loss_scale_factor' || k === 'name') continue;
      if (k === 'use_ema' && v === false) continue;
      if (k === 'ema_momentum' && config.use_ema !== true) continue;
      options[camelKey(k)] = k === 'learning_rate' && isJsonObject(v) ? deserializeSchedule(v) : v;
    }
    if (typeof config.name === 'string' && config.name !== toSnakeCase(this.name)) options.name = config.name;
    return new Cls(options);
  }
}

const snakeKey = (k: string): string => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`).replace(/beta(\d)/, 'beta_$1');
const camelKey = (k: string): string => k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const toJson = (v: unknown): Json => (v === undefined ? null : Array.isArray(v) ? v.map(toJson) : v as Json);

/** `count % n == 0` for a whole non-negative float32 count (the IR has no modulo). */
function isMultiple(count: Node, n: number): Node {
  const quotient = ops.cast(ops.cast(ops.divide(count, n), 'int32'), 'float32');
  return ops.equal(ops.multiply(quotient, n), count);
}
