/**
 * GFLOP/s of generated matmul kernels beside a naive triple loop over the same memory, measured
 * in the same run so the ratio survives a noisy shared machine better than the absolute figures.
 */
import Benchmark from 'benchmark';
import type { Epilogue } from '../src/codegen/contraction-api.js';
import { emitContraction } from '../src/codegen/contraction.js';
import { instantiate, type Kernel } from '../src/codegen/kernel.js';
import { ident, stmts } from '../src/codegen/template.js';
import * as b from '../src/ir/build.js';

export interface MatmulRow {
  readonly name: string;
  readonly gflops: number;
  readonly naiveGflops: number;
  readonly ratio: number;
}

interface Case {
  readonly M: number;
  readonly K: number;
  readonly N: number;
  readonly transposeA: boolean;
  readonly transposeB: boolean;
}

export const MATMUL_CASES: readonly Case[] = [
  { M: 128, K: 784, N: 512, transposeA: false, transposeB: false },
  { M: 128, K: 512, N: 512, transposeA: false, transposeB: true },
  { M: 512, K: 128, N: 784, transposeA: true, transposeB: false },
];

const store: Epilogue = (acc, at) => stmts('F[o0 + $flat] = $acc;', { $flat: at.flat, $acc: acc });

export function compileMatmul(c: Case): Kernel {
  const a = b.input('a', c.transposeA ? [c.K, c.M] : [c.M, c.K]);
  const w = b.input('b', c.transposeB ? [c.N, c.K] : [c.K, c.N]);
  const code = emitContraction({ node: b.matmul(a, w, c.transposeA, c.transposeB), a: ident('o1'), b: ident('o2'), epilogue: store });
  return instantiate({ name: code.name, buffers: 3, prelude: code.prelude, body: code.body });
}

/** The baseline: dot products in i, j, k order, reading A and B through their strides. */
function naiveMatmul(F: Float32Array, out: number, a: number, bOff: number, c: Case): void {
  const { M, K, N } = c;
  const [ai, ak] = c.transposeA ? [1, M] : [K, 1];
  const [bk, bj] = c.transposeB ? [1, K] : [N, 1];
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let acc = 0;
      for (let k = 0; k < K; k++) acc += F[a + i * ai + k * ak] * F[bOff + k * bk + j * bj];
      F[out + i * N + j] = acc;
    }
  }
}

/**
 * Benchmark.js does not warm up, and a kernel of a few milliseconds runs its first samples in
 * V8's interpreter and baseline tiers (rme of 60% seen); so run it until it is optimised first.
 */
function warmUp(fn: () => void, ms = 300): void {
  const end = performance.now() + ms;
  do fn(); while (performance.now() < end);
}

function hz(name: string, fn: () => void, maxTime: number): number {
  warmUp(fn);
  const bench = new Benchmark(name, fn, { maxTime, minSamples: 5 });
  bench.run({ async: false });
  if (bench.error !== undefined) throw bench.error;
  return bench.hz;
}

export async function benchMatmul(maxTime = 2): Promise<MatmulRow[]> {
  const rows: MatmulRow[] = [];
  for (const c of MATMUL_CASES) {
    const kernel = compileMatmul(c);
    const outSize = c.M * c.N, aSize = c.M * c.K, bSize = c.K * c.N;
    const F = new Float32Array(outSize + aSize + bSize);
    for (let i = outSize; i < F.length; i++) F[i] = Math.random() - 0.5;
    const I = new Int32Array(F.buffer), U = new Uint8Array(F.buffer);
    const [o0, o1, o2] = [0, outSize, outSize + aSize];
    const flops = 2 * c.M * c.K * c.N;
    const fast = hz(kernel.name, () => kernel.run(F, I, U, o0, o1, o2), maxTime);
    const naive = hz(`naive ${kernel.name}`, () => naiveMatmul(F, o0, o1, o2, c), maxTime);
    const gflops = (fast * flops) / 1e9, naiveGflops = (naive * flops) / 1e9;
    rows.push({ name: kernel.name, gflops, naiveGflops, ratio: gflops / naiveGflops });
    // Let the event loop breathe between cases (and keep the function honestly async for callers).
    await new Promise((resolve) => setImmediate(resolve));
  }
  return rows;
}
