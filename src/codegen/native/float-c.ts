/** A float32 constant as a C literal that reads back as the same float (for the generated C of the native tier). */
export function cFloat(v: number): string {
  const f = Math.fround(v);
  if (Number.isNaN(f)) return 'NAN';
  if (f === Infinity) return 'INFINITY';
  if (f === -Infinity) return '(-INFINITY)';
  if (Object.is(f, -0)) return '(-0.0f)';
  return `${f.toPrecision(9)}f`;
}
