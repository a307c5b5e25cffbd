/**
 * Do generated JavaScript kernels run slower over a SharedArrayBuffer than over an ArrayBuffer?
 * The session memory must be shared for the worker pool; this measures what that costs the JS
 * tier: the JS matmul kernel, a fused elementwise chain, and the typed-array bulk operations the
 * runtime uses (set, copyWithin, fill), each over views of both kinds of buffer in the same run.
 */
import Benchmark from 'benchmark';
import * as B from '../src/ir/build.js';
import { WebAssemblyApi as WA } from '../src/codegen/wasm/engine.js';
import { compiledProgram } from '../src/runtime/compiled.js';
import { Memory } from '../src/runtime/memory.js';
import { Session } from '../src/runtime/session.js';
import { compileMatmul, MATMUL_CASES } from './matmul.js';

export interface SharedMemoryRow {
  readonly name: string;
  /** Runs per second over an ArrayBuffer and over a SharedArrayBuffer. */
  readonly plainHz: number;
  readonly sharedHz: number;
}

function hz(fn: () => void): number {
  const end = performance.now() + 300;
  do fn(); while (performance.now() < end);
  const bench = new Benchmark('x', fn, { maxTime: 1, minSamples: 10 });
  bench.run({ async: false });
  if (bench.error !== undefined) throw bench.error;
  return bench.hz;
}

/** Measures `make(shared)` over both kinds, interleaved twice so drift hits both alike. */
function pair(name: string, make: (shared: boolean) => () => void): SharedMemoryRow {
  const plain = make(false), shared = make(true);
  const p1 = hz(plain), s1 = hz(shared), s2 = hz(shared), p2 = hz(plain);
  return { name, plainHz: Math.max(p1, p2), sharedHz: Math.max(s1, s2) };
}

function matmulOver(shared: boolean): () => void {
  const c = MATMUL_CASES[0];
  const kernel = compileMatmul(c);
  const floats = c.M * c.N + c.M * c.K + c.K * c.N;
  const pages = Math.ceil((floats * 4) / 65536);
  const memory = new WA.Memory(shared ? { initial: pages, maximum: pages, shared: true } : { initial: pages });
  const F = new Float32Array(memory.buffer), I = new Int32Array(memory.buffer), U = new Uint8Array(memory.buffer);
  for (let i = c.M * c.N; i < floats; i++) F[i] = Math.random() - 0.5;
  return () => kernel.run(F, I, U, 0, c.M * c.N, c.M * c.N + c.M * c.K);
}

function elementwiseOver(shared: boolean): () => void {
  const session = new Session({ seed: 1, sharedMemory: shared });
  const x = B.input('x', [128, 512]);
  const y = B.multiply(B.multiply(B.add(B.tanh(B.multiply(x, 1.702)), 1), x), 0.5);
  const program = compiledProgram({ name: 'bench', inputs: [x], graph: { outputs: [y], updates: [] } }, session, 'js');
  program.input(0).set(Float32Array.from({ length: 128 * 512 }, (_, i) => Math.sin(i)));
  return () => program.run(0);
}

/** One typed-array bulk operation over 1 MiB of a fresh memory of either kind. */
function bulk(op: (f32: Float32Array, n: number, source: Float32Array) => void): (shared: boolean) => () => void {
  return (shared) => {
    const memory = new Memory(1 << 22, shared);
    const n = 1 << 18;
    const source = Float32Array.from({ length: n }, (_, i) => i);
    return () => op(memory.f32, n, source);
  };
}

export function benchSharedMemory(): SharedMemoryRow[] {
  return [
    pair(`JS ${compileMatmul(MATMUL_CASES[0]).name}`, matmulOver),
    pair('JS fused elementwise chain, 128x512', elementwiseOver),
    pair('set 1 MiB (feeding a batch)', bulk((f, n, source) => f.set(source, 0))),
    pair('copyWithin 1 MiB (variable copies)', bulk((f, n) => f.copyWithin(n, 0, n))),
    pair('fill 1 MiB (release of a block)', bulk((f, n) => f.fill(0, 2 * n, 3 * n))),
  ];
}
