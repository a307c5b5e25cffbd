/**
 * The on-disk cache of compiled shared objects: `<dir>/<key>.so` beside `<key>.sha256`, the
 * hash of its bytes. The key hashes the C source, the compiler's version and flags, the machine and
 * whatever else the caller names (the node ABI, for the addon), so a new compiler or CPU never
 * loads an old object. An entry whose bytes do not match its hash (a crash mid-write, a disk
 * error, an edit) is deleted and rebuilt rather than loaded. Objects are written under a
 * temporary name and renamed, so a reader never sees half a file; two processes building the
 * same key both produce a whole one.
 *
 * The directory is per user under os.tmpdir(), created 0700; one that another user owns or
 * others can write is refused, since loading a shared object runs its code.
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { arch, platform, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CODEGEN_FLAGS, compileArgs, compileAsync, compileSync, type Compiler } from './toolchain.js';

export interface Entry {
  readonly key: string;
  readonly so: string;
  readonly sha: string;
}

/** Temporary files older than this are from processes that ended mid-compile. */
const STALE_MS = 3_600_000;

let dir: string | { readonly missing: string } | undefined;

const uid = () => process.getuid?.() ?? 0;

/** The cache directory, created if need be, or why it cannot be used. */
export function cacheDir(): string | { readonly missing: string } {
  if (dir !== undefined) return dir;
  const path = join(tmpdir(), `keras-jit-native-${uid()}`);
  try {
    mkdirSync(path, { recursive: true, mode: 0o700 });
    const st = statSync(path);
    if (process.getuid !== undefined && st.uid !== uid()) throw new Error('it belongs to another user');
    if ((st.mode & 0o022) !== 0) chmodSync(path, 0o700);
    const probe = join(path, `.probe-${process.pid}`);
    writeFileSync(probe, '');
    rmSync(probe);
    sweep(path);
    dir = path;
  } catch (e) {
    dir = { missing: `needs a writable cache directory, but ${path} is not usable (${e instanceof Error ? e.message : String(e)})` };
  }
  return dir;
}

function sweep(path: string): void {
  const now = Date.now();
  for (const name of readdirSync(path)) {
    if (!name.includes('.tmp')) continue;
    const file = join(path, name);
    try { if (now - statSync(file).mtimeMs > STALE_MS) rmSync(file, { force: true }); } catch { /* another process swept it */ }
  }
}

const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

export function entryFor(cache: string, compiler: Compiler, source: string, extra: readonly string[] = []): Entry {
  const key = sha256(JSON.stringify([source, compiler.version, CODEGEN_FLAGS, platform(), arch(), ...extra])).slice(0, 32);
  return { key, so: join(cache, `${key}.so`), sha: join(cache, `${key}.sha256`) };
}

/** Whether the entry is there and whole; a damaged one is removed so that it is rebuilt. */
export function isCached(e: Entry): boolean {
  if (!existsSync(e.so)) return false;
  try {
    if (readFileSync(e.sha, 'utf8').trim() === sha256(readFileSync(e.so))) return true;
  } catch { /* no hash file: treated as damaged */ }
  evict(e);
  return false;
}

export function evict(e: Entry): void {
  rmSync(e.so, { force: true });
  rmSync(e.sha, { force: true });
}

function paths(cache: string, e: Entry) {
  const tmp = join(cache, `${e.key}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  return { c: `${tmp}.c`, so: `${tmp}.so`, log: `${tmp}.log` };
}

function commit(e: Entry, p: { readonly c: string; readonly so: string }): void {
  rmSync(p.c, { force: true });
  const shaTmp = `${p.so}.sha256`;
  writeFileSync(shaTmp, sha256(readFileSync(p.so)));
  renameSync(shaTmp, e.sha);
  renameSync(p.so, e.so);
}

function discard(p: { readonly c: string; readonly so: string; readonly log: string }): void {
  for (const f of [p.c, p.so, p.log]) rmSync(f, { force: true });
}

/** Compiles `source` into the entry now. */
export function buildSync(cache: string, e: Entry, source: string, includeDirs: readonly string[] = []): void {
  const p = paths(cache, e);
  writeFileSync(p.c, source);
  try {
    compileSync(compileArgs(p.c, p.so, includeDirs));
    commit(e, p);
  } finally {
    discard(p);
  }
}

/** Compiles `source` into the entry in the background. */
export async function buildAsync(cache: string, e: Entry, source: string, includeDirs: readonly string[] = []): Promise<void> {
  const p = paths(cache, e);
  writeFileSync(p.c, source);
  try {
    await compileAsync(compileArgs(p.c, p.so, includeDirs), p.log);
    commit(e, p);
  } finally {
    discard(p);
  }
}
