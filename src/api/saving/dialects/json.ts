/** JSON values as configs hold them, and the small checks every dialect transform needs. */
export type Json = null | boolean | number | string | Json[] | JsonObject;
export interface JsonObject { [key: string]: Json }

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The object at `v`, or an error naming where in the config it was expected. */
export function expectObject(v: unknown, where: string): JsonObject {
  if (!isObject(v)) throw new Error(`${where}: expected a JSON object, got ${describe(v)}`);
  return v;
}

export function expectArray(v: unknown, where: string): Json[] {
  if (!Array.isArray(v)) throw new Error(`${where}: expected a JSON array, got ${describe(v)}`);
  return v as Json[];
}

export function expectString(v: unknown, where: string): string {
  if (typeof v !== 'string') throw new Error(`${where}: expected a string, got ${describe(v)}`);
  return v;
}

export function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** A deep copy, so transforms never alias or mutate the caller's config. */
export function clone<T extends Json>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}
