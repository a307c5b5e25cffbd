/**
 * A chain of five elementwise ops (the shape of a GELU-like activation with scale and shift)
 * compiled into one fused kernel, against the naive way: one JS loop per op, each writing an
 * intermediate array, in the same run.
 */
import Benchmark from 'benchmark';
import * as B from '../src/ir/build.js';
import { compiledProgram } from '../src/runtime/compiled.js';
import { Session } from '../src/runtime/session.js';

export interface ElementwiseRow {
  readonly name: string;
  readonly fusedGBs: number;
  readonly naiveGBs: number;
  readonly ratio: number;
  readonly kernels: number;
}

const N = 128 * 512;

function naiveChain(x: Float32Array, out: Float32Array): void {
  const a = new Float32Array(N), b = new Float32Array(N), c = new Float32Array(N), d = new Float32Array(N);
  for (let i = 0; i < N; i++) a[i] = x[i] * 1.702;
  for (let i = 0; i < N; i++) b[i] = Math.tanh(a[i]);
  for (let i = 0; i < N; i++) c[i] = b[i] + 1;
  for (let i = 0; i < N; i++) d[i] = c[i] * x[i];
  for (let i = 0; i < N; i++) out[i] = d[i] * 0.5;
}

function hz(fn: () => void): Promise<number> {
  return new Promise((resolve) => {
    new Benchmark('x', fn, { minSamples: 10, maxTime: 1.5 }).on('complete', function (this: Benchmark) { resolve(this.hz); }).run();
  });
}

export async function benchElementwise(): Promise<ElementwiseRow[]> {
  const session = new Session({ seed: 1 });
  const x = B.input('x', [128, 512]);
  const y = B.multiply(B.multiply(B.add(B.tanh(B.multiply(x, 1.702)), 1), x), 0.5);
  const program = compiledProgram({ name: 'bench', inputs: [x], graph: { outputs: [y], updates: [] } }, session);
  const data = Float32Array.from({ length: N }, (_, i) => Math.sin(i));
  program.input(0).set(data);
  const out = new Float32Array(N);
  const bytes = N * 4 * 2; // one read and one write per element when fused
  const fused = await hz(() => program.run(0));
  const naive = await hz(() => naiveChain(data, out));
  return [{
    name: 'x * 0.5 * (1 + tanh(1.702 x)), 128x512',
    fusedGBs: (fused * bytes) / 1e9,
    naiveGBs: (naive * bytes) / 1e9,
    ratio: fused / naive,
    kernels: program.stats.kernels,
  }];
}
