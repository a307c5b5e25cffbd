/**
 * Reads `--name N` or `--name=N` from the command line, so `npm run example:cnn -- --epochs 1`
 * can shorten a run without editing the example.
 */
export function intArg(name: string, fallback: number, argv: readonly string[] = process.argv.slice(2)): number {
  const flag = `--${name}`;
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i] === flag ? argv[i + 1] : argv[i].startsWith(`${flag}=`) ? argv[i].slice(flag.length + 1) : undefined;
    if (raw === undefined) continue;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 0) throw new Error(`${flag} expects a non-negative integer, got ${JSON.stringify(raw)}`);
    return value;
  }
  return fallback;
}

/** `--name value` or `--name=value` as a string. */
export function stringArg(name: string, fallback: string, argv: readonly string[] = process.argv.slice(2)): string {
  const flag = `--${name}`;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === flag && argv[i + 1] !== undefined) return argv[i + 1];
    if (argv[i].startsWith(`${flag}=`)) return argv[i].slice(flag.length + 1);
  }
  return fallback;
}
