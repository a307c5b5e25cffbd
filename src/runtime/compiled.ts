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

/**
 * Compiles a program: the graph passes and memory plan of ir/pipeline.ts, then a kernel per fused group; then runs it as a flat list
 * of kernel calls over the session memory. A steady-state run allocates nothing.
 */
export function compiledProgram(spec: ProgramSpec, session: Session, tier: TierName = defaultTier()): Program & { readonly parts: CompiledParts } {
  const started = performance.now();
  const fed = spec.seed !== undefined ? [...spec.inputs, spec.seed] : [...spec.inputs];
  const { optimized: graph, memory: plan } = runPipeline(spec.graph, fed);
  const memory = session.memory;
  const arenaOffset = memory.alloc(Math.max(plan.arenaBytes, 64));

  const byteOffset = (n: Node): number => {
    const p: Placement | undefined = plan.placement.get(n);
    if (p === undefined) throw new Error(`program '${spec.name}': ${n.op} has no buffer`);
    return p.where === 'arena' ? arenaOffset + p.offset : session.variableOf(p.variable).byteOffset;
  };
  const elementOffset = (n: Node) => byteOffset(n) / bytesPerElement(n.dtype);

  const lowered = plan.kernels.map((k) => lowerKernel(k, tier));
  const parts: CompiledParts['calls'][number][] = lowered.map((l) => ({ kernel: l.kernel, name: l.name, get source() { return l.source; }, buffers: l.buffers }));
  const scratchBytes = Math.max(0, ...lowered.map((l) => l.scratchBytes));
  const scratchOffset = scratchBytes > 0 ? memory.alloc(scratchBytes) : 0;
  const calls: Call[] = lowered.map((l) => l.bind({ memory, byteOffset, scratchOffset }));
  // A variable returned as an output and updated by the same program must show its value from
  // before the step, as the graph means: snapshot it before the kernels overwrite it.
  const snapshots = [...new Set(graph.outputs.filter((o) => o.op === 'variable' && graph.updates.some((u) => u.variable === o)))].map((v) => {
    const bytes = bufferBytes(v);
    return { node: v, from: byteOffset(v), to: memory.alloc(bytes), bytes };
  });
  const outputOffset = (n: Node) => snapshots.find((s) => s.node === n)?.to ?? byteOffset(n);
  const copies = plan.copies.map((c) => ({
    dtype: c.from.dtype, from: elementOffset(c.from), to: session.variableOf(c.to).byteOffset / bytesPerElement(c.to.dtype),
    length: sizeOf(concrete(c.from.shape, 'update')),
  }));
  const seedOffset = spec.seed !== undefined ? byteOffset(spec.seed) / 4 : -1;
  const profile = new ProgramProfile(plan.kernels.map((k, i) => ({ name: parts[i].name, flops: kernelFlops(k), bytes: kernelBytes(k) })));

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
      let i = 0;
      try {
        // The timed loop is a separate branch, chosen once per run, so levels 0 and 1 pay nothing per kernel.
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
        if (e instanceof IndexRangeError) throw new IndexRangeError(calls[i].label ?? 'gather', e.index, e.rows);
        throw e;
      }
      for (const c of copies) {
        const view = c.dtype === 'float32' ? memory.f32 : c.dtype === 'int32' ? memory.i32 : memory.u8;
        view.copyWithin(c.to, c.from, c.from + c.length);
      }
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      memory.release(arenaOffset, Math.max(plan.arenaBytes, 64));
      for (const s of snapshots) memory.release(s.to, s.bytes);
      if (scratchBytes > 0) memory.release(scratchOffset, scratchBytes);
    },
  };
}
