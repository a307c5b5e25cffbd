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
import { scanPartOffset, scanParts } from '../ir/scan-body.js';
import type { Call, Lowered } from './tiers/tier.js';

const alignUp = (n: number, to: number) => Math.ceil(n / to) * to;

/** The scan kernel as one call that runs its body's calls once per step. `lower` lowers the body's kernels. */
export function lowerScan(k: FusedKernel, lower: (body: FusedKernel) => Lowered): Lowered {
  const node = k.anchor as Node<'scan'>;
  const { body, carries: m, xs: n, length, reverse, save } = node.attrs;
  const params = body.params;
  // The body's outputs as the optimized graph has them: simplify may replace an output by an
  // equal node (two carries computed alike become one node), and only those nodes have buffers.
  const { optimized, memory: plan } = runPipeline({ outputs: body.outputs, updates: [] }, params);
  const outs = optimized.outputs;
  const r = outs.length - m;
  const lowered = plan.kernels.map(lower);
  const bodyScratch = Math.max(0, ...lowered.map((l) => l.scratchBytes));
  const scratchAt = alignUp(plan.arenaBytes, BUFFER_ALIGN);
  // Room to align the body's arena to BUFFER_ALIGN wherever the program's scratch starts.
  const scratchBytes = BUFFER_ALIGN + scratchAt + bodyScratch;
  const partCount = scanParts(node.attrs).length;

  return {
    kernel: k,
    name: `scan${length}_${lowered.length}k`,
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
      const xAt = node.inputs.slice(m, m + n).map((x) => ctx.byteOffset(x));
      let generation = -1;
      const run = () => {
        if (generation !== memory.generation) {
          generation = memory.generation;
          for (const c of calls) if (c.takesViews) { c.args[0] = memory.f32; c.args[1] = memory.i32; c.args[2] = memory.u8; }
        }
        const copy = (to: number, from: number, bytes: number) => memory.u8.copyWithin(to, from, from + bytes);
        for (let i = 0; i < m; i++) copy(paramAt[i], initAt[i], paramBytes[i]);
        for (let s = 0; s < length; s++) {
          const t = reverse ? length - 1 - s : s;
          if (save) for (let i = 0; i < m; i++) copy(partAt(m + r + i) + t * paramBytes[i], paramAt[i], paramBytes[i]);
          for (let j = 0; j < n; j++) copy(paramAt[m + j], xAt[j] + t * paramBytes[m + j], paramBytes[m + j]);
          for (const c of calls) (c.run as (...args: unknown[]) => void).apply(undefined, c.args);
          for (let j = 0; j < r; j++) copy(partAt(m + j) + t * outBytes[m + j], outAt[m + j], outBytes[m + j]);
          // Through the final-carry slots, so a body that swaps carries reads each old value intact.
          for (let i = 0; i < m; i++) copy(partAt(i), outAt[i], outBytes[i]);
          for (let i = 0; i < m; i++) copy(paramAt[i], partAt(i), paramBytes[i]);
        }
        if (length === 0) for (let i = 0; i < m; i++) copy(partAt(i), initAt[i], paramBytes[i]);
      };
      return { run, args: [], takesViews: false, label: null };
    },
  };
}
