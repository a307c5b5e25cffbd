/**
 * Timing helpers shared by the bench sections, all built on the `benchmark` package: a
 * synchronous one for kernels (many short calls, after a warm-up so V8 and Liftoff have tiered
 * up) and a deferred one for training epochs (few, long calls).
 */
import Benchmark from 'benchmark';

/**
 * Calls per second of a synchronous function. Benchmark.js does not warm up, and a kernel of a
 * few milliseconds runs its first samples in V8's interpreter and baseline tiers (a relative
 * margin of error of 60% was seen), so it runs until optimised first.
 */
export function hzSync(name: string, fn: () => void, maxTime = 1, minSamples = 5): number {
  const end = performance.now() + 300;
  do fn(); while (performance.now() < end);
  const bench = new Benchmark(name, fn, { maxTime, minSamples });
  bench.run({ async: false });
  if (bench.error !== undefined) throw bench.error;
  return bench.hz;
}

export interface Timing {
  /** Mean seconds per call. */
  readonly mean: number;
  /** Relative margin of error, in percent, as Benchmark.js reports it. */
  readonly rme: number;
  readonly samples: number;
}

/**
 * Seconds per call of an async function: Benchmark.js in deferred mode, one call per sample,
 * at least `minSamples` samples and until `maxTime` seconds have passed. Two samples is the
 * fewest Benchmark.js can compute a margin of error from; the slowest trainers (one step of
 * several seconds) get exactly that.
 */
export function secondsPerCall(fn: () => Promise<void>, maxTime: number, minSamples = 2): Promise<Timing> {
  return new Promise((resolve, reject) => {
    const bench = new Benchmark('epoch', {
      defer: true, minSamples, maxTime, initCount: 1,
      fn: (deferred: Benchmark.Deferred) => { fn().then(() => deferred.resolve(), (e: unknown) => { bench.abort(); reject(e); }); },
    });
    bench.on('complete', () => resolve({ mean: bench.stats.mean, rme: bench.stats.rme, samples: bench.stats.sample.length }));
    bench.run({ async: true });
  });
}

/** Milliseconds since `start` (a performance.now() reading). */
export const since = (start: number): number => performance.now() - start;

/** The median of a non-empty list. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Lets the event loop run (timers, worker messages) between measurements. */
export const breathe = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
