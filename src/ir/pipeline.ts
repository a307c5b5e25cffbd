/**
 * The compile pipeline (docs/ARCHITECTURE.md, "Stages"), as one pure function that compiling and
 * every dump call, so a dump shows the very graphs and plans a compiled program is made of.
 *
 *   traced → numberStreams → simplify → pruneUpdates → fuse → planMemory
 *
 * Common subexpressions need no pass: nodes are interned, so a rewrite that makes two nodes equal
 * makes them one. Nodes nothing reads need none either: fusion walks the graph from its outputs
 * and updates (dce.ts, liveNodes), so they are never scheduled.
 */
import { pruneUpdates } from './dce.js';
import { fuse, type FusionPlan } from './fusion.js';
import type { Graph } from './graph.js';
import { planMemory, type MemoryPlan } from './memory-plan.js';
import type { Node } from './node.js';
import { simplify } from './simplify.js';
import { numberStreams } from './streams.js';

/** The graph after each graph-to-graph pass. */
export interface GraphStages {
  /** As traced: with gradients and updates; random streams carry a global counter's numbers. */
  readonly traced: Graph;
  /** Random streams numbered by their order in the graph, so they depend on its structure alone. */
  readonly numbered: Graph;
  /** After constant folding and algebraic identities. */
  readonly simplified: Graph;
  /** After dead code: updates that write a variable back unchanged are dropped. What fusion reads. */
  readonly optimized: Graph;
}

export interface PipelineStages extends GraphStages {
  /** The kernels of the optimized graph and the nodes that live in buffers. */
  readonly fusion: FusionPlan;
  /** The kernels in run order, in-place updates and the arena layout. */
  readonly memory: MemoryPlan;
}

/** The graph passes alone: what the 'ir' and 'optimized' dumps print, without compiling. */
export function optimizeGraph(traced: Graph): GraphStages {
  const numbered = numberStreams(traced);
  const simplified = simplify(numbered);
  return { traced, numbered, simplified, optimized: pruneUpdates(simplified) };
}

/**
 * Every stage from the traced graph to the memory plan. `fedInputs` are the nodes the caller
 * writes before the first kernel (inputs and the step's seed): their buffers live throughout.
 */
export function runPipeline(traced: Graph, fedInputs: readonly Node[]): PipelineStages {
  const graph = optimizeGraph(traced);
  const fusion = fuse(graph.optimized);
  return { ...graph, fusion, memory: planMemory(graph.optimized, fusion, fedInputs) };
}
