/**
 * A scan step copies its slices in and its results out of the session memory (runtime/scan.ts):
 * typed-array copyWithin over the shared memory against WebAssembly's memory.copy
 * (codegen/wasm/memory-copy.ts), at an LSTM step's sizes (a [32,128] state, a [32,512]
 * projected input). `node dist/bench/scan-copies.js`.
 */
import Benchmark from 'benchmark';
import { memoryCopy } from '../src/codegen/wasm/memory-copy.js';
import { Memory } from '../src/runtime/memory.js';

function hz(fn: () => void): number {
  const bench = new Benchmark('x', fn, { maxTime: 1, minSamples: 20 });
  bench.run({ async: false });
  if (bench.error !== undefined) throw bench.error;
  return bench.hz;
}

export interface ScanCopyRow { readonly bytes: number; readonly copyWithinGBs: number; readonly memoryCopyGBs: number }

export function benchScanCopies(): ScanCopyRow[] {
  const memory = new Memory(1 << 22, true);
  const copy = memoryCopy(memory.wasm);
  return [16_384, 65_536].map((bytes) => {
    const from = memory.alloc(bytes), to = memory.alloc(bytes);
    const gbs = (calls: number) => (calls * bytes) / 1e9;
    // Interleaved twice; each keeps its better round.
    const a1 = hz(() => memory.u8.copyWithin(to, from, from + bytes)), b1 = hz(() => copy(to, from, bytes));
    const b2 = hz(() => copy(to, from, bytes)), a2 = hz(() => memory.u8.copyWithin(to, from, from + bytes));
    return { bytes, copyWithinGBs: gbs(Math.max(a1, a2)), memoryCopyGBs: gbs(Math.max(b1, b2)) };
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of benchScanCopies()) console.log(`${r.bytes} bytes: copyWithin ${r.copyWithinGBs.toFixed(1)} GB/s, memory.copy ${r.memoryCopyGBs.toFixed(1)} GB/s (${(r.memoryCopyGBs / r.copyWithinGBs).toFixed(2)}x)`);
}
