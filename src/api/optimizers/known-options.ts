/**
 * Strict options for optimizers and schedules: an unknown key is an error that names the key and,
 * when it is a Keras (snake_case) spelling of a known one, the right name.
 */
const squash = (key: string): string => key.replace(/_/g, '').toLowerCase();

export function checkKnownOptions(owner: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const match = known.find((k) => squash(k) === squash(key));
    const hint = match !== undefined ? ` Did you mean '${match}'?` : '';
    throw new Error(`${owner}: argument not recognized: '${key}'.${hint} Valid options: ${known.map((k) => `'${k}'`).join(', ')}`);
  }
}
