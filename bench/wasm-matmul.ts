/**
 * GFLOP/s of the WebAssembly SIMD matmul kernels (with relaxed FMA where the engine has it, and
 * with mul+add) beside the generated JS kernel, over one memory in the same run, so the ratio
 * survives a noisy shared machine better than the absolute figures.
 */
import Benchmark from 'benchmark';
import { WebAssemblyApi as WA, pagesFor } from '../src/codegen/wasm/engine.js';
import { wasmFeatures } from '../src/codegen/wasm/features.js';
import { autotuneMatmul } from '../src/codegen/wasm/matmul-autotune.js';
import type { MatmulShape } from '../src/codegen/matmul-shape.js';
import { tileName } from '../src/codegen/wasm/matmul-plan.js';
import { compileMatmul, MATMUL_CASES } from './matmul.js';

export interface WasmMatmulRow {
  readonly name: string;
  /** The tiles autotuning chose, with FMA and with mul+add. */
  readonly relaxedTile: string;
  readonly mulAddTile: string;
  /** With f32x4.relaxed_madd; NaN when the engine lacks relaxed SIMD. */
  readonly relaxedGflops: number;
  readonly mulAddGflops: number;
  readonly jsGflops: number;
  /** Best wasm over JS. */
  readonly ratio: number;
}

/** Runs `fn` until V8 has optimised it (wasm: tiered up from Liftoff), then lets benchmark.js time it. */
function hz(name: string, fn: () => void, maxTime: number): number {
  const end = performance.now() + 300;
  do fn(); while (performance.now() < end);
  const bench = new Benchmark(name, fn, { maxTime, minSamples: 5 });
  bench.run({ async: false });
  if (bench.error !== undefined) throw bench.error;
  return bench.hz;
}

export async function benchWasmMatmul(maxTime = 2): Promise<WasmMatmulRow[]> {
  const rows: WasmMatmulRow[] = [];
  const relaxedAvailable = wasmFeatures().relaxedSimd;
  for (const c of MATMUL_CASES) {
    const shape: MatmulShape = { batch: 1, ...c };
    const flops = 2 * c.M * c.K * c.N;
    const fma = relaxedAvailable ? autotuneMatmul(shape, { relaxed: true }).kernel : undefined;
    const mulAdd = autotuneMatmul(shape, { relaxed: false }).kernel;
    const js = compileMatmul(c);

    const outSize = c.M * c.N, aSize = c.M * c.K, bSize = c.K * c.N;
    const scratch = (outSize + aSize + bSize) * 4;
    const memory = new WA.Memory({ initial: pagesFor(scratch + Math.max(mulAdd.scratchBytes, fma?.scratchBytes ?? 0)) });
    const F = new Float32Array(memory.buffer), I = new Int32Array(memory.buffer), U = new Uint8Array(memory.buffer);
    for (let i = outSize; i < outSize + aSize + bSize; i++) F[i] = Math.random() - 0.5;
    const [o0, o1, o2] = [0, outSize, outSize + aSize];
    const gflops = (rate: number) => (rate * flops) / 1e9;

    let relaxedGflops = NaN;
    if (fma !== undefined) {
      const run = fma.instantiate(memory, scratch);
      relaxedGflops = gflops(hz(`${fma.name} fma`, () => run(o0 * 4, o1 * 4, o2 * 4), maxTime));
    }
    const runMulAdd = mulAdd.instantiate(memory, scratch);
    const mulAddGflops = gflops(hz(`${mulAdd.name} mul+add`, () => runMulAdd(o0 * 4, o1 * 4, o2 * 4), maxTime));
    const jsGflops = gflops(hz(js.name, () => js.run(F, I, U, o0, o1, o2), maxTime));
    const best = Number.isNaN(relaxedGflops) ? mulAddGflops : Math.max(relaxedGflops, mulAddGflops);
    rows.push({ name: js.name, relaxedTile: fma !== undefined ? tileName(fma.tile) : 'n/a', mulAddTile: tileName(mulAdd.tile), relaxedGflops, mulAddGflops, jsGflops, ratio: best / jsGflops });
    // Let the event loop breathe between cases (and keep the function honestly async for callers).
    await new Promise((resolve) => setImmediate(resolve));
  }
  return rows;
}
