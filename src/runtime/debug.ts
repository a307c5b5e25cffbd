import { debugFromEnv } from './env.js';

let override: number | undefined;

/**
 * KERAS_JIT_DEBUG (or backend.setDebug), printing to stderr: 0 silent; 1 a line per compiled
 * program; 2 also a per-kernel profile after each epoch; 3 also the IR after each pass; 4 also
 * kernel source. Read on every call, so a change of the variable takes effect at once.
 */
export function debugLevel(): number {
  return override ?? debugFromEnv();
}

export function setDebugLevel(level: number | undefined): void {
  override = level;
}
