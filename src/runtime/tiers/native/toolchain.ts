/**
 * The machine's C compiler as the native tier uses it: found once per process (`cc` on PATH), and
 * run either synchronously (never on a program's first step: only when a test or a bench asks)
 * or as a background child process whose completion a promise reports. Flags are fixed:
 * `-O3 -march=native` specialises to this CPU, which is why cache keys include the flags, the
 * compiler's version and the machine's architecture (cache.ts).
 */
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';

export const COMPILER = 'cc';

export interface Compiler {
  /** The first line of `cc --version`, part of every cache key. */
  readonly version: string;
}

let found: Compiler | { readonly missing: string } | undefined;

/** The compiler, or why there is none (what to tell a user who forced the native tier). */
export function compiler(): Compiler | { readonly missing: string } {
  if (found !== undefined) return found;
  try {
    const out = execFileSync(COMPILER, ['--version'], { stdio: ['ignore', 'pipe', 'ignore'], encoding: 'utf8', timeout: 10_000 });
    found = { version: out.split('\n')[0].trim() };
  } catch (e) {
    const reason = e instanceof Error && 'code' in e && e.code === 'ENOENT' ? 'was not found on PATH' : `did not run (${e instanceof Error ? e.message : String(e)})`;
    found = { missing: `needs a C compiler, but '${COMPILER}' ${reason}; install one (gcc or clang) or use 'wasm'` };
  }
  return found;
}

/**
 * How the code is generated, part of every cache key. Generated C never reads errno, and
 * without -fno-math-errno GCC keeps sqrtf scalar so that it could set it.
 */
export const CODEGEN_FLAGS: readonly string[] = ['-O3', '-march=native', '-fno-math-errno'];

/** Flags for a shared object that node loads: N-API symbols resolve against the running process. */
export function compileArgs(source: string, output: string, includeDirs: readonly string[]): string[] {
  return [...CODEGEN_FLAGS, '-shared', '-fPIC', '-std=gnu11', '-w',
    ...includeDirs.map((d) => `-I${d}`), '-o', output, source, '-lpthread',
    ...(process.platform === 'darwin' ? ['-undefined', 'dynamic_lookup'] : [])];
}

/** Compiles now; throws with the compiler's messages. */
export function compileSync(args: readonly string[]): void {
  try {
    execFileSync(COMPILER, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  } catch (e) {
    const stderr = e instanceof Error && 'stderr' in e ? String(e.stderr) : '';
    throw new Error(`${COMPILER} failed: ${stderr.trim() || (e instanceof Error ? e.message : String(e))}`);
  }
}

/**
 * Compiles in a child process that does not keep node alive (a script that ends first leaves at
 * most a temporary file, which cache.ts sweeps); its messages go to `log`. Rejects with them.
 */
export function compileAsync(args: readonly string[], log: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const fd = openSync(log, 'w');
    const child = spawn(COMPILER, args, { stdio: ['ignore', 'ignore', fd] });
    closeSync(fd);
    child.unref();
    child.on('error', (e) => reject(e));
    child.on('exit', (code, signal) => {
      let messages = '';
      try { messages = readFileSync(log, 'utf8').trim(); rmSync(log, { force: true }); } catch { /* the log is only for the message */ }
      if (code === 0) resolve();
      else reject(new Error(`${COMPILER} failed (${signal ?? `exit ${code}`})${messages ? `: ${messages}` : ''}`));
    });
  });
}
