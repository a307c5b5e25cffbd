/**
 * Compiles a kernel module straight to V8's optimizing tier. By default V8 compiles each wasm
 * function lazily with Liftoff, its baseline compiler, on first call, and moves a hot function to
 * TurboFan only for later calls (there is no on-stack replacement in wasm). A contraction runs its
 * whole loop nest in one call, so the first training step ran every matmul in Liftoff code, an
 * order of magnitude slower than the optimized code, and compile time to the first step is what a
 * user waits for. Compiling these modules eagerly with TurboFan costs a few milliseconds each.
 *
 * The engine offers no per-module switch, so the two flags are set around the compile and reset
 * to their defaults after. A process whose own command line or NODE_OPTIONS sets either flag is
 * left alone, as is an engine without V8's flags.
 */
import { setFlagsFromString } from 'node:v8';
import { WebAssemblyApi as WA, type CompiledModule } from './engine.js';

const FLAGS = ['liftoff', 'wasm-lazy-compilation'];

function userSetsFlags(): boolean {
  const args = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  return args.some((a) => FLAGS.some((f) => a.replace(/_/g, '-').includes(f)));
}

let usable: boolean | undefined;

function setFlags(optimizing: boolean): boolean {
  usable ??= !userSetsFlags();
  if (!usable) return false;
  try {
    setFlagsFromString(FLAGS.map((f) => `--${optimizing ? 'no-' : ''}${f}`).join(' '));
    return true;
  } catch {
    usable = false;
    return false;
  }
}

/** Modules compiled so far (tests check that a kernel whose native twin replaced it never compiled). */
export const optimizedCompiles = { modules: 0 };

/** `new WebAssembly.Module(bytes)`, its functions compiled by TurboFan now rather than by Liftoff on first call. */
export function compileOptimized(bytes: Uint8Array): CompiledModule {
  optimizedCompiles.modules++;
  const set = setFlags(true);
  try {
    return new WA.Module(bytes);
  } finally {
    if (set) setFlags(false);
  }
}
