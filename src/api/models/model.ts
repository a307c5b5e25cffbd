/**
 * The functional Model: the graph of layer calls between Keras inputs and outputs. It is a Layer
 * (callable on KerasTensors, nestable), a TraceableModel for the training engine (trace re-runs
 * every layer's call at concrete shapes), and delegates compile/fit/evaluate/predict to the engine.
 */
import type { Node } from '../../ir/node.js';
import { formatShape, type DType, type Shape } from '../../ir/types.js';
import type { Variable as StoredVariable } from '../../runtime/session.js';
import { getSession } from '../backend.js';
import type { LayerGraphNode, TraceResult } from '../engine-types.js';
import { noteStructureChange } from '../structure-epoch.js';
import type { CallNode, KerasTensor } from '../layers/keras-tensor.js';
import { isKerasTensor } from '../layers/keras-tensor.js';
import { Layer, type CallArgs } from '../layers/layer.js';
import { layerConfigHooks } from '../layers/config-hooks.js';
import type { SymbolicTensor } from '../ops.js';
import { evalEager } from '../eager.js';
import type { Tensor } from '../tensor.js';
import { withTrace } from '../trace-context.js';
import { compileModel, dumpModel, evaluateModel, fitModel, predictModel, type DumpOptions } from '../training/index.js';
import {
  evaluateStream, isBatchSource, predictOnBatch, predictStream, testOnBatch, trainOnBatch,
  type BatchResult, type BatchSource, type StreamEvaluateOptions, type TestOnBatchOptions, type TrainOnBatchOptions,
} from '../training/index.js';
import type { DataLike } from '../training/types.js';
import type { CompiledConfig, TrainableModel } from '../training/types.js';
import { printSummary, type SummaryOptions } from './summary.js';
import { buildTopology, type Topology } from './topology.js';
import { kerasLayerOrder } from '../saving/config/keras-order.js';

export interface ModelArgs {
  readonly inputs: KerasTensor | readonly KerasTensor[] | Readonly<Record<string, KerasTensor>>;
  readonly outputs: KerasTensor | readonly KerasTensor[];
  readonly name?: string;
  readonly trainable?: boolean;
}

type CompileConfig = Parameters<typeof compileModel>[1];
type FitArgs = Parameters<typeof fitModel>;
type EvaluateArgs = Parameters<typeof evaluateModel>;
type PredictArgs = Parameters<typeof predictModel>;

export class Model extends Layer implements TrainableModel {
  /** What compile() resolved (set by the training engine). */
  compiled: CompiledConfig | undefined;
  /** Set by callbacks to end fit() after the current batch. */
  stopTraining: boolean;
  /** The arguments of the last compile() (what a saved compile_config records). */
  compileOptions: CompileConfig | undefined;
  protected graphInputs: KerasTensor[];
  protected graphOutputs: KerasTensor[];
  private topologyCache: Topology | undefined;
  private kerasOrderCache: Layer[] | undefined;
  private graphVersionCounter = 0;
  /** The inputs' names, shapes and dtypes of the current graph: read on every predict call. */
  private inputFacts: { names: readonly string[]; shapes: readonly Shape[]; dtypes: readonly DType[] } | undefined;

  /** `new Model({ inputs, outputs })`; subclasses (Sequential) may define the graph later. */
  constructor(args?: ModelArgs | { readonly name?: string; readonly trainable?: boolean }) {
    super({ name: args?.name, trainable: args?.trainable });
    this.compiled = undefined;
    this.stopTraining = false;
    this.compileOptions = undefined;
    this.graphInputs = [];
    this.graphOutputs = [];
    this.topologyCache = undefined;
    if (args !== undefined && 'inputs' in args) this.setGraph(args.inputs, args.outputs);
  }

  override get className(): string {
    return this.constructor === Model ? 'Functional' : this.constructor.name;
  }
  protected override defaultNamePrefix(): string {
    return this.constructor === Model ? 'functional' : super.defaultNamePrefix();
  }

  /** (Re)defines the graph; checks that every output is computable from the inputs. */
  protected setGraph(inputs: ModelArgs['inputs'], outputs: ModelArgs['outputs']): void {
    const ins = isKerasTensor(inputs) ? [inputs] : Array.isArray(inputs) ? [...inputs] : Object.values(inputs);
    const outs = isKerasTensor(outputs) ? [outputs] : [...(outputs as readonly KerasTensor[])];
    for (const t of [...ins, ...outs]) {
      if (!isKerasTensor(t)) {
        throw new TypeError(`Model "${this.name}": inputs and outputs must be KerasTensors (from Input() and layer calls), got ${String(t)}`);
      }
    }
    if (ins.length === 0) throw new Error(`Model "${this.name}": a functional model needs at least one input`);
    this.topologyCache = buildTopology(ins, outs);
    this.kerasOrderCache = undefined;
    this.inputFacts = undefined;
    this.graphVersionCounter++;
    noteStructureChange();
    this.graphInputs = ins;
    this.graphOutputs = outs;
    this.built = true;
  }

  /** Keras 3's model.to_json(): serialize_keras_object(model) as a JSON string. */
  toJSON(): string {
    return JSON.stringify(layerConfigHooks().serialize(this));
  }

  /** The layer graph; throws Keras's error for a model whose graph is not defined yet. */
  get topology(): Topology {
    if (this.topologyCache === undefined) {
      throw new Error(`This model "${this.name}" has not yet been built. Build the model first by calling \`build()\` or by calling the model on a batch of data.`);
    }
    return this.topologyCache;
  }
  get isGraphBuilt(): boolean {
    return this.topologyCache !== undefined;
  }
  get inputs(): KerasTensor[] {
    this.topology;
    return [...this.graphInputs];
  }
  get outputs(): KerasTensor[] {
    this.topology;
    return [...this.graphOutputs];
  }

  /**
   * All layers, Input layers included, in Keras 3's order (its functional map_graph order, which is
   * also the order of a saved config and of getWeights()), not the execution order of the topology.
   */
  get layers(): Layer[] {
    if (!this.isGraphBuilt) return [];
    this.kerasOrderCache ??= kerasLayerOrder(this.graphInputs, this.graphOutputs);
    return [...this.kerasOrderCache];
  }

  /**
   * Saves the whole model: `.keras` (Keras 3 zip) or `.h5` / `.hdf5` (legacy Keras HDF5), with the
   * compile state and (includeOptimizer, default true) the optimizer's state. Atomic.
   */
  async save(path: string, options?: { readonly overwrite?: boolean; readonly includeOptimizer?: boolean }): Promise<void> {
    // Imported on use: the saving code imports the model classes.
    const { saveModel } = await import('../saving/model-files.js');
    await saveModel(this, path, options);
  }

  /**
   * Writes the weights: `.weights.h5` in Keras 3's layout, `.h5` / `.hdf5` in the legacy one.
   * Atomic: a temporary file in the same directory, renamed over `path`.
   */
  async saveWeights(path: string): Promise<void> {
    // Imported on use: the saving code imports the model classes.
    const { saveWeightsFile } = await import('../saving/weights/files.js');
    await saveWeightsFile(this, path);
  }

  /** Loads `.weights.h5`, legacy `.h5` or `.keras` weights; all or nothing (a mismatch changes no weight). */
  async loadWeights(path: string, options?: { readonly skipMismatch?: boolean }): Promise<void> {
    const { loadWeightsFile } = await import('../saving/weights/files.js');
    await loadWeightsFile(this, path, options);
  }

  /** A layer by name, or by index into `layers`. */
  getLayer(nameOrIndex: string | number): Layer {
    const layers = this.layers;
    if (typeof nameOrIndex === 'number') {
      const l = layers[nameOrIndex];
      if (l === undefined) throw new Error(`Was asked to retrieve layer at index ${nameOrIndex} but model only has ${layers.length} layers.`);
      return l;
    }
    const l = layers.find((x) => x.name === nameOrIndex);
    if (l === undefined) throw new Error(`No such layer: ${nameOrIndex}. Existing layers are: [${layers.map((x) => `'${x.name}'`).join(', ')}].`);
    return l;
  }

  protected override trackedLayers(): Layer[] {
    return this.layers;
  }

  // ---- the TraceableModel seam ----
  get graphVersion(): number {
    return this.graphVersionCounter;
  }
  private get facts(): NonNullable<Model['inputFacts']> {
    if (this.inputFacts !== undefined) return this.inputFacts;
    const ins = this.inputs;
    this.inputFacts = { names: ins.map((t) => t.history.layer.name), shapes: ins.map((t) => t.shape), dtypes: ins.map((t) => t.dtype) };
    return this.inputFacts;
  }
  get inputNames(): readonly string[] {
    return this.facts.names;
  }
  get inputShapes(): readonly Shape[] {
    return this.facts.shapes;
  }
  get inputDtypes(): readonly DType[] {
    return this.facts.dtypes;
  }
  get outputNames(): string[] {
    return this.outputs.map((t) => t.history.layer.name);
  }
  get outputShapes(): Shape[] {
    return this.outputs.map((t) => t.shape);
  }

  /**
   * Re-runs every layer's call on `inputs` (concrete shapes). A learning phase forced with
   * `backend.setLearningPhase` overrides `training`.
   */
  trace(inputs: readonly Node[], training: boolean, seed: Node): TraceResult {
    const phase = getSession().learningPhase;
    const ctx = { training: phase === undefined ? training : phase === 1, seed, updates: [], losses: [] as Node[] };
    const out = withTrace(ctx, () => this.runGraph(inputs, ctx.training));
    return { outputs: out, updates: ctx.updates, losses: [...ctx.losses, ...this.weightPenalties()] };
  }

  /** Keras's weight regularization losses: one penalty per trainable weight with a regularizer. */
  private weightPenalties(): Node[] {
    return this.trainableWeights.flatMap((w) => (w.regularizer !== undefined ? [w.regularizer.penalty(w.node)] : []));
  }

  /**
   * Keras's model.losses, evaluated now: the weight regularization penalties. Activity penalties
   * and addLoss() losses depend on a batch, so they exist only inside the training step.
   */
  get losses(): Tensor[] {
    return this.trainableWeights.flatMap((w) => (w.regularizer !== undefined ? [evalEager((value) => w.regularizer!.penalty(value), [w.numpy()])] : []));
  }

  constraintOf(v: StoredVariable): ((w: Node) => Node) | undefined {
    const constraint = this.trainableWeights.find((w) => w.stored === v)?.constraint;
    return constraint === undefined ? undefined : (w) => constraint.apply(w);
  }

  trainableVariables(): StoredVariable[] {
    return this.trainableWeights.map((w) => w.stored);
  }

  /** Runs the graph on symbolic tensors: what a call of this model (as a layer) computes. */
  override call(inputs: SymbolicTensor | readonly SymbolicTensor[], { training }: CallArgs): SymbolicTensor | SymbolicTensor[] {
    const outs = this.runGraph(Array.isArray(inputs) ? inputs : [inputs as SymbolicTensor], training);
    return outs.length === 1 ? outs[0] : outs;
  }

  protected runGraph(inputs: readonly Node[], training: boolean): Node[] {
    const { nodes } = this.topology;
    const modelInputs = this.graphInputs;
    if (inputs.length !== modelInputs.length) {
      throw new Error(`Model "${this.name}" expects ${modelInputs.length} input(s), but it received ${inputs.length} input tensors.`);
    }
    const values = new Map<KerasTensor, Node>();
    modelInputs.forEach((t, i) => {
      const x = inputs[i];
      const expected = t.shape;
      const ok = x.shape.length === expected.length && expected.every((d, k) => d === null || x.shape[k] === null || d === x.shape[k]);
      if (!ok) {
        throw new Error(`Input ${i} of model "${this.name}" is incompatible: expected shape ${formatShape(expected)}, but received input with shape ${formatShape(x.shape)}`);
      }
      values.set(t, x);
    });
    for (const node of nodes) {
      // Input layers, and the producers of tensors the model takes as inputs, are fed, not run.
      if (node.inputs.length === 0 || node.outputs.every((t) => values.has(t))) continue;
      const args = node.inputs.map((t) => values.get(t)!);
      const out = node.layer.invoke(node.inputsIsList ? args : args[0], node.training ?? training, node.kwargs);
      const outs = Array.isArray(out) ? out : [out as Node];
      node.outputs.forEach((t, i) => values.set(t, outs[i]));
    }
    return this.graphOutputs.map((t) => values.get(t)!);
  }

  // ---- introspection ----
  /** One entry per layer, for summary() and plotModel(). */
  layerGraph(): LayerGraphNode[] {
    const { nodes, layers } = this.topology;
    const inGraph = new Set(nodes);
    return layers.map((layer) => {
      const calls = layer.inboundNodes.filter((n) => inGraph.has(n));
      const first = calls[0];
      return {
        name: layer.name,
        className: layer.className,
        inputShapes: first.inputs.map((t) => t.shape),
        outputShapes: first.outputs.map((t) => t.shape),
        inbound: calls.flatMap((n) => n.inputs.map((t) => t.history.layer.name)),
        params: layer.countParams(),
      };
    });
  }

  /** The layers summary() lists. */
  summaryLayers(): readonly Layer[] {
    return this.layers;
  }
  summaryNodes(): readonly CallNode[] {
    return this.isGraphBuilt ? this.topology.nodes : [];
  }
  get isSequential(): boolean {
    return false;
  }

  /** Sizes of the compiled optimizer's variables once it is built (it is not built here). */
  optimizerVariableSizes(): readonly number[] | undefined {
    const optimizer = this.compiled?.optimizer;
    if (optimizer === undefined || !optimizer.built) return undefined;
    return optimizer.stateVariables(getSession(), this.trainableVariables()).map((v) => v.shape.reduce((a, b) => a * b, 1));
  }

  /** Prints the Keras summary table (to the console, or line by line to `printFn`). */
  summary(options: SummaryOptions = {}): void {
    printSummary(this, options);
  }

  /**
   * What keras-jit compiles for this model, as text: `dump({ graph: 'train', stage: 'fused' })`.
   * Stages 'ir', 'optimized', 'fused', 'code'; `format: 'dot'` for Graphviz. Runs nothing.
   */
  dump(options?: DumpOptions): string {
    return dumpModel(this, options);
  }

  // ---- training, delegated to the engine ----
  compile(config: CompileConfig): ReturnType<typeof compileModel> {
    const result = compileModel(this, config);
    // Kept as given: Keras's compile_config records compile()'s arguments, not what they resolved to.
    this.compileOptions = config;
    return result;
  }
  fit(x: FitArgs[1], y?: FitArgs[2], options?: FitArgs[3]): ReturnType<typeof fitModel> {
    return fitModel(this, x, y, options);
  }
  /** TF.js's spelling of fit on streamed batches. */
  fitDataset(dataset: BatchSource, options?: FitArgs[3]): ReturnType<typeof fitModel> {
    return fitModel(this, dataset, undefined, options);
  }
  /** In-memory data evaluates synchronously; streamed batches (y undefined) give a Promise. */
  evaluate(x: EvaluateArgs[1], y?: EvaluateArgs[2], options?: EvaluateArgs[3]): ReturnType<typeof evaluateModel>;
  evaluate(x: BatchSource, y?: undefined, options?: StreamEvaluateOptions): Promise<number | number[]>;
  evaluate(x: EvaluateArgs[1] | BatchSource, y?: EvaluateArgs[2], options?: EvaluateArgs[3] | StreamEvaluateOptions): ReturnType<typeof evaluateModel> | Promise<number | number[]> {
    if (isBatchSource(x)) {
      if (y !== undefined) throw new Error('evaluate: with streamed data the targets come in the batches ([x, y]); y must be undefined');
      return evaluateStream(this, x, options as StreamEvaluateOptions);
    }
    return evaluateModel(this, x, y, options as EvaluateArgs[3]);
  }
  /** TF.js's spelling of evaluate on streamed batches. */
  evaluateDataset(dataset: BatchSource, options?: StreamEvaluateOptions): Promise<number | number[]> {
    return evaluateStream(this, dataset, options);
  }
  predict(x: PredictArgs[1], options?: PredictArgs[2]): ReturnType<typeof predictModel>;
  predict(x: BatchSource, options?: StreamEvaluateOptions): Promise<Tensor | Tensor[]>;
  predict(x: PredictArgs[1] | BatchSource, options?: PredictArgs[2] | StreamEvaluateOptions): ReturnType<typeof predictModel> | Promise<Tensor | Tensor[]> {
    if (isBatchSource(x)) return predictStream(this, x, options as StreamEvaluateOptions);
    return predictModel(this, x, options as PredictArgs[2]);
  }
  trainOnBatch(x: DataLike, y?: DataLike, options?: TrainOnBatchOptions): Promise<BatchResult> {
    return trainOnBatch(this, x, y, options);
  }
  testOnBatch(x: DataLike, y?: DataLike, options?: TestOnBatchOptions): BatchResult {
    return testOnBatch(this, x, y, options);
  }
  predictOnBatch(x: DataLike): Tensor | Tensor[] {
    return predictOnBatch(this, x);
  }
}

