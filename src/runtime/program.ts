import type { Graph } from '../ir/graph.js';
import type { Node } from '../ir/node.js';
import type { TypedArray } from './buffers.js';
import type { ProgramProfile } from './profile.js';

/** What to compile: the graph, which inputs the caller feeds (in order), and the step's seed input. */
export interface ProgramSpec {
  /** What the program is for (`train`, `predict`, ...): shown in debug lines and dumps, never in code. */
  readonly name: string;
  readonly inputs: readonly Node<'input'>[];
  readonly graph: Graph;
  /** The int32 scalar input that random ops read; the session fills it with a fresh seed every run. */
  readonly seed?: Node<'input'>;
}

export interface ProgramStats {
  readonly kernels: number;
  readonly arenaBytes: number;
  readonly compileMs: number;
}

/**
 * A compiled step. Callers write each input into `input(i)` (a view of its buffer), call `run()`,
 * then read `output(i)` (a view valid until the next run). Updates to variables are applied in
 * place by `run()`. Steady-state runs allocate nothing.
 */
export interface Program {
  readonly spec: ProgramSpec;
  readonly stats: ProgramStats;
  /** Per-kernel times, recorded by runs while KERAS_JIT_DEBUG >= 2 (absent for the interpreter). */
  readonly profile?: ProgramProfile;
  input(i: number): TypedArray;
  run(seed: number): void;
  output(i: number): TypedArray;
  dispose(): void;
}
