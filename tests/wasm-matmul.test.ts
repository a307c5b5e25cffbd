import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as b from '../src/ir/build.js';
import { interpret, refContext } from '../src/ir/interpret.js';
import type { Node } from '../src/ir/node.js';
import type { RefTensor } from '../src/ir/ops/rule.js';
import { sizeOf } from '../src/ir/types.js';
import type { Epilogue } from '../src/codegen/contraction-api.js';
import { instantiate } from '../src/codegen/kernel.js';
import { ident, stmts } from '../src/codegen/template.js';
import { WebAssemblyApi as WA, pagesFor, type WasmMemory } from '../src/codegen/wasm/engine.js';
import { emitEpiloguePass } from '../src/codegen/epilogue-pass.js';
import { wasmFeatures } from '../src/codegen/wasm/features.js';
import { autotuneMatmul } from '../src/codegen/wasm/matmul-autotune.js';
import { IDENTITY, type NativeEpilogue } from '../src/codegen/wasm/matmul-emit.js';
import { compileWasmMatmul, type WasmMatmulOptions } from '../src/codegen/wasm/matmul-kernel.js';
import { shapeOfMatmul } from '../src/codegen/matmul-shape.js';
import { kBlocking, TILES } from '../src/codegen/wasm/matmul-plan.js';

/** Deterministic data, so a failure reproduces. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  };
}

function structureSeed(node: Node<'matmul'>): number {
  const text = JSON.stringify([node.inputs.map((i) => i.shape), node.attrs]);
  let h = 17;
  for (let i = 0; i < text.length; i++) h = (Math.imul(h, 31) + text.charCodeAt(i)) | 0;
  return h;
}

function randomTensor(shape: readonly number[], random: () => number): RefTensor {
  const data = new Float64Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = Math.fround(random());
  return { shape: [...shape], data };
}

function relError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let scale = 0, err = 0;
  for (let i = 0; i < want.length; i++) {
    scale = Math.max(scale, Math.abs(want[i]));
    const e = Math.abs(got[i] - want[i]);
    err = Number.isNaN(e) ? Infinity : Math.max(err, e);
  }
  return err / Math.max(scale, 1e-30);
}

interface Placed {
  readonly memory: WasmMemory;
  readonly F: Float32Array;
  /** Element offsets of C, A, B, bias, scratch. Odd, so vectors are unaligned and edges are real. */
  readonly o: readonly [number, number, number, number, number];
  readonly outSize: number;
}

/** Lays out C, A, B and the bias in one wasm memory with NaN guard cells between them. */
function place(outSize: number, x: RefTensor, y: RefTensor, bias: RefTensor | undefined, scratchBytes: number, shared = false): Placed {
  const o0 = 3, o1 = o0 + outSize + 5, o2 = o1 + x.data.length + 7, o3 = o2 + y.data.length + 1;
  const o4 = Math.ceil((o3 + (bias?.data.length ?? 0) + 3) / 4) * 4;
  const pages = pagesFor(o4 * 4 + scratchBytes + 64);
  const memory = new WA.Memory(shared ? { initial: pages, maximum: pages, shared: true } : { initial: pages });
  const F = new Float32Array(memory.buffer);
  F.fill(NaN);
  F.set(x.data, o1);
  F.set(y.data, o2);
  if (bias !== undefined) F.set(bias.data, o3);
  return { memory, F, o: [o0, o1, o2, o3, o4], outSize };
}

interface Case {
  readonly node: Node<'matmul'>;
  readonly inputs: readonly [RefTensor, RefTensor];
  readonly bias?: RefTensor;
  /** The reference value of the whole fused expression. */
  readonly want: Float64Array;
}

function makeCase(node: Node<'matmul'>, epilogue: NativeEpilogue = IDENTITY): Case {
  // Seeded by the case's structure, not by node ids (which depend on what ran before), so a
  // case draws the same data whatever the test order.
  const random = rng(structureSeed(node));
  const [x, y] = node.inputs;
  const inputs: [RefTensor, RefTensor] = [randomTensor(x.shape as number[], random), randomTensor(y.shape as number[], random)];
  const N = node.shape[node.shape.length - 1] as number;
  const biasNode = b.input('bias', [N]);
  const bias = epilogue.bias ? randomTensor([N], random) : undefined;
  let out: Node = node;
  if (epilogue.bias) out = b.add(out, biasNode);
  if (epilogue.relu) out = b.maximum(out, 0);
  const sources = new Map<Node, RefTensor>([[x, inputs[0]], [y, inputs[1]]]);
  if (bias !== undefined) sources.set(biasNode, bias);
  const want = interpret({ outputs: [out], updates: [] }, refContext(sources)).outputs[0].data;
  return { node, inputs, ...(bias !== undefined ? { bias } : {}), want };
}

/** Runs the wasm kernel on a case and checks it against the reference and its guard cells. */
function check(c: Case, options: WasmMatmulOptions = {}): void {
  const kernel = compileWasmMatmul(c.node, options);
  const p = place(c.want.length, c.inputs[0], c.inputs[1], c.bias, kernel.scratchBytes, options.shared);
  const [o0, o1, o2, o3, o4] = p.o;
  const run = kernel.instantiate(p.memory, o4 * 4);
  run(o0 * 4, o1 * 4, o2 * 4, o3 * 4);
  const got = p.F.subarray(o0, o0 + p.outSize);
  const e = relError(got, c.want);
  assert.ok(e <= 1e-5, `${kernel.name} (relaxed ${kernel.relaxed}, kc ${kernel.maxKc}): relative error ${e}`);
  assert.ok(Number.isNaN(p.F[o0 - 1]) && Number.isNaN(p.F[o0 + p.outSize]), `${kernel.name} wrote outside its output`);
  // Inputs are read, never written.
  assert.is(relError(p.F.subarray(o1, o1 + c.inputs[0].data.length), c.inputs[0].data), 0, `${kernel.name} changed A`);
  assert.is(relError(p.F.subarray(o2, o2 + c.inputs[1].data.length), c.inputs[1].data), 0, `${kernel.name} changed B`);
}

const SHAPES: readonly (readonly [number, number, number])[] = [
  [1, 1, 1], [1, 7, 1], [3, 1, 5], [4, 4, 2], [2, 3, 16], [5, 3, 7], [7, 9, 3], [8, 16, 6], [13, 17, 11],
  [4, 5, 17], [3, 2, 19], [33, 65, 31], [130, 300, 9], [6, 1100, 10], [97, 401, 515], [17, 600, 48],
];

const matmulNode = (M: number, K: number, N: number, ta: boolean, tb: boolean, batch = 1): Node<'matmul'> => {
  const lead = batch > 1 ? [batch] : [];
  const a = b.input('a', ta ? [...lead, K, M] : [...lead, M, K]);
  const w = b.input('b', tb ? [...lead, N, K] : [...lead, K, N]);
  return b.matmul(a, w, ta, tb);
};

const relaxedModes = wasmFeatures().relaxedSimd ? [false, true] : [false];

for (const ta of [false, true]) for (const tb of [false, true]) {
  test(`wasm matmul transposeA=${ta} transposeB=${tb}: every tile, many shapes, with and without relaxed SIMD`, () => {
    for (const [M, K, N] of SHAPES) {
      const c = makeCase(matmulNode(M, K, N, ta, tb));
      for (const tile of TILES) for (const relaxed of relaxedModes) check(c, { tile, relaxed });
    }
  });
  test(`wasm matmul transposeA=${ta} transposeB=${tb}: several k blocks with a short last one`, () => {
    for (const [M, K, N] of [[5, 23, 18], [9, 64, 33], [2, 101, 4]] as const) {
      const c = makeCase(matmulNode(M, K, N, ta, tb));
      for (const maxKc of [1, 7, 16]) for (const tile of TILES) check(c, { tile, maxKc });
    }
  });
  test(`batched wasm matmul transposeA=${ta} transposeB=${tb}`, () => {
    for (const [batch, M, K, N] of [[3, 4, 6, 2], [2, 5, 3, 7], [4, 9, 300, 21], [2, 1, 1, 1]] as const) {
      const c = makeCase(matmulNode(M, K, N, ta, tb, batch));
      for (const tile of TILES) check(c, { tile, maxKc: 128 });
    }
  });
}

test('B read in place, no panel packed: every tile whose vectors N fills, k blocks, batches, A either way', () => {
  for (const ta of [false, true]) {
    for (const [batch, M, K, N] of [[1, 7, 9, 32], [1, 13, 23, 12], [2, 5, 40, 20], [1, 26, 9, 8], [3, 4, 3, 16]] as const) {
      const c = makeCase(matmulNode(M, K, N, ta, false, batch));
      for (const tile of TILES.filter((t) => t.vecs * 4 <= N)) for (const maxKc of [7, 256]) check(c, { tile, maxKc, inPlaceB: true });
    }
  }
  assert.throws(() => compileWasmMatmul(matmulNode(4, 5, 6, false, false), { inPlaceB: true, tile: { rows: 2, vecs: 1 } }), /B read in place needs .*N 6/);
  assert.throws(() => compileWasmMatmul(matmulNode(4, 5, 8, false, true), { inPlaceB: true, tile: { rows: 2, vecs: 1 } }), /transposeB true/);
});

test('wasm matmul with several row tiles, k blocks and panels, odd edges in each', () => {
  for (const [ta, tb] of [[false, false], [true, true]] as const) check(makeCase(matmulNode(193, 577, 769, ta, tb)));
});

test('buffers ending at the last byte of memory: partial vectors never read or write past them', () => {
  const epilogue = { bias: true, relu: false };
  for (const [ta, tb] of [[false, false], [true, true], [false, true], [true, false]] as const) {
    const c = makeCase(matmulNode(3, 5, 7, ta, tb), epilogue);
    const kernel = compileWasmMatmul(c.node, { epilogue, tile: TILES[0] });
    const sizes = [c.want.length, c.inputs[0].data.length, c.inputs[1].data.length, 7];
    // Each buffer in turn is placed last, flush with the end of the one-page memory.
    for (let last = 0; last < 4; last++) {
      const memory = new WA.Memory({ initial: 1 });
      const F = new Float32Array(memory.buffer);
      const order = [0, 1, 2, 3].filter((x) => x !== last).concat(last);
      const at: number[] = [];
      let end = F.length;
      for (const buf of [...order].reverse()) { end -= sizes[buf]; at[buf] = end; }
      F.set(c.inputs[0].data, at[1]);
      F.set(c.inputs[1].data, at[2]);
      F.set(c.bias!.data, at[3]);
      kernel.instantiate(memory, 0)(at[0] * 4, at[1] * 4, at[2] * 4, at[3] * 4);
      const e = relError(F.subarray(at[0], at[0] + c.want.length), c.want);
      assert.ok(e <= 1e-5, `${kernel.name}, buffer ${last} last: relative error ${e}`);
    }
  }
});

test('k blocks are near-equal and cover K', () => {
  assert.equal(kBlocking(784, 512), { kc: 392, blocks: 2 });
  assert.equal(kBlocking(512, 512), { kc: 512, blocks: 1 });
  assert.equal(kBlocking(1100, 512), { kc: 367, blocks: 3 });
  assert.equal(kBlocking(23, 7), { kc: 6, blocks: 4 });
  for (let K = 1; K < 200; K++) for (const max of [1, 5, 64]) {
    const { kc, blocks } = kBlocking(K, max);
    assert.ok(kc <= max && (blocks - 1) * kc < K && blocks * kc >= K, `K ${K}, max ${max}`);
  }
});

const EPILOGUES: readonly NativeEpilogue[] = [{ bias: true, relu: false }, { bias: false, relu: true }, { bias: true, relu: true }];

test('native epilogues: bias row vector, relu, both; on the last k block only', () => {
  for (const epilogue of EPILOGUES) {
    for (const [M, K, N, ta, tb] of [[5, 7, 19, false, false], [16, 40, 33, true, false], [3, 70, 8, false, true], [130, 300, 9, true, true], [1, 1, 1, false, false]] as const) {
      const c = makeCase(matmulNode(M, K, N, ta, tb), epilogue);
      for (const tile of TILES) {
        check(c, { tile, epilogue });
        check(c, { tile, epilogue, maxKc: 16 });
      }
    }
    const batched = makeCase(matmulNode(4, 9, 13, false, true, 3), epilogue);
    check(batched, { epilogue });
  }
});

test('relu keeps NaN and turns -0 into +0, as Math.max does in the JS tier', () => {
  const node = matmulNode(1, 1, 4, false, false);
  const kernel = compileWasmMatmul(node, { epilogue: { bias: false, relu: true } });
  const memory = new WA.Memory({ initial: 1 });
  const F = new Float32Array(memory.buffer);
  F.set([1], 4); // A
  F.set([NaN, -0, -3, 2], 8); // B
  kernel.instantiate(memory, 256)(0, 16, 32);
  assert.ok(Number.isNaN(F[0]));
  assert.ok(Object.is(F[1], 0));
  assert.equal([...F.subarray(2, 4)], [0, 2]);
});

test('JS fallback epilogue: the kernel stores the raw product, a JS pass finishes it in place', () => {
  for (const [batch, M, K, N] of [[1, 7, 13, 19], [3, 4, 5, 6], [1, 1, 1, 1]] as const) {
    const node = matmulNode(M, K, N, false, true, batch);
    const random = rng(99 + M);
    const [x, y] = node.inputs;
    const biasNode = b.input('bias', [N]);
    const inputs = [randomTensor(x.shape as number[], random), randomTensor(y.shape as number[], random)] as const;
    const bias = randomTensor([N], random);
    // An epilogue no native one covers: tanh(acc + bias) * 0.5.
    const out = b.multiply(b.tanh(b.add(node, biasNode)), 0.5);
    const want = interpret({ outputs: [out], updates: [] }, refContext(new Map([[x, inputs[0]], [y, inputs[1]], [biasNode, bias]]))).outputs[0].data;
    const lead = batch > 1 ? 1 : 0;
    const epilogue: Epilogue = (acc, at) => stmts('F[o0 + $flat] = Math.tanh($acc + F[o3 + $j]) * 0.5;', { $flat: at.flat, $acc: acc, $j: at.coord(lead + 1) });
    const code = emitEpiloguePass(node, ident('o0'), epilogue);
    assert.is(code.name, `matmul${batch > 1 ? `_b${batch}` : ''}_nt_${M}x${K}x${N}_epilogue`);
    const pass = instantiate({ name: code.name, buffers: 4, prelude: code.prelude, body: code.body });

    const kernel = compileWasmMatmul(node);
    const p = place(want.length, inputs[0], inputs[1], bias, kernel.scratchBytes);
    const [o0, o1, o2, o3, o4] = p.o;
    kernel.instantiate(p.memory, o4 * 4)(o0 * 4, o1 * 4, o2 * 4);
    pass.run(p.F, new Int32Array(p.memory.buffer), new Uint8Array(p.memory.buffer), o0, o1, o2, o3);
    const e = relError(p.F.subarray(o0, o0 + want.length), want);
    assert.ok(e <= 1e-5, `${code.name}: relative error ${e}`);
    assert.ok(Number.isNaN(p.F[o0 - 1]) && Number.isNaN(p.F[o0 + want.length]));
  }
});

test('kernels run over a shared memory when compiled for one', () => {
  if (!wasmFeatures().sharedMemory) return;
  const c = makeCase(matmulNode(9, 33, 21, false, false), { bias: true, relu: true });
  check(c, { shared: true, epilogue: { bias: true, relu: true } });
  const kernel = compileWasmMatmul(c.node, { shared: true });
  assert.match(kernel.wat(), '(memory 1 65536 shared)');
  assert.throws(() => kernel.instantiate(new WA.Memory({ initial: 1 }), 0));
});

test('kernels are named, cached per shape and options, and print as text', () => {
  const node = matmulNode(128, 784, 512, false, false);
  const k = compileWasmMatmul(node, { tile: TILES[0], epilogue: { bias: true, relu: true } });
  assert.is(k.name, 'matmul_128x784x512_2x16_bias_relu');
  assert.is(k.arity, 4);
  assert.is(compileWasmMatmul(shapeOfMatmul(node), { tile: TILES[0], epilogue: { bias: true, relu: true } }), k);
  assert.is.not(compileWasmMatmul(node, { tile: TILES[1] }), k);
  assert.is(compileWasmMatmul(matmulNode(4, 2, 3, true, true, 5)).name, 'matmul_b5_tt_4x2x3_4x8');
  const text = k.wat();
  assert.match(text, '(func $matmul_128x784x512_2x16_bias_relu (export "matmul_128x784x512_2x16_bias_relu") (param $c i32) (param $a i32) (param $b i32) (param $bias i32)');
  assert.match(text, 'v128.load32_splat offset=3136');
  assert.match(text, k.relaxed ? 'f32x4.relaxed_madd' : 'f32x4.mul');
  assert.match(text, 'f32x4.max');
  // 2 rows x 4 vectors of accumulators, no more.
  assert.is((text.match(/\(local \$acc/g) ?? []).length, 8);
});

test('autotune times the tiles on large products and skips small ones', () => {
  const big = shapeOfMatmul(matmulNode(128, 256, 128, false, false));
  const tuned = autotuneMatmul(big, {}, TILES, 1);
  assert.is(tuned.trials.length, TILES.length);
  assert.ok(tuned.trials.every((t) => t.ms > 0 && Number.isFinite(t.ms)));
  assert.ok(TILES.includes(tuned.kernel.tile));
  assert.is(autotuneMatmul(big, {}, TILES, 1).kernel, tuned.kernel, 'the choice is remembered');
  const small = autotuneMatmul(shapeOfMatmul(matmulNode(4, 5, 6, false, false)));
  assert.is(small.trials.length, 0);
  check(makeCase(matmulNode(128, 256, 128, false, false)), { tile: tuned.kernel.tile });
});

test.run();
