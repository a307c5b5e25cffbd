/**
 * Strict options objects: JavaScript passes any key, so a misspelt or Python-spelt option
 * (`batch_size`) would otherwise be dropped without a word and the call would run with the
 * default. Every public options object is checked against the keys its type declares; an unknown
 * key is an error that names it and the nearest known key (snake_case to camelCase first, then
 * edit distance). Layer and optimizer constructors use the same check.
 */

/**
 * The keys of an options type, listed once. Typed as a record over every key of `T` so that adding
 * an option to the interface without listing it here fails to compile.
 */
export type OptionKeys<T> = { readonly [K in keyof Required<T>]: true };

/** The listed keys of an options type (the record form keeps the list exhaustive at compile time). */
export function optionKeys<T>(keys: OptionKeys<T>): readonly string[] {
  return Object.keys(keys);
}

/** Keys Keras has that this library does not (yet): an error that says so instead of "unknown". */
export type Unsupported = Readonly<Record<string, string>>;

function snakeToCamel(key: string): string {
  return key.replace(/_+([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return prev[b.length];
}

/** The known key an unknown one most likely meant, or undefined when none is close. */
export function suggestKey(key: string, known: readonly string[]): string | undefined {
  const camel = snakeToCamel(key);
  const folded = camel.toLowerCase();
  const exact = known.find((k) => k === camel || k.toLowerCase() === folded);
  if (exact !== undefined) return exact;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = editDistance(folded, k.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  // Close enough to be a typo rather than another word: at most a third of the key's letters.
  return bestDistance <= Math.max(1, Math.floor(folded.length / 3)) ? best : undefined;
}

/**
 * Throws when `options` is not a plain object or holds a key outside `known`. `where` names the
 * call ('fit', 'EarlyStopping'); keys whose value is undefined are checked too, since the caller
 * meant something by them.
 */
export function checkOptions(options: unknown, known: readonly string[], where: string, unsupported: Unsupported = {}): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null || Array.isArray(options) || ArrayBuffer.isView(options)) {
    const got = options === null ? 'null' : Array.isArray(options) ? 'an array' : typeof options;
    throw new TypeError(`${where}: options must be an object of named options, got ${got}`);
  }
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const reason = [key, snakeToCamel(key)].map((k) => (Object.hasOwn(unsupported, k) ? unsupported[k] : undefined)).find((r) => r !== undefined);
    if (reason !== undefined) throw new Error(`${where}: option '${key}' is not supported: ${reason}`);
    const suggestion = suggestKey(key, known);
    const hint = suggestion === undefined ? '' : ` Did you mean '${suggestion}'?`;
    throw new Error(`${where}: unknown option '${key}'.${hint} Known options: ${known.join(', ')}`);
  }
}
