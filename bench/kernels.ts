/**
 * Matmul GFLOP/s per kernel tier and thread count, measured the way training runs them: a
 * one-kernel program compiled by the runtime (compiledProgram) for the tier, with
 * KERAS_JIT_THREADS set while it compiles (the runtime binds a matmul to the pool size of that
 * moment), run through Program.run. The shapes are the MLP's forward product and its two
 * backward ones.
 */
import * as B from '../src/ir/build.js';
import { compiledProgram } from '../src/runtime/compiled.js';
import type { TierName as Tier } from '../src/runtime/tiers/index.js';
import { Session } from '../src/runtime/session.js';
import { MATMUL_CASES } from './matmul.js';
import { breathe, hzSync } from './measure.js';

export interface KernelRow {
  readonly shape: string;
  readonly tier: Tier;
  readonly threads: number;
  readonly name: string;
  readonly gflops: number;
}

function withThreads<T>(threads: number, f: () => T): T {
  const saved = process.env.KERAS_JIT_THREADS;
  process.env.KERAS_JIT_THREADS = String(threads);
  try {
    return f();
  } finally {
    if (saved === undefined) delete process.env.KERAS_JIT_THREADS;
    else process.env.KERAS_JIT_THREADS = saved;
  }
}

/** Thread counts to measure: 1, and 2 when the machine has two cores to give (the target's figure). */
export function threadCounts(cores: number): number[] {
  return cores >= 2 ? [1, 2] : [1];
}

export async function benchKernels(cores: number, maxTime = 0.7): Promise<KernelRow[]> {
  const rows: KernelRow[] = [];
  for (const c of MATMUL_CASES) {
    const shape = `${c.transposeA ? 'Aᵀ' : 'A'}·${c.transposeB ? 'Bᵀ' : 'B'} ${c.M}x${c.K}x${c.N}`;
    const flops = 2 * c.M * c.K * c.N;
    const variants: [Tier, number][] = [['js', 1], ...threadCounts(cores).map((t): [Tier, number] => ['wasm', t])];
    const compiled = variants.map(([tier, threads]) => {
      const session = new Session({ seed: 1 });
      const a = B.input('a', c.transposeA ? [c.K, c.M] : [c.M, c.K]);
      const b = B.input('b', c.transposeB ? [c.N, c.K] : [c.K, c.N]);
      const program = withThreads(threads, () =>
        compiledProgram({ name: 'matmul', inputs: [a, b], graph: { outputs: [B.matmul(a, b, c.transposeA, c.transposeB)], updates: [] } }, session, tier));
      for (const i of [0, 1]) {
        const view = program.input(i);
        for (let k = 0; k < view.length; k++) view[k] = Math.random() - 0.5;
      }
      return { tier, threads, session, program, best: 0 };
    });
    // Forwards then backwards, keeping each variant's better rate: a burst of load from a
    // neighbour on the shared machine then rarely decides a ratio.
    for (const v of [...compiled, ...[...compiled].reverse()]) {
      v.best = Math.max(v.best, hzSync(`${v.tier} ${v.threads}`, () => v.program.run(0), maxTime));
      await breathe();
    }
    for (const v of compiled) {
      rows.push({ shape, tier: v.tier, threads: v.threads, name: v.program.parts.calls[0]?.name ?? '?', gflops: (v.best * flops) / 1e9 });
      v.program.dispose();
      v.session.clear();
    }
  }
  return rows;
}
