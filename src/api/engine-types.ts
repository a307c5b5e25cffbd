/**
 * The seam between models (src/api/models, src/api/layers) and the training engine
 * (src/api/training): what the engine needs from a model to build and run its programs.
 */
import type { Graph, Update } from '../ir/graph.js';
import type { Node } from '../ir/node.js';
import type { DType, Shape } from '../ir/types.js';
import type { Variable } from '../runtime/session.js';

export interface TraceResult {
  /** One node per model output, computed from the given input nodes. */
  readonly outputs: readonly Node[];
  /** State updates made while tracing in the training phase (BatchNormalization's moving statistics). */
  readonly updates: readonly Update[];
  /** Scalar losses the model adds to the training loss (regularizers, addLoss). */
  readonly losses?: readonly Node[];
}

/** A model as the engine sees it: named inputs and outputs, traceable at concrete shapes. */
export interface TraceableModel {
  readonly name: string;
  readonly inputNames: readonly string[];
  /** Shapes with null for the batch dimension, as Keras prints them. */
  readonly inputShapes: readonly Shape[];
  readonly inputDtypes: readonly DType[];
  readonly outputNames: readonly string[];
  readonly outputShapes: readonly Shape[];
  /** Changes whenever the layer graph is redefined (Sequential.add/pop), so no program of an older graph runs. */
  readonly graphVersion: number;
  /**
   * Re-runs every layer's `call` on `inputs` (concrete shapes) in the given learning phase.
   * `seed` is the int32 scalar input random ops (Dropout) draw from.
   */
  trace(inputs: readonly Node[], training: boolean, seed: Node): TraceResult;
  /** Trainable variables in Keras weight order. */
  trainableVariables(): readonly Variable[];
  /** The projection a weight's constraint applies after each update, if it has one. */
  constraintOf?(v: Variable): ((w: Node) => Node) | undefined;
}

export type { Graph };

/** A model's layer graph, for summary() and plotModel(): one entry per layer, in creation order. */
export interface LayerGraphNode {
  readonly name: string;
  readonly className: string;
  /** Input shapes (null batch), one per inbound tensor; empty for Input layers' own input. */
  readonly inputShapes: readonly Shape[];
  readonly outputShapes: readonly Shape[];
  /** Names of the layers feeding this one, in call order. */
  readonly inbound: readonly string[];
  readonly params: number;
}
