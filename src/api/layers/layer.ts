/**
 * The Layer base class. Instances are callable as in Keras (`new Dense(10)(x)`): called on
 * KerasTensors they build themselves, trace `call` with the batch still None (shape inference)
 * and record the call for the functional graph; called on symbolic tensors (inside a model's
 * trace, or inside another layer's `call`) they just run `call` in the current trace.
 */
import { formatShape, type DType, type Shape } from '../../ir/types.js';
import { getSession } from '../backend.js';
import { getConstraint, type ConstraintIdentifier } from '../constraints.js';
import * as initializers from '../initializers.js';
import { toSnakeCase, uniqueName } from '../naming.js';
import * as ops from '../ops.js';
import { isSymbolicTensor, type SymbolicTensor } from '../ops.js';
import { getRegularizer, type Regularizer, type RegularizerIdentifier } from '../regularizers.js';
import { Tensor } from '../tensor.js';
import { currentTrace, symbolicSeed, withTrace } from '../trace-context.js';
import { layerConfigHooks, type LayerConfig } from './config-hooks.js';
import { assertInputCompatibility, type InputSpec } from './input-spec.js';
import { CallNode, isKerasTensor, KerasTensor } from './keras-tensor.js';
import { getKerasMask, setKerasMask, type CallMask } from './masks.js';
import { Variable } from './variable.js';
import { noteStructureChange } from '../structure-epoch.js';

export interface LayerArgs {
  readonly name?: string;
  readonly trainable?: boolean;
  /** Shape of one sample (no batch); makes this layer the input of a Sequential model. */
  readonly inputShape?: readonly (number | null)[];
  readonly batchInputShape?: readonly (number | null)[];
  readonly batchSize?: number;
  readonly dtype?: DType;
  /** A penalty of each output (over the batch size), added to the training loss. */
  readonly activityRegularizer?: RegularizerIdentifier;
}

/** What `call` receives besides its inputs. */
export interface CallArgs {
  readonly training: boolean;
  /** The call's non-tensor keyword arguments, when the layer's call signature has any (see splitCallArguments). */
  readonly kwargs?: CallKwargs;
  /** The inputs' Keras masks, given only to layers whose call takes one (`callTakesMask`) and only when an input has one. */
  readonly mask?: CallMask;
}
/** Non-tensor keyword arguments of one call (MultiHeadAttention's useCausalMask), recorded with the call so a model's trace repeats them. */
export type CallKwargs = Readonly<Record<string, unknown>>;
/** A call's arguments sorted into what the call machinery takes. */
export interface SplitCall {
  readonly inputs: KerasTensor | readonly KerasTensor[] | LayerInputs;
  readonly options?: CallOptions;
  readonly kwargs?: CallKwargs;
}
/** What a layer call may fix: the learning phase of this call. */
export interface CallOptions {
  readonly training?: boolean;
}

export interface AddWeightArgs {
  readonly name?: string;
  readonly shape?: readonly number[];
  readonly initializer?: initializers.InitializerIdentifier;
  readonly trainable?: boolean;
  readonly dtype?: DType;
  /** A penalty of the weight added to the training loss (and shown in model.losses). */
  readonly regularizer?: RegularizerIdentifier;
  /** A projection applied to the weight after each optimizer update. */
  readonly constraint?: ConstraintIdentifier;
}

type LayerInputs = SymbolicTensor | readonly SymbolicTensor[];
type LayerOutputs = SymbolicTensor | readonly SymbolicTensor[];

/** Raised inside a layer call; already names the layer, so enclosing layers pass it through. */
export class LayerCallError extends Error {
  override name = 'LayerCallError';
}

/** Layers are callable: on KerasTensors (functional API) or on symbolic tensors (inside call). */
export interface Layer {
  (inputs: KerasTensor | readonly KerasTensor[], options?: CallOptions): KerasTensor;
  (inputs: SymbolicTensor | readonly SymbolicTensor[], options?: CallOptions): SymbolicTensor;
}

export class Layer {
  /** Keras-style unique name: `dense`, `dense_1`, ... (per class, reset by clearSession). */
  declare name: string;
  declare private trainableSetting: boolean;
  declare built: boolean;
  /** Checked on every call; layers set it in the constructor or in build. */
  declare inputSpec: InputSpec | undefined;
  /** The input shape with batch given at construction (inputShape / batchInputShape), if any. */
  declare readonly batchInputShape: Shape | undefined;
  declare readonly dtype: DType;
  /** Every call of this layer on KerasTensors, in order. */
  declare readonly inboundNodes: CallNode[];
  declare protected readonly ownWeights: Variable[];
  declare activityRegularizer: Regularizer | undefined;
  /** The options object the layer was constructed with (what getConfig reads for options a layer does not keep). */
  declare readonly layerArgs: LayerArgs;
  /** Set by `supportsMasking = ...`; when never set, Keras's default: whether computeMask is overridden. */
  declare private supportsMaskingSetting: boolean | undefined;
  declare private warnedMaskDropped: boolean;

  constructor(args: LayerArgs = {}) {
    // The instance is a function (so it can be called) whose prototype is the subclass's.
    // Fields are assigned here rather than with initializers, which would land on the discarded `this`.
    const self = ((...args: unknown[]) => self.routeCall(args)) as unknown as Layer;
    Object.setPrototypeOf(self, new.target.prototype);
    // Arrow functions own a read-only `name`; redefine it as a plain writable property.
    Object.defineProperty(self, 'name', {
      value: args.name ?? uniqueName(self.defaultNamePrefix()),
      writable: true, enumerable: true, configurable: true,
    });
    Object.defineProperty(self, 'length', { value: 1, writable: true, enumerable: false, configurable: true });
    self.trainableSetting = args.trainable ?? true;
    self.activityRegularizer = getRegularizer(args.activityRegularizer);
    self.built = false;
    self.inputSpec = undefined;
    self.supportsMaskingSetting = undefined;
    self.warnedMaskDropped = false;
    const batchInputShape = args.batchInputShape ?? (args.inputShape ? [args.batchSize ?? null, ...args.inputShape] : undefined);
    Object.assign(self, { batchInputShape, dtype: args.dtype ?? 'float32', inboundNodes: [], ownWeights: [], layerArgs: args });
    return self;
  }

  /** Whether fit() updates this layer's weights (false freezes all of them, sublayers included). */
  get trainable(): boolean {
    return this.trainableSetting;
  }
  set trainable(value: boolean) {
    this.trainableSetting = value;
    noteStructureChange();
  }

  /**
   * Whether outputs carry a mask computed by computeMask (Keras 3 `supports_masking`). A layer
   * that does not support masking drops the mask of its inputs, with Keras's warning.
   */
  get supportsMasking(): boolean {
    return this.supportsMaskingSetting ?? this.computeMask !== Layer.prototype.computeMask;
  }
  set supportsMasking(value: boolean) {
    this.supportsMaskingSetting = value;
  }

  /** Whether `call` reads `mask` (Keras: a `mask` parameter in the call signature). */
  get callTakesMask(): boolean {
    return false;
  }

  /** The mask of the outputs (Keras's compute_mask): by default the input's mask, passed through. */
  computeMask(_inputs: LayerInputs, previousMask: CallMask): CallMask {
    return previousMask;
  }

  /** The Keras class name shown in summaries. */
  get className(): string {
    return this.constructor.name;
  }

  /** The name counter this class draws from (Keras: the snake_case class name). */
  protected defaultNamePrefix(): string {
    return toSnakeCase(this.constructor.name);
  }

  /** Creates the layer's weights once the input shape is known. */
  build(_inputShape: Shape | readonly Shape[]): void {}

  /** The layer's computation, written with `ops`. */
  call(inputs: LayerInputs, _args: CallArgs): LayerOutputs {
    return inputs;
  }

  /** Same as calling the layer. */
  apply(inputs: KerasTensor | readonly KerasTensor[], options?: CallOptions): KerasTensor;
  apply(inputs: LayerInputs, options?: CallOptions): SymbolicTensor;
  apply(...args: unknown[]): KerasTensor | KerasTensor[] | LayerOutputs {
    return this.routeCall(args);
  }

  /**
   * Sorts a call's arguments into inputs, call options and keyword arguments. The default is
   * Keras's `layer(inputs, { training })`; layers whose call takes several tensors and keywords
   * (MultiHeadAttention's `(query, value, { key, useCausalMask })`) override it, putting every
   * tensor in `inputs` and the rest in `kwargs`.
   */
  protected splitCallArguments(args: readonly unknown[]): SplitCall {
    return { inputs: args[0] as KerasTensor | LayerInputs, options: args[1] as CallOptions | undefined };
  }

  private routeCall(args: readonly unknown[]): KerasTensor | KerasTensor[] | LayerOutputs {
    const { inputs, options, kwargs } = this.splitCallArguments(args);
    return this.callLayer(inputs, options, kwargs);
  }

  /** Keras's add_weight: a variable in the default session, initialised on the host. */
  addWeight({ name, shape = [], initializer, trainable = true, dtype = 'float32', regularizer, constraint }: AddWeightArgs = {}): Variable {
    const weightName = name ?? `variable_${this.ownWeights.length}`;
    const init = initializers.get(initializer ?? (dtype === 'float32' ? 'glorot_uniform' : 'zeros'));
    const session = getSession();
    if (!shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new Error(`Layer "${this.name}": weight '${weightName}' needs a concrete shape, got ${formatShape(shape)}`);
    }
    session.checkVariableFits(`${this.name}/${weightName}`, shape, dtype);
    const values = init.generate(shape, session.nextInitSeed());
    const stored = session.createVariable(`${this.name}/${weightName}`, shape, dtype, values);
    const v = new Variable(weightName, `${this.name}/${weightName}`, stored, session, trainable);
    v.regularizer = getRegularizer(regularizer);
    v.constraint = getConstraint(constraint);
    this.ownWeights.push(v);
    noteStructureChange();
    return v;
  }

  /** Records a new value for a variable (moving statistics) in the current trace. */
  addUpdate(variable: Variable, value: SymbolicTensor): void {
    currentTrace().updates.push({ variable: variable.node, value });
  }

  /** Keras's add_loss: a scalar added to the training loss of the step being traced. */
  addLoss(loss: SymbolicTensor): void {
    if (!isSymbolicTensor(loss) || loss.shape.length !== 0) throw new Error(`Layer "${this.name}": addLoss() takes a scalar symbolic tensor (built with ops), got ${isSymbolicTensor(loss) ? `shape (${loss.shape.join(', ')})` : String(loss)}`);
    currentTrace().losses.push(ops.cast(loss, 'float32'));
  }

  /** Layers held in this layer's own properties (Keras tracks sublayers by attribute, so do we). */
  protected trackedLayers(): Layer[] {
    const found: Layer[] = [];
    // for-in over own keys rather than Object.values: the same properties in the same order without
    // an array of every field per call (predict counts a model's weights on every call).
    const self = this as unknown as Record<string, unknown>;
    for (const key in self) {
      if (!Object.prototype.hasOwnProperty.call(self, key)) continue;
      const value = self[key];
      if (value instanceof Layer && value !== this) found.push(value);
      else if (Array.isArray(value)) for (const v of value) if (v instanceof Layer && v !== this) found.push(v);
    }
    return found;
  }

  /** All weights: this layer's trainable then non-trainable ones, then its sublayers' (Keras order). */
  get weights(): Variable[] {
    const own = [...this.ownWeights.filter((w) => w.trainable), ...this.ownWeights.filter((w) => !w.trainable)];
    return dedupe([...own, ...this.trackedLayers().flatMap((l) => l.weights)]);
  }
  get trainableWeights(): Variable[] {
    if (!this.trainable) return [];
    return dedupe([...this.ownWeights.filter((w) => w.trainable), ...this.trackedLayers().flatMap((l) => l.trainableWeights)]);
  }
  get nonTrainableWeights(): Variable[] {
    if (!this.trainable) return this.weights;
    return dedupe([...this.ownWeights.filter((w) => !w.trainable), ...this.trackedLayers().flatMap((l) => l.nonTrainableWeights)]);
  }

  countParams(): number {
    return this.weights.reduce((n, w) => n + w.size, 0);
  }

  /** The weights' current values, as Tensors, in Keras order. */
  getWeights(): Tensor[] {
    return this.weights.map((w) => w.numpy());
  }

  setWeights(values: readonly Tensor[]): void {
    const weights = this.weights;
    if (values.length !== weights.length) {
      throw new Error(`You called setWeights(weights) on layer "${this.name}" with a weight list of length ${values.length}, but the layer was expecting ${weights.length} weights.`);
    }
    weights.forEach((w, i) => {
      const v = values[i];
      if (v.shape.length !== w.shape.length || v.shape.some((d, k) => d !== w.shape[k])) {
        throw new Error(`Layer ${this.name} weight shape ${formatShape(w.shape)} is not compatible with provided weight shape ${formatShape(v.shape)}.`);
      }
    });
    weights.forEach((w, i) => w.assign(values[i]));
  }

  /** The output KerasTensor of the layer's only call (Keras's `layer.output`). */
  get output(): KerasTensor | KerasTensor[] {
    const node = this.onlyNode('output');
    return node.outputs.length === 1 ? node.outputs[0] : [...node.outputs];
  }
  get input(): KerasTensor | KerasTensor[] {
    const node = this.onlyNode('input');
    return node.inputsIsList ? [...node.inputs] : node.inputs[0];
  }
  private onlyNode(what: string): CallNode {
    if (this.inboundNodes.length === 0) throw new Error(`The layer "${this.name}" has never been called and thus has no defined ${what}.`);
    return this.inboundNodes[0];
  }

  /**
   * How many of a call's input tensors the input spec describes: all of them by default; a layer
   * whose later tensors stand for keyword arguments (an RNN's initial_state) says fewer, since
   * Keras checks the spec against the first argument only.
   */
  protected inputsCheckedBySpec(count: number): number {
    return count;
  }

  /** Builds the layer for these input shapes if it is not built yet. */
  maybeBuild(shapes: Shape | readonly Shape[]): void {
    if (this.built) return;
    const copy = isShapeList(shapes) ? shapes.map((s) => [...s]) : [...shapes];
    try {
      this.build(copy);
    } catch (e) {
      throw wrap(e, this, isShapeList(shapes) ? shapes : [shapes], 'build');
    }
    this.built = true;
  }

  /**
   * Runs `call` on symbolic tensors in the current trace, checking inputs against the input spec
   * and naming this layer and the input shapes in any error.
   */
  invoke(inputs: LayerInputs, training: boolean, kwargs?: CallKwargs): LayerOutputs {
    const list = isNodeList(inputs) ? inputs : [inputs];
    const specChecked = list.slice(0, this.inputsCheckedBySpec(list.length));
    assertInputCompatibility(this.name, this.inputSpec, specChecked.map((x) => x.shape));
    this.maybeBuild(isNodeList(inputs) ? inputs.map((x) => x.shape) : inputs.shape);
    assertInputCompatibility(this.name, this.inputSpec, specChecked.map((x) => x.shape));
    // Keras's previous_mask: the masks riding with the inputs (one per input for a list).
    const inputMasks = list.map(getKerasMask);
    const hasMask = inputMasks.some((m) => m !== undefined);
    const previousMask: CallMask = !hasMask ? undefined : isNodeList(inputs) ? inputMasks : inputMasks[0];
    const args: CallArgs = { training, ...(kwargs === undefined ? {} : { kwargs }), ...(hasMask && this.callTakesMask ? { mask: previousMask } : {}) };
    let out: LayerOutputs;
    const nested = callDepth > 0;
    callDepth++;
    try {
      out = this.call(inputs, args);
    } catch (e) {
      throw wrap(e, this, list.map((x) => x.shape), 'call');
    } finally {
      callDepth--;
    }
    const outs = isNodeList(out) ? out : [out];
    if (!outs.every(isSymbolicTensor)) {
      throw new LayerCallError(`Layer "${this.name}" (${this.className}): call() must return a symbolic tensor or a list of them (built with ops), got ${String(out)}`);
    }
    this.setMaskMetadata(inputs, outs, previousMask, hasMask && !nested);
    // Keras divides an output's activity penalty by its batch size, so the strength does not depend on it.
    const activity = this.activityRegularizer;
    if (activity !== undefined) for (const o of outs) currentTrace().losses.push(o.shape.length > 0 ? ops.divide(activity.penalty(o), o.shape[0] ?? 1) : activity.penalty(o));
    return out;
  }

  /**
   * Keras's _set_mask_metadata: outputs without a mask get computeMask's; unsupported layers drop
   * masks, with Keras's warning (not for sublayers a layer's own call runs on its masked inputs,
   * as MultiHeadAttention's projections: the outer layer decides what the mask means there).
   */
  private setMaskMetadata(inputs: LayerInputs, outs: readonly SymbolicTensor[], previousMask: CallMask, warnIfDropped: boolean): void {
    if (!this.supportsMasking) {
      if (warnIfDropped && !this.warnedMaskDropped) {
        this.warnedMaskDropped = true;
        console.warn(`Layer '${this.name}' (of type ${this.className}) was passed an input with a mask attached to it. However, this layer does not support masking and will therefore destroy the mask information. Downstream layers will not see the mask.`);
      }
      return;
    }
    if (outs.every((o) => getKerasMask(o) !== undefined)) return;
    const computed = this.computeMask(inputs, previousMask);
    if (computed === undefined) return;
    const flat = Array.isArray(computed) ? computed : [computed as SymbolicTensor];
    outs.forEach((o, i) => {
      const m = flat[i];
      if (m !== undefined && getKerasMask(o) === undefined) setKerasMask(o, m);
    });
  }

  private callLayer(inputs: KerasTensor | readonly KerasTensor[] | LayerInputs, options: CallOptions = {}, kwargs?: CallKwargs): KerasTensor | KerasTensor[] | LayerOutputs {
    const list: readonly unknown[] = Array.isArray(inputs) ? inputs : [inputs];
    if (list.length > 0 && list.every(isKerasTensor)) return this.callFunctional(inputs as KerasTensor | readonly KerasTensor[], options, kwargs);
    if (list.length > 0 && list.every(isSymbolicTensor)) {
      return this.invoke(inputs as LayerInputs, options.training ?? currentTrace().training, kwargs);
    }
    const got = list.map((x) => (x instanceof Tensor ? 'a Tensor' : x === null || typeof x !== 'object' ? String(x) : (x as object).constructor.name));
    throw new TypeError(`Layer "${this.name}" (${this.className}) must be called on KerasTensors (from Input() or other layers) or, inside a layer's call(), on symbolic tensors; got ${got.join(', ') || 'nothing'}. To run a model on data use model.predict().`);
  }

  /** A call on KerasTensors: trace at batch None for the output shapes, and record the call. */
  private callFunctional(inputs: KerasTensor | readonly KerasTensor[], options: CallOptions, kwargs?: CallKwargs): KerasTensor | KerasTensor[] {
    const isList = Array.isArray(inputs);
    const list: readonly KerasTensor[] = isList ? inputs : [inputs as KerasTensor];
    const nodes = list.map((t) => t.node);
    const ctx = { training: options.training ?? false, seed: symbolicSeed(), updates: [], losses: [] };
    const out = withTrace(ctx, () => this.invoke(isList ? nodes : nodes[0], ctx.training, kwargs));
    const outNodes = isNodeList(out) ? out : [out];
    const nodeIndex = this.inboundNodes.length;
    const outputs = outNodes.map((n, tensorIndex) => new KerasTensor(n, { layer: this, nodeIndex, tensorIndex }));
    this.inboundNodes.push(new CallNode(this, list, outputs, isList, options.training, kwargs));
    return isNodeList(out) ? outputs : outputs[0];
  }

  /** Keras 3's get_config(): the snake_case dict Keras writes for this layer. */
  getConfig(): LayerConfig {
    return layerConfigHooks().getConfig(this);
  }

  /** Keras 3's from_config(): a new layer of this class from a config getConfig() (or Keras) wrote. */
  static fromConfig<T extends Layer>(this: abstract new (...args: never[]) => T, config: LayerConfig): T {
    return layerConfigHooks().fromConfig(this, config) as T;
  }

  toString(): string {
    return `<${this.className} name=${this.name}, built=${this.built}>`;
  }

  /** console.log shows the layer, not the function object that makes it callable. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

/** How many layer calls are running: a call made inside another layer's call is nested. */
let callDepth = 0;

function isShapeList(s: Shape | readonly Shape[]): s is readonly Shape[] {
  return s.length > 0 && Array.isArray(s[0]);
}
function isNodeList(x: LayerInputs | LayerOutputs): x is readonly SymbolicTensor[] {
  return Array.isArray(x);
}
function dedupe(ws: Variable[]): Variable[] {
  return [...new Set(ws)];
}

/** Prefixes an error with the layer that raised it and the shapes it received (once, innermost layer). */
function wrap(e: unknown, layer: Layer, shapes: readonly Shape[], stage: 'build' | 'call'): Error {
  if (e instanceof LayerCallError || (e instanceof Error && e.message.startsWith('Input ') && e.message.includes(' of layer "'))) return e;
  const message = e instanceof Error ? e.message : String(e);
  const err = new LayerCallError(`Exception encountered when calling layer "${layer.name}" (${layer.className}.${stage}()): ${message}. Received input shape${shapes.length === 1 ? '' : 's'}: ${shapes.map(formatShape).join(', ')}`);
  if (e instanceof Error) err.stack = `${err.name}: ${err.message}\n${e.stack?.split('\n').slice(1).join('\n') ?? ''}`;
  return err;
}
