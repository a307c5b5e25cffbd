/**
 * Keras configs of small option-holding objects (losses, metrics) from a declarative table: each
 * Keras key with its default, mapped to the camelCase constructor option of the same name. Used by
 * the classes' getConfig() / static fromConfig(), which are what saving.serialize* put under "config".
 */
import { checkConfigKeys, type Json, type JsonObject } from './json.js';

/**
 * One Keras key. A plain value is an option with that default; `fixed` is a key keras-jit has no
 * option for, written as Keras's default and only that value read back; `extra` is an option Keras
 * itself leaves out of its config (Huber's delta) but accepts in from_config, written only when it
 * differs from the default so nothing the user set is lost.
 */
export type KeySpec = Json | { readonly fixed: Json } | { readonly extra: Json };
export type ConfigSpec = Readonly<Record<string, KeySpec>>;

const isFixed = (s: KeySpec): s is { fixed: Json } => typeof s === 'object' && s !== null && !Array.isArray(s) && 'fixed' in s;
const isExtra = (s: KeySpec): s is { extra: Json } => typeof s === 'object' && s !== null && !Array.isArray(s) && 'extra' in s;
const defaultOf = (s: KeySpec): Json => (isFixed(s) ? s.fixed : isExtra(s) ? s.extra : s);

export const camelKey = (k: string): string => k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const same = (a: Json, b: Json): boolean => JSON.stringify(a) === JSON.stringify(b);

function toJson(v: unknown): Json {
  if (v === undefined) return null;
  if (Array.isArray(v)) return v.map(toJson);
  return v as Json;
}

/** Every key of a config as a camelCase option (how a custom class's fromConfig receives its config). */
export function camelOptions(config: JsonObject): Record<string, unknown> {
  return Object.fromEntries(Object.entries(config).map(([k, v]) => [camelKey(k), v]));
}

/** The Keras config keys of `spec` from the options an object was constructed with. */
export function configFromOptions(spec: ConfigSpec, options: object): Record<string, Json> {
  const o = options as Record<string, unknown>;
  const out: Record<string, Json> = {};
  for (const [key, s] of Object.entries(spec)) {
    if (isFixed(s)) { out[key] = s.fixed; continue; }
    const given = o[camelKey(key)];
    const value = given === undefined ? defaultOf(s) : toJson(given);
    if (isExtra(s) && same(value, s.extra)) continue;
    out[key] = value;
  }
  return out;
}

/**
 * Constructor options from a Keras config: unknown keys are errors, a `fixed` key must hold
 * Keras's default, and a value equal to the default is left to the constructor.
 */
export function optionsFromConfig(owner: string, spec: ConfigSpec, config: JsonObject, baseKeys: readonly string[]): Record<string, unknown> {
  checkConfigKeys(owner, config, [...baseKeys, ...Object.keys(spec)]);
  const options: Record<string, unknown> = {};
  for (const [key, s] of Object.entries(spec)) {
    const v = config[key];
    if (v === undefined) continue;
    if (isFixed(s)) {
      if (!same(v, s.fixed)) throw new Error(`${owner}: ${key}=${JSON.stringify(v)} is not supported by keras-jit; only ${JSON.stringify(s.fixed)} is`);
      continue;
    }
    if (same(v, defaultOf(s))) continue;
    options[camelKey(key)] = v;
  }
  return options;
}

/** A metric class as its config functions see it: Keras's keys besides name and dtype, and the dtype Keras writes. */
export interface MetricConfigClass {
  readonly name: string;
  readonly kerasConfig: ConfigSpec | undefined;
  /** The dtype Keras 3.15 writes for the class (float32, MeanIoU's int32); the only one read back. */
  readonly kerasDtype: string;
}

/** Keras 3's Metric.get_config(): name, dtype, then the class's own keys. */
export function metricConfig(cls: MetricConfigClass, name: string, options: object, isBase: boolean): Record<string, Json> {
  // A custom subclass writes Keras's base Metric config (override getConfig to add its own keys).
  if (cls.kerasConfig === undefined && !isBase) return { name, dtype: cls.kerasDtype };
  if (cls.kerasConfig === undefined) throw new Error(`Cannot get the config of metric '${name}': it wraps a function, not a Keras metric class; pass a built-in metric (e.g. 'accuracy' or new metrics.AUC()) to make it savable`);
  return { name, dtype: cls.kerasDtype, ...configFromOptions(cls.kerasConfig, options) };
}

/** Constructor options of a metric class from its Keras config. */
export function metricOptionsFromConfig(cls: MetricConfigClass, config: JsonObject, isBase: boolean): Record<string, unknown> {
  if (cls.kerasConfig === undefined && isBase) throw new Error(`${cls.name}.fromConfig: this metric wraps a function and has no Keras config; use a metric class such as metrics.CategoricalAccuracy`);
  const owner = `metric ${cls.name}`;
  // A custom subclass gets every key but dtype, camelCased, as Keras's from_config calls cls(**config).
  const { dtype: _dtype, ...rest } = config;
  const options = cls.kerasConfig === undefined ? camelOptions(rest) : optionsFromConfig(owner, cls.kerasConfig, config, ['name', 'dtype']);
  if (config.dtype !== undefined && config.dtype !== null && config.dtype !== cls.kerasDtype) {
    throw new Error(`${owner}: dtype ${JSON.stringify(config.dtype)} is not supported by keras-jit; expected ${JSON.stringify(cls.kerasDtype)}`);
  }
  if (typeof config.name === 'string') options.name = config.name;
  return options;
}
