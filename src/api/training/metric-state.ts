/**
 * Where compiled stateful metrics keep their state: session variables, one set per
 * (compilation, graph kind, output, metric slot), shared by the programs of every batch size of
 * that kind, so a last partial batch adds to the same totals. fit() and evaluate() zero them at
 * the start of each epoch or pass; the compiled step adds each batch's increments.
 */
import type { Update } from '../../ir/graph.js';
import type { Node } from '../../ir/node.js';
import type { Shape } from '../../ir/types.js';
import type { Session, Variable } from '../../runtime/session.js';
import { StatefulMetric } from '../metrics/stateful.js';
import * as ops from '../ops.js';
import type { CompiledConfig } from './types.js';

export interface MetricSlot {
  readonly metric: StatefulMetric;
  readonly session: Session;
  readonly variables: readonly Variable[];
}

const slots = new WeakMap<CompiledConfig, Map<string, MetricSlot>>();

/**
 * The state of the metric in `key`'s slot, made on first use. A metric named by a string is a
 * fresh object each time the graph is built, so `fromString` keeps the slot's first object.
 */
export function metricSlot(session: Session, compiled: CompiledConfig, key: string, fresh: StatefulMetric, fromString: boolean, yTrueShape: Shape, yPredShape: Shape): MetricSlot {
  let bySlot = slots.get(compiled);
  if (bySlot === undefined) slots.set(compiled, (bySlot = new Map()));
  const found = bySlot.get(key);
  const metric = fromString && found !== undefined ? found.metric : fresh;
  const specs = metric.stateSpecs(yTrueShape, yPredShape);
  const sameShapes = (s: MetricSlot) => s.variables.length === specs.length && s.variables.every((v, i) => v.shape.join() === specs[i].shape.join());
  if (found !== undefined && found.session === session && found.metric === metric && sameShapes(found)) return found;
  const variables = specs.map((spec) => session.createVariable(`${metric.name}/${spec.name}`, spec.shape as number[], 'float32', new Float32Array(spec.shape.reduce((a, d) => a * d, 1))));
  const slot = { metric, session, variables };
  bySlot.set(key, slot);
  return slot;
}

/** The updates adding a batch's increments to a slot's states. */
export function metricUpdates(slot: MetricSlot, yTrue: Node, yPred: Node, sampleWeight?: Node): Update[] {
  const incs = slot.metric.increments(yTrue, yPred, sampleWeight);
  return slot.variables.map((v, i) => ({ variable: v.node, value: ops.add(v.node, ops.reshape(incs[i], v.shape as number[])) }));
}

export function resetSlot(slot: MetricSlot): void {
  for (const v of slot.variables) slot.session.write(v, new Float32Array(v.size));
}

export function slotResult(slot: MetricSlot): number[] {
  return slot.metric.resultOf(slot.variables.map((v) => slot.session.read(v)));
}
