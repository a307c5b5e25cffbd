/**
 * What KERAS_JIT_DEBUG prints on stderr when a program is compiled: at 1 one line (graph, batch
 * size, kernels, arena bytes, compile ms); at 3 also the graph after each pass (traced, then
 * after the graph passes of ir/pipeline.ts, then fused and laid out); at 4 also every kernel's source.
 */
import { dumpGraph } from '../ir/dump.js';
import { optimizeGraph } from '../ir/pipeline.js';
import { debugLevel } from './debug.js';
import type { Program } from './program.js';
import { formatCode, formatFused, isInspectable, programBatch } from './program-text.js';

export function reportCompiled(p: Program): void {
  const level = debugLevel();
  if (level < 1) return;
  const { kernels, arenaBytes, compileMs } = p.stats;
  const batch = programBatch(p.spec);
  const shapes = p.spec.inputs.map((n) => `[${n.shape.join(',')}]`).join(' ');
  const out = [`[keras-jit] compiled ${p.spec.name}${batch === undefined ? '' : ` batch ${batch}`} ${shapes}: ${kernels} kernels, arena ${arenaBytes} bytes (${(arenaBytes / 1024).toFixed(1)} KiB), ${compileMs.toFixed(1)} ms\n`];
  if (level >= 3) {
    const section = (title: string, text: string) => out.push(`[keras-jit] ${p.spec.name} ${title}:\n${text}`);
    section('traced IR (with gradients and updates)', dumpGraph(optimizeGraph(p.spec.graph).numbered, { varIds: false }));
    if (isInspectable(p)) {
      section('after the graph passes (constant folding, identities, no-op updates dropped)', dumpGraph(p.parts.graph, { varIds: false }));
      section('after fusion and memory planning', formatFused(p));
      if (level >= 4) section('kernel source', formatCode(p));
    }
  }
  process.stderr.write(out.join(''));
}
