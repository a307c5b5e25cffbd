import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FuncBuilder } from '../src/codegen/wasm/builder.js';
import { WebAssemblyApi as WA } from '../src/codegen/wasm/engine.js';
import { wasmFeatures } from '../src/codegen/wasm/features.js';
import { f32Bytes, i32, readI32, readU32, u32 } from '../src/codegen/wasm/leb128.js';
import { encodeModule, writeInstr, type WasmModule } from '../src/codegen/wasm/module.js';
import type { ValType } from '../src/codegen/wasm/opcodes.js';
import { printWat } from '../src/codegen/wasm/wat.js';

// --- LEB128 ------------------------------------------------------------------------------

test('unsigned LEB128 at the byte boundaries and the u32 limits', () => {
  assert.equal(u32(0), [0x00]);
  assert.equal(u32(1), [0x01]);
  assert.equal(u32(127), [0x7f]);
  assert.equal(u32(128), [0x80, 0x01]);
  assert.equal(u32(255), [0xff, 0x01]);
  assert.equal(u32(16383), [0xff, 0x7f]);
  assert.equal(u32(16384), [0x80, 0x80, 0x01]);
  assert.equal(u32(624485), [0xe5, 0x8e, 0x26]);
  assert.equal(u32(2 ** 31), [0x80, 0x80, 0x80, 0x80, 0x08]);
  assert.equal(u32(2 ** 32 - 1), [0xff, 0xff, 0xff, 0xff, 0x0f]);
  for (const bad of [-1, 2 ** 32, 1.5, NaN]) assert.throws(() => u32(bad), /not a u32/);
});

test('signed LEB128 keeps the sign bit, at every boundary', () => {
  assert.equal(i32(0), [0x00]);
  assert.equal(i32(-1), [0x7f]);
  assert.equal(i32(63), [0x3f]);
  assert.equal(i32(64), [0xc0, 0x00]);
  assert.equal(i32(-64), [0x40]);
  assert.equal(i32(-65), [0xbf, 0x7f]);
  assert.equal(i32(127), [0xff, 0x00]);
  assert.equal(i32(-128), [0x80, 0x7f]);
  assert.equal(i32(-123456), [0xc0, 0xbb, 0x78]);
  assert.equal(i32(2 ** 31 - 1), [0xff, 0xff, 0xff, 0xff, 0x07]);
  assert.equal(i32(-(2 ** 31)), [0x80, 0x80, 0x80, 0x80, 0x78]);
  for (const bad of [2 ** 31, -(2 ** 31) - 1, 0.5]) assert.throws(() => i32(bad), /not an i32/);
});

test('LEB128 round-trips through the decoders', () => {
  const values = [0, 1, 63, 64, 127, 128, 8191, 8192, 2 ** 21 - 1, 2 ** 21, 2 ** 28, 2 ** 31 - 1];
  for (const v of values) {
    assert.is(readU32(u32(v)).value, v);
    assert.is(readI32(i32(v)).value, v);
    assert.is(readI32(i32(-v)).value, -v);
    assert.is(readU32(u32(v)).next, u32(v).length);
  }
  assert.is(readU32(u32(2 ** 32 - 1)).value, 2 ** 32 - 1);
  assert.is(readI32(i32(-(2 ** 31))).value, -(2 ** 31));
});

test('f32 constants are little-endian IEEE single', () => {
  assert.equal(f32Bytes(1), [0x00, 0x00, 0x80, 0x3f]);
  assert.equal(f32Bytes(-2), [0x00, 0x00, 0x00, 0xc0]);
});

// --- modules -----------------------------------------------------------------------------

function single(name: string, params: readonly ValType[], results: readonly ValType[], body: (f: FuncBuilder) => void, memory?: WasmModule['memory']): WasmModule {
  const f = new FuncBuilder(name, params.map((type, i) => ({ name: `p${i}`, type })), results);
  body(f);
  return { ...(memory !== undefined ? { memory } : {}), globals: [], funcs: [f.func()] };
}

function exportsOf(m: WasmModule, imports: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {}): Readonly<Record<string, unknown>> {
  const bytes = encodeModule(m);
  assert.ok(WA.validate(bytes), 'module validates');
  return new WA.Instance(new WA.Module(bytes), imports).exports;
}

test('the empty module is the 8-byte header plus empty sections', () => {
  const bytes = encodeModule({ globals: [], funcs: [] });
  assert.equal([...bytes.subarray(0, 8)], [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
  assert.ok(WA.validate(bytes));
});

test('a tiny module validates and runs: integer arithmetic and constants', () => {
  const add = single('add', ['i32', 'i32'], ['i32'], (f) => f.get(f.param(0)).get(f.param(1)).op('i32.add'));
  assert.is((exportsOf(add).add as (a: number, b: number) => number)(40, 2), 42);
  for (const c of [0, -1, 63, 64, -64, -65, 2 ** 31 - 1, -(2 ** 31), 123456789]) {
    const m = single('k', [], ['i32'], (f) => f.i32(c));
    assert.is((exportsOf(m).k as () => number)(), c, `i32.const ${c}`);
  }
  const half = single('h', [], ['f32'], (f) => f.op('f32.const', 0.5));
  assert.is((exportsOf(half).h as () => number)(), 0.5);
});

test('locals, loops and branches: a counted sum', () => {
  const m = single('sum', ['i32'], ['i32'], (f) => {
    const i = f.local('i', 'i32'), s = f.local('s', 'i32');
    f.i32(0).set(i).i32(0).set(s);
    f.doWhile(i, 1, f.param(0), () => { f.get(s).get(i).op('i32.add').set(s); });
    f.get(s);
  });
  assert.is((exportsOf(m).sum as (n: number) => number)(101), 5050);
});

test('SIMD ops over an imported memory: load, splat, add, mul, max, lanes', () => {
  const memory = new WA.Memory({ initial: 1 });
  const m = single('v', ['i32'], [], (f) => {
    const p = f.param(0), x = f.local('x', 'v128'), y = f.local('y', 'v128');
    f.get(p).mem('v128.load', 0).set(x);
    f.get(p).mem('v128.load32_splat', 16).set(y);
    // out[0..3] = max(x * splat(y0) + x, 0)
    f.get(p).get(x).get(y).op('f32x4.mul').get(x).op('f32x4.add').op('v128.const', ...new Array<number>(16).fill(0)).op('f32x4.max').mem('v128.store', 32);
    // out[4] = lane 2 of x; out[5..6] = lanes 0..1 of y via store32_lane, after a partial load
    f.get(p).get(x).op('f32x4.extract_lane', 2).mem('f32.store', 48);
    f.get(p).mem('v128.load32_zero', 4).set(y);
    f.get(p).get(y).mem('v128.load32_lane', 8, 1).set(y);
    f.get(p).get(y).mem('v128.store32_lane', 52, 0);
    f.get(p).get(y).mem('v128.store32_lane', 56, 1);
  }, { module: 'env', name: 'memory', min: 1, shared: false });
  const run = exportsOf(m, { env: { memory } }).v as (p: number) => void;
  const F = new Float32Array(memory.buffer);
  F.set([1, -2, 3, -4, 2], 16);
  run(64);
  assert.equal([...F.subarray(24, 31)], [3, 0, 9, 0, 3, -2, 3]);
});

test('f32x4.relaxed_madd is detected, and runs when present', () => {
  const features = wasmFeatures();
  assert.ok(features.simd);
  if (!features.relaxedSimd) return;
  const memory = new WA.Memory({ initial: 1 });
  const m = single('fma', ['i32'], [], (f) => {
    const p = f.param(0);
    f.get(p).get(p).mem('v128.load', 0).get(p).mem('v128.load', 16).get(p).mem('v128.load', 32).op('f32x4.relaxed_madd').mem('v128.store', 48);
  }, { module: 'env', name: 'memory', min: 1, shared: false });
  const F = new Float32Array(memory.buffer);
  F.set([1, 2, 3, 4, 5, 6, 7, 8, 1, 1, 1, 1]);
  (exportsOf(m, { env: { memory } }).fma as (p: number) => void)(0);
  assert.equal([...F.subarray(12, 16)], [6, 13, 22, 33]);
});

test('a shared memory import needs a maximum and a shared memory', () => {
  const m = single('n', [], [], () => undefined, { module: 'env', name: 'memory', min: 1, max: 16, shared: true });
  const shared = new WA.Memory({ initial: 1, maximum: 16, shared: true });
  exportsOf(m, { env: { memory: shared } });
  assert.throws(() => exportsOf(m, { env: { memory: new WA.Memory({ initial: 1 }) } }));
  assert.throws(() => encodeModule(single('n', [], [], () => undefined, { module: 'env', name: 'memory', min: 1, shared: true })), /maximum/);
});

test('the encoder checks immediates and alignment', () => {
  assert.throws(() => writeInstr([], { op: 'local.get', imm: [] }), /missing an immediate/);
  assert.throws(() => writeInstr([], { op: 'i32.add', imm: [1] }), /extra immediates/);
  assert.throws(() => writeInstr([], { op: 'f32.load', imm: [3, 0] }), /alignment/);
  const out: number[] = [];
  writeInstr(out, { op: 'f32x4.relaxed_madd', imm: [] });
  assert.equal(out, [0xfd, 0x85, 0x02]);
  const builder = new FuncBuilder('f', []);
  builder.local('x', 'i32');
  assert.throws(() => builder.local('x', 'f32'), /declared twice/);
  assert.throws(() => builder.op('block', 0x40).func(), /unclosed/);
});

test('the text form names locals and globals and indents blocks', () => {
  const f = new FuncBuilder('k', [{ name: 'p', type: 'i32' }]);
  const x = f.local('x', 'v128');
  f.op('global.get', 0).op('drop');
  f.loop(() => { f.get(f.param(0)).mem('v128.load', 32).set(x); f.i32(0).op('br_if', 0); });
  const text = printWat({
    memory: { module: 'env', name: 'memory', min: 1, max: 65536, shared: true },
    globals: [{ module: 'env', name: 'scratch', type: 'i32', mutable: false }],
    funcs: [f.func()],
  });
  assert.match(text, '(import "env" "memory" (memory 1 65536 shared))');
  assert.match(text, '(import "env" "scratch" (global $scratch i32))');
  assert.match(text, '(func $k (export "k") (param $p i32)');
  assert.match(text, '(local $x v128)');
  assert.match(text, '    global.get $scratch\n');
  assert.match(text, '    loop\n      local.get $p\n      v128.load offset=32\n      local.set $x\n');
  assert.ok(text.endsWith('end))'));
});

test.run();
