/**
 * Keras-style unique names: the first Dense is `dense`, the next `dense_1`, ... Counters are
 * global (as Keras's per-graph uids) and reset by `backend.clearSession()`.
 */
const counters = new Map<string, number>();

/** Keras's `to_snake_case`: `Conv2DTranspose` → `conv2d_transpose`, `MaxPooling2D` → `max_pooling2d`. */
export function toSnakeCase(name: string): string {
  return name
    .replace(/\W+/g, '')
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

/**
 * The snake_case spelling of a camelCase identifier ('glorotUniform' → 'glorot_uniform'), how
 * activation and initializer names are matched. Simpler than toSnakeCase, which names layers:
 * it keeps every character and splits only lower-or-digit-then-upper pairs, so the identifiers
 * accepted stay exactly those accepted so far.
 */
export function camelToSnake(identifier: string): string {
  return identifier.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

/** The next unique name for `prefix`. */
export function uniqueName(prefix: string): string {
  const n = counters.get(prefix) ?? 0;
  counters.set(prefix, n + 1);
  return n === 0 ? prefix : `${prefix}_${n}`;
}

export function resetNames(): void {
  counters.clear();
}
