import { kernelBytes, kernelFlops } from '../ir/cost.js';
import type { FusedKernel } from '../ir/fusion.js';
import type { Graph } from '../ir/graph.js';
import { bufferBytes, type MemoryPlan, type Placement } from '../ir/memory-plan.js';
import type { Node } from '../ir/node.js';
import { IndexRangeError } from '../ir/ops/indexing.js';
import { runPipeline } from '../ir/pipeline.js';
import { concrete, sizeOf } from '../ir/types.js';
import { bytesPerElement, viewOf, type TypedArray } from './buffers.js';
import { debugLevel } from './debug.js';
import { ProgramProfile } from './profile.js';
import type { Program, ProgramSpec } from './program.js';
import type { Memory } from './memory.js';
import type { Session } from './session.js';
import { defaultTier, lowerKernel, type TierName } from './tiers/index.js';
import type { Call } from './tiers/tier.js';

/** Everything a compiled program is made of, kept for dumps and profiles. */
export interface CompiledParts {
  readonly graph: Graph;
  readonly plan: MemoryPlan;
  readonly calls: readonly { readonly kernel: FusedKernel; readonly name: string; readonly source: string; readonly buffers: readonly Node[] }[];
  readonly arenaOffset: number;
}

/** A variable returned as an output and updated by the same program: its value before the step, copied aside. */
interface Snapshot { readonly node: Node; readonly from: number; readonly to: number; readonly bytes: number }
/** An update that could not be written in place: copied into its variable after the last kernel (element offsets). */
interface UpdateCopy { readonly dtype: Node['dtype']; readonly from: number; readonly to: number; readonly length: number }

/**
 * Compiles a program: the graph passes and memory plan of ir/pipeline.ts, then one call per fused
 * kernel on the tier; runs it as a flat list of calls over the session memory. A steady-state run
 * allocates nothing.
 */
export function compiledProgram(spec: ProgramSpec, session: Session, tier: TierName = defaultTier()): Program & { readonly parts: CompiledParts } {
  const started = performance.now();
  const fed = spec.seed !== undefined ? [...spec.inputs, spec.seed] : [...spec.inputs];
  const { optimized: graph, memory: plan } = runPipeline(spec.graph, fed);
  const lowered = plan.kernels.map((k) => lowerKernel(k, tier));
  const memory = session.memory;

  const arenaBytes = Math.max(plan.arenaBytes, 64);
  const arenaOffset = memory.alloc(arenaBytes);
  const byteOffset = (n: Node): number => {
    const p: Placement | undefined = plan.placement.get(n);
    if (p === undefined) throw new Error(`program '${spec.name}': ${n.op} has no buffer`);
    return p.where === 'arena' ? arenaOffset + p.offset : session.variableOf(p.variable).byteOffset;
  };
  const scratchBytes = Math.max(0, ...lowered.map((l) => l.scratchBytes));
  const scratchOffset = scratchBytes > 0 ? memory.alloc(scratchBytes) : 0;
  const calls: Call[] = lowered.map((l) => l.bind({ memory, byteOffset, scratchOffset }));
  const snapshots = snapshotsOf(graph, memory, byteOffset);
  const copies = updateCopies(plan, session, byteOffset);
  const seedOffset = spec.seed !== undefined ? byteOffset(spec.seed) / 4 : -1;
  const parts: CompiledParts['calls'][number][] = lowered.map((l) => ({ kernel: l.kernel, name: l.name, get source() { return l.source; }, buffers: l.buffers }));
  const profile = new ProgramProfile(plan.kernels.map((k, i) => ({ name: parts[i].name, flops: kernelFlops(k), bytes: kernelBytes(k) })));

  // Views of the memory go stale when it grows: JavaScript kernels take them as arguments, and the
  // caller reads inputs and outputs through them.
  const outputOffset = (n: Node) => snapshots.find((s) => s.node === n)?.to ?? byteOffset(n);
  let generation = -1;
  let inputViews: TypedArray[] = [];
  let outputViews: TypedArray[] = [];
  const refresh = () => {
    if (generation === memory.generation) return;
    generation = memory.generation;
    for (const c of calls) if (c.takesViews) { c.args[0] = memory.f32; c.args[1] = memory.i32; c.args[2] = memory.u8; }
    inputViews = spec.inputs.map((n) => viewOf(memory, byteOffset(n), sizeOf(concrete(n.shape, 'input')), n.dtype));
    outputViews = graph.outputs.map((n) => viewOf(memory, outputOffset(n), bufferBytes(n) / bytesPerElement(n.dtype), n.dtype));
  };
  let disposed = false;
  const compileMs = performance.now() - started;

  return {
    spec,
    parts: { graph, plan, calls: parts, arenaOffset },
    stats: { kernels: calls.length, arenaBytes: plan.arenaBytes, compileMs },
    profile,
    input(i) { refresh(); return inputViews[i]; },
    output(i) { refresh(); return outputViews[i]; },
    run(seed: number) {
      if (disposed) throw new Error(`program '${spec.name}' was disposed (the session was cleared)`);
      refresh();
      if (seedOffset >= 0) memory.i32[seedOffset] = seed;
      for (const s of snapshots) memory.u8.copyWithin(s.to, s.from, s.from + s.bytes);
      runCalls(calls, profile);
      for (const c of copies) {
        const view = c.dtype === 'float32' ? memory.f32 : c.dtype === 'int32' ? memory.i32 : memory.u8;
        view.copyWithin(c.to, c.from, c.from + c.length);
      }
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      memory.release(arenaOffset, arenaBytes);
      for (const s of snapshots) memory.release(s.to, s.bytes);
      if (scratchBytes > 0) memory.release(scratchOffset, scratchBytes);
    },
  };
}

/** The graph means an output variable's value from before the step, so it is copied aside before the kernels overwrite it. */
function snapshotsOf(graph: Graph, memory: Memory, byteOffset: (n: Node) => number): Snapshot[] {
  const updated = new Set(graph.updates.map((u) => u.variable));
  return [...new Set(graph.outputs.filter((o) => o.op === 'variable' && updated.has(o as Node<'variable'>)))].map((v) => {
    const bytes = bufferBytes(v);
    return { node: v, from: byteOffset(v), to: memory.alloc(bytes), bytes };
  });
}

function updateCopies(plan: MemoryPlan, session: Session, byteOffset: (n: Node) => number): UpdateCopy[] {
  return plan.copies.map((c) => ({
    dtype: c.from.dtype,
    from: byteOffset(c.from) / bytesPerElement(c.from.dtype),
    to: session.variableOf(c.to).byteOffset / bytesPerElement(c.to.dtype),
    length: sizeOf(concrete(c.from.shape, 'update')),
  }));
}

/** The run loop. The timed loop is a separate branch, chosen once per run, so levels 0 and 1 pay nothing per kernel. */
function runCalls(calls: readonly Call[], profile: ProgramProfile): void {
  let i = 0;
  try {
    if (debugLevel() >= 2) {
      for (; i < calls.length; i++) {
        const c = calls[i];
        const t = performance.now();
        (c.run as (...args: unknown[]) => void).apply(undefined, c.args);
        profile.add(i, performance.now() - t);
      }
      profile.steps++;
    } else {
      for (; i < calls.length; i++) {
        const c = calls[i];
        (c.run as (...args: unknown[]) => void).apply(undefined, c.args);
      }
    }
  } catch (e) {
    // A gather's index error names the layer whose call it was.
    if (e instanceof IndexRangeError) throw new IndexRangeError(calls[i].label ?? 'gather', e.index, e.rows);
    throw e;
  }
}
