/**
 * The native tier's N-API addon (addon-source.ts), built on first use against the headers of the
 * `node-api-headers` package, cached on disk by its source, the compiler and node's ABI, and
 * loaded with process.dlopen. `addonNow` never compiles (a warm cache loads at once);
 * `addonAsync` compiles in the background; `addonSync` compiles now, for tests and benches.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ADDON_SOURCE } from './addon-source.js';
import { buildAsync, buildSync, cacheDir, entryFor, evict, isCached, type Entry } from './cache.js';
import { compiler } from './toolchain.js';

export interface NativeAddon {
  /** Loads a kernel's shared object; its index for `call`. Throws when it does not load. */
  load(path: string): number;
  panels(index: number): number;
  /** Runs kernel `index` over the memory `view` covers (from its byte 0), its panels split over `threads`. */
  call(index: number, view: Uint8Array, threads: number, ...byteOffsets: number[]): void;
  /** Runs panels [p0, p1) of kernel `index` on the calling thread (a pool worker's share). */
  range(index: number, view: Uint8Array, p0: number, p1: number, ...byteOffsets: number[]): void;
}

/** The addon's shared object, for threads that load it into their own context (the pool's workers). */
let addonFile: string | undefined;
export const addonPath = (): string | undefined => addonFile;

let addon: NativeAddon | undefined;
let building: Promise<NativeAddon> | undefined;

function headers(): string {
  return join(dirname(createRequire(import.meta.url).resolve('node-api-headers/package.json')), 'include');
}

/** The cache, the compiler and the entry, or throws why the tier cannot run. */
function setup(): { readonly cache: string; readonly entry: Entry } {
  const cc = compiler();
  if ('missing' in cc) throw new Error(`native tier ${cc.missing}`);
  const cache = cacheDir();
  if (typeof cache !== 'string') throw new Error(`native tier ${cache.missing}`);
  return { cache, entry: entryFor(cache, cc, ADDON_SOURCE, [process.versions.modules, process.versions.napi ?? '']) };
}

function open(entry: Entry): NativeAddon | undefined {
  const module: { exports: unknown } = { exports: {} };
  try {
    process.dlopen(module, entry.so);
  } catch {
    evict(entry);
    return undefined;
  }
  addon = module.exports as NativeAddon;
  addonFile = entry.so;
  return addon;
}

/** The addon if it is loaded or its cache entry is warm; never compiles. */
export function addonNow(): NativeAddon | undefined {
  if (addon !== undefined) return addon;
  const { entry } = setup();
  return isCached(entry) ? open(entry) : undefined;
}

export function addonAsync(): Promise<NativeAddon> {
  building ??= (async () => {
    const now = addonNow();
    if (now !== undefined) return now;
    const { cache, entry } = setup();
    await buildAsync(cache, entry, ADDON_SOURCE, [headers()]);
    const opened = addon ?? open(entry);
    if (opened === undefined) throw new Error('native tier: the freshly built addon did not load');
    return opened;
  })();
  return building;
}

export function addonSync(): NativeAddon {
  const now = addonNow();
  if (now !== undefined) return now;
  const { cache, entry } = setup();
  buildSync(cache, entry, ADDON_SOURCE, [headers()]);
  const opened = open(entry);
  if (opened === undefined) throw new Error('native tier: the freshly built addon did not load');
  return opened;
}
