let override: number | undefined;

/**
 * KERAS_JIT_DEBUG (or backend.setDebug), printing to stderr: 0 silent; 1 a line per compiled
 * program; 2 also a per-kernel profile after each epoch; 3 also the IR after each pass; 4 also
 * kernel source. Read on every call, so a change of the variable takes effect at once.
 */
export function debugLevel(): number {
  if (override !== undefined) return override;
  const v = Number(process.env.KERAS_JIT_DEBUG ?? 0);
  return Number.isFinite(v) ? v : 0;
}

export function setDebugLevel(level: number | undefined): void {
  override = level;
}
