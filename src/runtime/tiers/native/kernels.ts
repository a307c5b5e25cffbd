/**
 * Native kernels by their C source: each is compiled once per process (and once per machine, by
 * the disk cache), in the background, one compile at a time so a cold start never floods the
 * machine with compilers while it trains. A kernel whose cache entry is warm loads at once; one
 * that fails to compile or load is reported at KERAS_JIT_DEBUG=1 and stays on its WebAssembly twin.
 */
import { debugLevel } from '../../debug.js';
import { addonAsync, addonNow, addonSync } from './addon.js';
import { buildAsync, buildSync, cacheDir, entryFor, evict, isCached, type Entry } from './cache.js';
import { compiler } from './toolchain.js';

export interface NativeKernel {
  readonly name: string;
  readonly source: string;
  /** The addon's index of the loaded kernel; undefined until it is loaded. */
  readonly index: number | undefined;
  /** Calls `use` with the index once loaded (at once if it is); never if it fails. */
  whenLoaded(use: (index: number) => void): void;
}

class Kernel implements NativeKernel {
  index: number | undefined;
  failed = false;
  private readonly waiting: ((index: number) => void)[] = [];
  constructor(readonly name: string, readonly source: string) {}

  whenLoaded(use: (index: number) => void): void {
    if (this.index !== undefined) use(this.index);
    else if (!this.failed) this.waiting.push(use);
  }

  loaded(index: number): void {
    this.index = index;
    for (const use of this.waiting.splice(0)) use(index);
  }
}

const kernels = new Map<string, Kernel>();
/** Every kernel asked for, in order, with the promise of its compile (resolved at once when it loaded from the cache). */
const created: Promise<void>[] = [];
/**
 * Compiles waiting to start, newest first: the kernels of the program compiled last are the ones
 * about to run, and a long test run or a notebook leaves programs behind that no longer do.
 */
const waiting: (() => Promise<void>)[] = [];
let running = 0;
/** One compile at a time: a second one would take the core that training runs on. */
const CONCURRENCY = 1;

function pump(): void {
  while (running < CONCURRENCY && waiting.length > 0) {
    const job = waiting.pop() as () => Promise<void>;
    running++;
    void job().finally(() => { running--; pump(); });
  }
}

function enqueue(build: () => Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    waiting.push(() => build().finally(resolve));
    pump();
  });
}
/** Compile and load times, for the bench's latency table. */
export const compileLog: { readonly name: string; readonly ms: number; readonly cached: boolean }[] = [];

function report(message: string): void {
  if (debugLevel() >= 1) process.stderr.write(`keras-jit native: ${message}\n`);
}

function entryOf(source: string): { readonly cache: string; readonly entry: Entry } {
  const cc = compiler();
  const cache = cacheDir();
  if ('missing' in cc) throw new Error(`native tier ${cc.missing}`);
  if (typeof cache !== 'string') throw new Error(`native tier ${cache.missing}`);
  return { cache, entry: entryFor(cache, cc, source) };
}

/** Loads a built entry; a damaged one is evicted (and so rebuilt by the next attempt). */
function tryLoad(k: Kernel, entry: Entry, cached: boolean, started: number): boolean {
  const addon = addonNow();
  if (addon === undefined) return false;
  try {
    k.loaded(addon.load(entry.so));
  } catch (e) {
    evict(entry);
    report(`${k.name}: cached object did not load (${e instanceof Error ? e.message : String(e)}); rebuilding`);
    return false;
  }
  compileLog.push({ name: k.name, ms: performance.now() - started, cached });
  return true;
}

function fail(k: Kernel, e: unknown): void {
  k.failed = true;
  report(`${k.name}: ${e instanceof Error ? e.message : String(e)}; it runs on WebAssembly`);
}

async function buildInBackground(k: Kernel): Promise<void> {
  const started = performance.now();
  try {
    await addonAsync();
    const { cache, entry } = entryOf(k.source);
    if (isCached(entry) && tryLoad(k, entry, true, started)) return;
    await buildAsync(cache, entry, k.source);
    if (!tryLoad(k, entry, false, started)) throw new Error('the freshly built object did not load');
    report(`${k.name}: compiled in ${(performance.now() - started).toFixed(0)} ms`);
  } catch (e) {
    fail(k, e);
  }
}

/**
 * The kernel of `source`, loaded at once when the addon and the kernel are both cached, else
 * compiling in the background (or, with `sync`, now).
 */
export function nativeKernel(name: string, source: string, sync = false): NativeKernel {
  const known = kernels.get(source);
  if (known !== undefined) return known;
  const k = new Kernel(name, source);
  kernels.set(source, k);

  const started = performance.now();
  try {
    if (sync) {
      addonSync();
      const { cache, entry } = entryOf(source);
      if (!(isCached(entry) && tryLoad(k, entry, true, started))) {
        buildSync(cache, entry, source);
        if (!tryLoad(k, entry, false, started)) throw new Error('the freshly built object did not load');
      }
      return k;
    }
    const { entry } = entryOf(source);
    if (addonNow() !== undefined && isCached(entry) && tryLoad(k, entry, true, started)) return k;
  } catch (e) {
    fail(k, e);
    return k;
  }
  created.push(enqueue(() => buildInBackground(k)));
  return k;
}

/** How many kernels have gone to the background compiler so far: a mark for `nativeCompilesSettled`. */
export function nativeKernelsCreated(): number {
  return created.length;
}

/**
 * Resolves once the compiles of the kernels asked for since `mark` (default: all) have finished
 * (tests and benches wait on it). The compilers do not keep node alive (toolchain.ts), so while
 * someone waits, a timer does.
 */
export async function nativeCompilesSettled(mark = 0): Promise<void> {
  const alive = setInterval(() => undefined, 1 << 30);
  try {
    // Kernels asked for while waiting count too: a compile can be followed by another program's.
    for (let seen = mark; seen < created.length;) {
      const upto = created.length;
      await Promise.all(created.slice(seen, upto));
      seen = upto;
    }
  } finally {
    clearInterval(alive);
  }
}
