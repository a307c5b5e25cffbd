/** JSON values as configs hold them, and the strict key check every config reader uses. */
export type Json = null | boolean | number | string | readonly Json[] | JsonObject;
export interface JsonObject { readonly [key: string]: Json }

export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An unknown key is an error: a config option keras-jit would otherwise silently ignore. */
export function checkConfigKeys(owner: string, config: JsonObject, known: readonly string[]): void {
  const unknown = Object.keys(config).filter((k) => !known.includes(k));
  if (unknown.length > 0) {
    throw new Error(`${owner}: unsupported config key${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')} (keras-jit knows: ${known.map((k) => `'${k}'`).join(', ') || 'none'})`);
  }
}
