/**
 * The native tier's disk cache and its absence: a damaged cache entry (bytes that do not match
 * their hash, or a hash that matches bytes that do not load) is rebuilt and the kernel still
 * loads; without a compiler, forcing the tier fails with a message that says so, and the
 * default backend stays on WebAssembly without printing anything; with one, the default is the
 * native tier, unless the cache directory is not writable.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { emitMatmulC } from '../src/codegen/native/matmul-c.js';
import { buildSync, cacheDir, entryFor, isCached } from '../src/runtime/tiers/native/cache.js';
import { nativeTier } from '../src/runtime/tiers/native/index.js';
import { nativeKernel } from '../src/runtime/tiers/native/kernels.js';
import { compiler } from '../src/runtime/tiers/native/toolchain.js';

const usable = nativeTier.unavailable() === undefined;

function entryOf(source: string) {
  const cache = cacheDir(), cc = compiler();
  if (typeof cache !== 'string' || 'missing' in cc) throw new Error('the native tier is unavailable');
  return { cache, entry: entryFor(cache, cc, source) };
}

/** A kernel no other test compiles, so this process has not loaded its object yet. */
const uniqueSource = (M: number) => emitMatmulC({ batch: 1, M, K: 3, N: 5, transposeA: false, transposeB: false }, { bias: false, relu: false }).source;

test('an entry whose bytes do not match its hash is rebuilt', () => {
  if (!usable) return;
  const source = uniqueSource(1000 + process.pid % 1000);
  const { cache, entry } = entryOf(source);
  buildSync(cache, entry, source);
  assert.ok(isCached(entry));
  writeFileSync(entry.so, 'not an object');
  const k = nativeKernel('damaged', source, true);
  assert.type(k.index, 'number', 'the kernel loaded after the rebuild');
  assert.ok(isCached(entry), 'the rebuilt entry is whole');
});

test('an entry whose hash matches but which does not load is rebuilt', () => {
  if (!usable) return;
  const source = uniqueSource(3000 + process.pid % 1000);
  const { cache, entry } = entryOf(source);
  buildSync(cache, entry, source);
  const junk = Buffer.from('\x7fELF but truncated');
  writeFileSync(entry.so, junk);
  writeFileSync(entry.sha, createHash('sha256').update(junk).digest('hex'));
  const k = nativeKernel('unloadable', source, true);
  assert.type(k.index, 'number', 'the kernel loaded after the rebuild');
  assert.not.equal(readFileSync(entry.so), junk);
});

const TIERS = fileURLToPath(new URL('../src/runtime/tiers/index.js', import.meta.url));

interface Ran { readonly code: number | null; readonly out: string; readonly err: string }

/** Runs a script in a node with `env` over this process's (KERAS_JIT_DEBUG=1); its stdout and stderr. */
function run(script: string, env: Record<string, string>): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, KERAS_JIT_DEBUG: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    proc.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    proc.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    proc.on('error', reject);
    proc.on('exit', (code) => resolve({ code, out, err }));
  });
}

/** `run` in a node whose PATH has no compiler. */
async function withoutCompiler(script: string, env: Record<string, string>): Promise<Ran> {
  const empty = mkdtempSync(join(tmpdir(), 'keras-jit-no-cc-'));
  try {
    return await run(script, { ...env, PATH: empty });
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
}

const PICK = `const { backend } = await import(${JSON.stringify(TIERS)});
try { console.log('backend ' + backend()); } catch (e) { console.log('error ' + e.message); }`;

test('without a compiler, forcing the native tier fails clearly', async () => {
  const r = await withoutCompiler(PICK, { KERAS_JIT_BACKEND: 'native' });
  assert.is(r.code, 0, r.err);
  assert.match(r.out, /error KERAS_JIT_BACKEND='native' needs a C compiler, but 'cc' was not found on PATH/);
});

test('without a compiler, the default backend is WebAssembly and nothing is printed', async () => {
  const env: Record<string, string> = {};
  const r = await withoutCompiler(`delete process.env.KERAS_JIT_BACKEND; ${PICK}`, env);
  assert.is(r.code, 0, r.err);
  assert.is(r.out.trim(), 'backend wasm');
  assert.is(r.err, '');
});

test('with a compiler and a writable cache, the default backend is the native tier', async () => {
  const r = await run(`delete process.env.KERAS_JIT_BACKEND; ${PICK}`, {});
  assert.is(r.code, 0, r.err);
  assert.is(r.out.trim(), usable ? 'backend native' : 'backend wasm');
});

test('a cache directory that cannot be written: the default is WebAssembly, forcing native says why', async () => {
  // TMPDIR under a regular file: the cache directory cannot be made there.
  const dir = mkdtempSync(join(tmpdir(), 'keras-jit-no-cache-'));
  const file = join(dir, 'a-file');
  writeFileSync(file, '');
  try {
    const byDefault = await run(`delete process.env.KERAS_JIT_BACKEND; ${PICK}`, { TMPDIR: file });
    assert.is(byDefault.code, 0, byDefault.err);
    assert.is(byDefault.out.trim(), 'backend wasm');
    assert.is(byDefault.err, '');
    const forced = await run(PICK, { TMPDIR: file, KERAS_JIT_BACKEND: 'native' });
    if (usable) assert.match(forced.out, /error KERAS_JIT_BACKEND='native' needs a writable cache directory, but .*a-file.* is not usable/);
    else assert.match(forced.out, /error KERAS_JIT_BACKEND='native' needs a C compiler/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
