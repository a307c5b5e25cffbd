let override: number | undefined;

/** KERAS_JIT_DEBUG (or backend.setDebug): 0 silent; 1 a line per compiled program on stderr. */
export function debugLevel(): number {
  if (override !== undefined) return override;
  const v = Number(process.env.KERAS_JIT_DEBUG ?? 0);
  return Number.isFinite(v) ? v : 0;
}

export function setDebugLevel(level: number | undefined): void {
  override = level;
}
