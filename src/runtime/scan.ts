/**
 * Lowering a scan kernel (docs/ARCHITECTURE.md, "Recurrence"): its body goes through the whole
 * pipeline once, as a program of its own whose parameters are fed inputs, and each of its kernels
 * is lowered once on the tier; a step then copies the step's slices in, runs those calls and
 * copies the step's outputs into the packed result. The body's arena lives in the program's
 * scratch region (calls run one at a time), and constants are read where they already are.
 */
import type { FusedKernel } from '../ir/fusion.js';
import { BUFFER_ALIGN, bufferBytes } from '../ir/memory-plan.js';
import type { Node } from '../ir/node.js';
import { runPipeline } from '../ir/pipeline.js';
import { savedStacks, scanPartOffset, scanParts } from '../ir/scan-body.js';
import { kernelBytes, kernelFlops } from '../ir/cost.js';
import { memoryCopy } from '../codegen/wasm/memory-copy.js';
import { debugLevel } from './debug.js';
import { formatProfile, ProgramProfile } from './profile.js';
import type { Call, Lowered } from './tiers/tier.js';

/**
 * Per-kernel profiles of scan bodies, one per lowered scan, filled while KERAS_JIT_DEBUG >= 2
 * (a program's own profile sees a scan as one call). The last row, `copies`, is the time the
 * step spends moving slices in and results out.
 */
const bodyProfiles: { name: string; profile: ProgramProfile }[] = [];

/** The scan bodies' profiles as tables (empty when nothing was recorded), and a reset. */
export function scanBodyProfileReport(reset = true): string {
  const text = bodyProfiles.filter((p) => p.profile.steps > 0).map((p) => formatProfile(`[keras-jit] scan body ${p.name}`, p.profile)).join('\n');
  if (reset) for (const p of bodyProfiles) p.profile.reset();
  return text;
}

const alignUp = (n: number, to: number) => Math.ceil(n / to) * to;

/** The scan kernel as one call that runs its body's calls once per step. `lower` lowers the body's kernels. */
export function lowerScan(k: FusedKernel, lower: (body: FusedKernel) => Lowered): Lowered {
  const node = k.anchor as Node<'scan'>;
  const { body, carries: m, xs: n, length, reverse } = node.attrs;
  const params = body.params;
  // The body's outputs as the optimized graph has them: simplify may replace an output by an
  // equal node (two carries computed alike become one node), and only those nodes have buffers.
  // Saved residuals: a carry entering the step is copied before the step runs; a value the step
  // computes is one more output of the body's program, copied after.
  const stacked = savedStacks(node.attrs);
  const carryOf = new Map<Node, number>(params.slice(0, m).map((p, i) => [p, i]));
  const computed = stacked.filter((v) => !carryOf.has(v));
  const { optimized, memory: plan } = runPipeline({ outputs: [...body.outputs, ...computed], updates: [] }, params);
  const outs = optimized.outputs.slice(0, body.outputs.length);
  const computedOuts = optimized.outputs.slice(body.outputs.length);
  const r = outs.length - m;
  const savedCarries = stacked.flatMap((v, k) => { const i = carryOf.get(v); return i === undefined ? [] : [{ part: m + r + k, carry: i }]; });
  const savedValues = stacked.flatMap((v, k) => (carryOf.has(v) ? [] : [m + r + k])).map((part, k) => ({ part, node: computedOuts[k] }));
  const lowered = plan.kernels.map(lower);
  const bodyScratch = Math.max(0, ...lowered.map((l) => l.scratchBytes));
  const scratchAt = alignUp(plan.arenaBytes, BUFFER_ALIGN);
  // Room to align the body's arena to BUFFER_ALIGN wherever the program's scratch starts.
  const scratchBytes = BUFFER_ALIGN + scratchAt + bodyScratch;
  const partCount = scanParts(node.attrs).length;
  const name = `scan${length}_${lowered.length}k`;
  const profile = new ProgramProfile([
    ...plan.kernels.map((bk, i) => ({ name: lowered[i].name, flops: kernelFlops(bk) * length, bytes: kernelBytes(bk) * length })),
    { name: 'copies', flops: 0, bytes: 0 },
  ]);
  bodyProfiles.push({ name: `${name} (${reverse ? 'reverse' : 'forward'}, ${bodyProfiles.length})`, profile });

  return {
    kernel: k,
    name,
    get source() { return lowered.map((l) => `// ${l.name}\n${l.source}`).join('\n'); },
    buffers: [...k.inputs, node],
    scratchBytes,
    bind(ctx): Call {
      const { memory } = ctx;
      const base = alignUp(ctx.scratchOffset, BUFFER_ALIGN);
      const constParams = new Map<Node, Node>(params.slice(m + n).map((p, i) => [p, node.inputs[m + n + i]]));
      const bodyOffset = (b: Node): number => {
        const outer = constParams.get(b);
        if (outer !== undefined) return ctx.byteOffset(outer);
        const p = plan.placement.get(b);
        if (p === undefined || p.where !== 'arena') throw new Error(`scan: ${b.op} of the body has no buffer`);
        return base + p.offset;
      };
      const calls = lowered.map((l) => l.bind({ memory, byteOffset: bodyOffset, scratchOffset: base + scratchAt }));
      const packed = ctx.byteOffset(node);
      const partOffsets = Array.from({ length: partCount }, (_, i) => packed + scanPartOffset(node, i) * 4);
      const partAt = (i: number) => partOffsets[i];
      const paramAt = params.map((p) => bodyOffset(p));
      const paramBytes = params.map((p) => bufferBytes(p));
      const outAt = outs.map((o) => bodyOffset(o));
      const outBytes = outs.map((o) => bufferBytes(o));
      const initAt = node.inputs.slice(0, m).map((c) => ctx.byteOffset(c));
      // A carry's new value goes straight to its parameter unless a carry's result shares bytes
      // with another carry's parameter (a body passing a carry through or swapping two, or the
      // arena reusing a parameter read early), which a copy in order would overwrite before reading.
      const overlaps = (a: number, aBytes: number, b: number, bBytes: number) => a < b + bBytes && b < a + aBytes;
      const direct = outAt.slice(0, m).every((o, j) => paramAt.slice(0, m).every((p, i) =>
        (i === j && o === p) || !overlaps(o, outBytes[j], p, paramBytes[i])));
      const carrySaves = savedCarries.map(({ part, carry }) => ({ at: partAt(part), from: paramAt[carry], bytes: paramBytes[carry] }));
      const valueSaves = savedValues.map(({ part, node: v }) => ({ at: partAt(part), from: bodyOffset(v), bytes: bufferBytes(v) }));
      const xAt = node.inputs.slice(m, m + n).map((x) => ctx.byteOffset(x));
      const copy = memoryCopy(memory.wasm);
      let generation = -1;
      let kernelMs = 0;
      const timed = (c: Call, i: number) => {
        const t0 = performance.now();
        (c.run as (...args: unknown[]) => void).apply(undefined, c.args);
        const ms = performance.now() - t0;
        profile.add(i, ms);
        kernelMs += ms;
      };
      const run = () => {
        const timing = debugLevel() >= 2;
        const started = timing ? performance.now() : 0;
        kernelMs = 0;
        if (generation !== memory.generation) {
          generation = memory.generation;
          for (const c of calls) if (c.takesViews) { c.args[0] = memory.f32; c.args[1] = memory.i32; c.args[2] = memory.u8; }
        }
        for (let i = 0; i < m; i++) copy(paramAt[i], initAt[i], paramBytes[i]);
        for (let s = 0; s < length; s++) {
          const t = reverse ? length - 1 - s : s;
          for (const c of carrySaves) copy(c.at + t * c.bytes, c.from, c.bytes);
          for (let j = 0; j < n; j++) copy(paramAt[m + j], xAt[j] + t * paramBytes[m + j], paramBytes[m + j]);
          if (timing) calls.forEach(timed);
          else for (const c of calls) (c.run as (...args: unknown[]) => void).apply(undefined, c.args);
          for (let j = 0; j < r; j++) copy(partAt(m + j) + t * outBytes[m + j], outAt[m + j], outBytes[m + j]);
          for (const c of valueSaves) copy(c.at + t * c.bytes, c.from, c.bytes);
          if (direct) for (let i = 0; i < m; i++) copy(paramAt[i], outAt[i], outBytes[i]);
          else {
            // Through the final-carry slots, so a body that swaps carries reads each old value intact.
            for (let i = 0; i < m; i++) copy(partAt(i), outAt[i], outBytes[i]);
            for (let i = 0; i < m; i++) copy(paramAt[i], partAt(i), paramBytes[i]);
          }
        }
        if (direct || length === 0) for (let i = 0; i < m; i++) copy(partAt(i), paramAt[i], paramBytes[i]);
        if (timing) {
          profile.add(calls.length, performance.now() - started - kernelMs);
          profile.steps++;
        }
      };
      return { run, args: [], takesViews: false, label: null };
    },
  };
}
