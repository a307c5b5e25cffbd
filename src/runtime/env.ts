/**
 * The one place that reads the runtime's environment variables. Each is read on every call, so
 * a change takes effect at once (tests change them between cases). KERAS_JIT_RELAXED_SIMD is the
 * exception: codegen/wasm/features.ts reads it itself, once per process, as part of probing the
 * engine (codegen does not import the runtime).
 */

/** A kernel tier as the environment sees it: its name, and why this engine cannot run it. */
export interface TierChoice<Name extends string> {
  readonly name: Name;
  /** Undefined when the engine runs the tier; else what to tell the user, after the variable. */
  unavailable(): string | undefined;
}

/**
 * KERAS_JIT_BACKEND picks how programs run: one of `tiers` by name, or `interpret` (the float64
 * reference interpreter); undefined when unset or empty. Throws for a name it does not know or a
 * tier this engine cannot run.
 */
export function backendFromEnv<Name extends string>(tiers: readonly TierChoice<Name>[]): Name | 'interpret' | undefined {
  const v = process.env.KERAS_JIT_BACKEND;
  if (v === undefined || v === '') return undefined;
  if (v === 'interpret') return v;
  const tier = tiers.find((t) => t.name === v);
  if (tier === undefined) {
    const names = [...tiers.map((t) => t.name), 'interpret'].map((n) => `'${n}'`);
    throw new Error(`KERAS_JIT_BACKEND='${v}' is not a backend; expected ${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`);
  }
  const missing = tier.unavailable();
  if (missing !== undefined) throw new Error(`KERAS_JIT_BACKEND='${v}' ${missing}`);
  return tier.name;
}

/** KERAS_JIT_THREADS as a positive integer; undefined when unset or empty. */
export function threadsFromEnv(): number | undefined {
  const raw = process.env.KERAS_JIT_THREADS;
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`KERAS_JIT_THREADS must be a positive integer, got '${raw}'`);
  return n;
}

/** KERAS_JIT_DEBUG as a number; 0 when unset or not a number. */
export function debugFromEnv(): number {
  const v = Number(process.env.KERAS_JIT_DEBUG ?? 0);
  return Number.isFinite(v) ? v : 0;
}

/** Which threads run the native tier's kernels: the worker pool's, or the addon's own pthreads. */
export type NativeThreads = 'pool' | 'addon';

/** KERAS_JIT_NATIVE_THREADS; `fallback` when unset or empty. */
export function nativeThreadsFromEnv(fallback: NativeThreads): NativeThreads {
  const v = process.env.KERAS_JIT_NATIVE_THREADS;
  if (v === undefined || v === '') return fallback;
  if (v !== 'pool' && v !== 'addon') throw new Error(`KERAS_JIT_NATIVE_THREADS='${v}' is not a choice; expected 'pool' or 'addon'`);
  return v;
}
