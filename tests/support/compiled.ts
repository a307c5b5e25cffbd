/**
 * Runs a graph compiled (generated kernels over the session memory) and on the reference
 * interpreter from the same inputs and variable values, and reports the worst relative error.
 */
import * as B from '../../src/ir/build.js';
import type { Graph } from '../../src/ir/graph.js';
import { interpret, refContext } from '../../src/ir/interpret.js';
import type { Node } from '../../src/ir/node.js';
import type { RefTensor } from '../../src/ir/ops/rule.js';
import { concrete, sizeOf } from '../../src/ir/types.js';
import { compiledProgram } from '../../src/runtime/compiled.js';
import type { TierName as Tier } from '../../src/runtime/tiers/index.js';
import { Session, type Variable } from '../../src/runtime/session.js';

export interface Comparison {
  readonly maxRelError: number;
  readonly kernels: number;
  readonly worst: string;
  /** The compiled kernels' names, in run order (to check which tier ran a group). */
  readonly names: readonly string[];
}

export interface Feed {
  readonly node: Node<'input'>;
  readonly data: ArrayLike<number>;
}

/**
 * Relative to the largest finite magnitude of the reference output, so tiny values do not
 * dominate (and a NaN or an infinity among the expected values neither poisons nor swamps it).
 */
export function relError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let scale = 0;
  for (let i = 0; i < expected.length; i++) if (Number.isFinite(expected[i])) scale = Math.max(scale, Math.abs(expected[i]));
  scale = Math.max(scale, 1e-6);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i], e = expected[i];
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    if (e === a) continue;
    const err = Number.isFinite(e) ? Math.abs(a - e) / scale : Infinity;
    worst = Math.max(worst, Number.isNaN(err) ? Infinity : err);
  }
  return worst;
}

/** `tier` defaults to the process's default tier (KERAS_JIT_BACKEND). */
export function compareCompiled(graph: Graph, feeds: readonly Feed[], session: Session, seed?: { node: Node<'input'>; value: number }, tier?: Tier): Comparison {
  // Variables are read before the compiled run updates them in place.
  const sources = new Map<Node, RefTensor>();
  for (const f of feeds) sources.set(f.node, { shape: concrete(f.node.shape, 'feed'), data: Float64Array.from(f.data) });
  if (seed !== undefined) sources.set(seed.node, { shape: [], data: Float64Array.of(seed.value) });
  const vars = new Set<Node<'variable'>>();
  const visit = (n: Node, seen: Set<Node>) => {
    if (seen.has(n)) return;
    seen.add(n);
    if (n.op === 'variable') vars.add(n as Node<'variable'>);
    n.inputs.forEach((i) => visit(i, seen));
  };
  const seen = new Set<Node>();
  [...graph.outputs, ...graph.updates.map((u) => u.value), ...graph.updates.map((u) => u.variable)].forEach((n) => visit(n, seen));
  for (const v of vars) {
    const storage: Variable = session.variableOf(v);
    sources.set(v, { shape: storage.shape, data: Float64Array.from(session.view(storage)) });
  }
  const expected = interpret(graph, refContext(sources));

  const program = compiledProgram({ name: 'test', inputs: feeds.map((f) => f.node), graph, seed: seed?.node }, session, tier);
  feeds.forEach((f, i) => program.input(i).set(f.data));
  program.run(seed?.value ?? 0);
  let maxRelError = 0;
  let worst = '';
  const note = (what: string, err: number) => {
    if (err > maxRelError || (Number.isNaN(err))) { maxRelError = err; worst = what; }
  };
  graph.outputs.forEach((n, i) => note(`output ${i} (${n.op})`, relError(program.output(i), expected.outputs[i].data)));
  graph.updates.forEach((u, i) => note(`update ${i} (${u.variable.attrs.label})`, relError(session.view(session.variableOf(u.variable)), expected.updates[i].data)));
  const kernels = program.stats.kernels;
  const names = program.parts.calls.map((c) => c.name);
  program.dispose();
  return { maxRelError, kernels, worst, names };
}

export function randomData(n: number, r: () => number, lo = -1, hi = 1): Float32Array {
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * r());
}

export function makeVariable(session: Session, label: string, shape: number[], r: () => number, lo = -1, hi = 1): Variable {
  return session.createVariable(label, shape, 'float32', randomData(sizeOf(shape), r, lo, hi));
}

/**
 * RMSprop updates of one variable pair per shape, as an optimizer writes them: v' = 0.9 v + 0.1 g^2,
 * w' = w - lr g / (sqrt(v') + 1e-7), with the gradients as inputs.
 */
export function rmspropGraph(session: Session, shapes: readonly (readonly number[])[], r: () => number): { graph: Graph; feeds: Feed[] } {
  const lr = makeVariable(session, 'lr', [], r, 0.01, 0.1);
  const feeds: Feed[] = [];
  const updates: { variable: Node<'variable'>; value: Node }[] = [];
  shapes.forEach((shape, i) => {
    const w = makeVariable(session, `w${i}`, [...shape], r), v = makeVariable(session, `v${i}`, [...shape], r, 0, 1);
    const g = B.input(`g${i}`, [...shape]);
    feeds.push({ node: g, data: randomData(sizeOf(shape), r) });
    const v2 = B.add(B.multiply(0.9, v.node), B.multiply(0.1, B.multiply(g, g)));
    updates.push({ variable: v.node, value: v2 }, { variable: w.node, value: B.subtract(w.node, B.divide(B.multiply(lr.node, g), B.add(B.sqrt(v2), 1e-7))) });
  });
  return { graph: { outputs: [], updates }, feeds };
}
