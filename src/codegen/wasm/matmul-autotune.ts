/**
 * Picks a register tile for one shape by timing the candidates on a private memory (never the
 * caller's, whose buffers may be live). Worth it for large products only, once per shape and
 * options: the best tile moves with FMA, the transpose flags and the edges (see `defaultTile`),
 * but the first call of each candidate runs V8's baseline tier, so tuning a large product costs
 * a visible pause.
 */
import { align16 } from '../align.js';
import { WebAssemblyApi as WA, pagesFor } from './engine.js';
import { wasmFeatures } from './features.js';
import { compileWasmMatmul, type WasmMatmulKernel, type WasmMatmulOptions } from './matmul-kernel.js';
import type { MatmulShape } from '../matmul-shape.js';
import { defaultTile, TILES, type Tile } from './matmul-plan.js';

export interface TileTrial {
  readonly tile: Tile;
  /** Best of the timed runs, in milliseconds. */
  readonly ms: number;
}

export interface Tuned {
  readonly kernel: WasmMatmulKernel;
  /** Empty when the product was too small to be worth timing. */
  readonly trials: readonly TileTrial[];
}

/** Below this many multiply-adds one run is too short to time apart from noise. */
const MIN_TUNED_MACS = 1 << 22;

const tuned = new Map<string, Tile>();

/** Times each candidate tile (default: all of TILES) and returns the fastest one's kernel. */
export function autotuneMatmul(shape: MatmulShape, options: Omit<WasmMatmulOptions, 'tile'> = {}, candidates: readonly Tile[] = TILES, runs = 5): Tuned {
  const key = JSON.stringify([shape, options, candidates]);
  const known = tuned.get(key);
  if (known !== undefined) return { kernel: compileWasmMatmul(shape, { ...options, tile: known }), trials: [] };
  const macs = shape.batch * shape.M * shape.K * shape.N;
  if (macs < MIN_TUNED_MACS) return { kernel: compileWasmMatmul(shape, { ...options, tile: defaultTile(shape, options.relaxed ?? wasmFeatures().relaxedSimd) }), trials: [] };

  const { batch, M, K, N } = shape;
  const floats = batch * (M * N + M * K + K * N) + N;
  const kernels = candidates.map((tile) => compileWasmMatmul(shape, { ...options, tile }));
  const scratch = align16(floats * 4);
  const bytes = scratch + Math.max(...kernels.map((k) => k.scratchBytes));
  const pages = pagesFor(bytes);
  const memory = new WA.Memory(options.shared === true ? { initial: pages, maximum: pages, shared: true } : { initial: pages });
  const F = new Float32Array(memory.buffer);
  // Small, varied values: no denormals, no overflow, nothing that slows one tile artificially.
  for (let i = batch * M * N; i < floats; i++) F[i] = ((i * 2654435761) % 1000) / 1000 - 0.5;
  const c = 0, a = batch * M * N * 4, b = a + batch * M * K * 4, bias = b + batch * K * N * 4;

  const trials = kernels.map((kernel): TileTrial => {
    const run = kernel.instantiate(memory, scratch);
    // The first call runs V8's baseline tier and queues the optimising compile; do not time it.
    run(c, a, b, bias);
    let best = Infinity;
    for (let r = 0; r < runs; r++) {
      const start = performance.now();
      run(c, a, b, bias);
      best = Math.min(best, performance.now() - start);
    }
    return { tile: kernel.tile, ms: best };
  });
  const winner = trials.reduce((p, q) => (q.ms < p.ms ? q : p));
  tuned.set(key, winner.tile);
  return { kernel: kernels[trials.indexOf(winner)], trials };
}
