import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as b from '../src/ir/build.js';
import { interpret, refContext } from '../src/ir/interpret.js';
import type { Node } from '../src/ir/node.js';
import type { RefTensor } from '../src/ir/ops/rule.js';
import { sizeOf } from '../src/ir/types.js';
import { WebAssemblyApi as WA, pagesFor } from '../src/codegen/wasm/engine.js';
import { wasmFeatures } from '../src/codegen/wasm/features.js';
import { GEMV_MAX_ROWS, gemvKBlock, isGemvShape } from '../src/codegen/wasm/gemv-emit.js';
import { compileWasmGemv } from '../src/codegen/wasm/gemv-kernel.js';
import { IDENTITY, type NativeEpilogue } from '../src/codegen/wasm/matmul-emit.js';
import { shapeOfMatmul } from '../src/codegen/matmul-shape.js';

/** Deterministic data, so a failure reproduces. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  };
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

/**
 * The largest error of an output over the float32 bound of its sum: a dot product of K terms
 * rounded in float32 errs by at most about K·2⁻²⁴ of Σ|a|·|b| (+ |bias|), however much it cancels.
 */
function boundError(got: ArrayLike<number>, c: Case): number {
  const [M, K] = c.a.shape, N = c.w.shape[1];
  let worst = 0;
  for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
    let abs = Math.abs(c.bias?.data[j] ?? 0);
    for (let k = 0; k < K; k++) abs += Math.abs(c.a.data[i * K + k] * c.w.data[k * N + j]);
    const e = Math.abs(got[i * N + j] - c.want[i * N + j]);
    worst = Math.max(worst, Number.isNaN(e) ? Infinity : e / (Math.max(abs, 1e-30) * (K + 1) * 2 ** -24));
  }
  return worst;
}

interface Case { readonly node: Node<'matmul'>; readonly a: RefTensor; readonly w: RefTensor; readonly bias?: RefTensor; readonly want: Float64Array }

/** A product with its epilogue, and the interpreter's value of the whole expression. */
function makeCase(M: number, K: number, N: number, epilogue: NativeEpilogue): Case {
  const random = rng(M * 7919 + K * 104729 + N * 31 + (epilogue.bias ? 1 : 0) + (epilogue.relu ? 2 : 0));
  const x = b.input('a', [M, K]), y = b.input('b', [K, N]), biasNode = b.input('bias', [N]);
  const node = b.matmul(x, y, false, false);
  const a = randomTensor([M, K], random), w = randomTensor([K, N], random);
  const bias = epilogue.bias ? randomTensor([N], random) : undefined;
  let out: Node = node;
  if (epilogue.bias) out = b.add(out, biasNode);
  if (epilogue.relu) out = b.maximum(out, 0);
  const sources = new Map<Node, RefTensor>([[x, a], [y, w]]);
  if (bias !== undefined) sources.set(biasNode, bias);
  const want = interpret({ outputs: [out], updates: [] }, refContext(sources)).outputs[0].data;
  return { node, a, w, ...(bias !== undefined ? { bias } : {}), want };
}

/** Runs the GEMV on a case over NaN-guarded, odd (unaligned) offsets; checks values, guards and inputs. */
function check(c: Case, epilogue: NativeEpilogue, relaxed: boolean): void {
  const kernel = compileWasmGemv(c.node, { epilogue, relaxed });
  const o0 = 3, o1 = o0 + c.want.length + 5, o2 = o1 + c.a.data.length + 7, o3 = o2 + c.w.data.length + 1;
  const memory = new WA.Memory({ initial: pagesFor((o3 + (c.bias?.data.length ?? 0) + 8) * 4) });
  const F = new Float32Array(memory.buffer);
  F.fill(NaN);
  F.set(c.a.data, o1);
  F.set(c.w.data, o2);
  if (c.bias !== undefined) F.set(c.bias.data, o3);
  // Twice: the second call must not depend on what the first left in C.
  for (let call = 0; call < 2; call++) kernel.instantiate(memory)(o0 * 4, o1 * 4, o2 * 4, o3 * 4);
  const e = boundError(F.subarray(o0, o0 + c.want.length), c);
  assert.ok(e <= 1, `${kernel.name} (relaxed ${relaxed}): error ${e} of the float32 bound`);
  assert.ok(Number.isNaN(F[o0 - 1]) && Number.isNaN(F[o0 + c.want.length]), `${kernel.name} wrote outside its output`);
  assert.is(relError(F.subarray(o1, o1 + c.a.data.length), c.a.data), 0, `${kernel.name} changed A`);
  assert.is(relError(F.subarray(o2, o2 + c.w.data.length), c.w.data), 0, `${kernel.name} changed B`);
}

const relaxedModes = wasmFeatures().relaxedSimd ? [false, true] : [false];
const EPILOGUES: readonly NativeEpilogue[] = [IDENTITY, { bias: true, relu: false }, { bias: false, relu: true }, { bias: true, relu: true }];
// K around the k block (8, 4, 2 rows of B for 1, 2, 3-4 rows of A), N around the vector groups and partial vectors.
const KS = [1, 2, 3, 7, 8, 9, 16, 17, 33, 784];
const NS = [1, 2, 3, 4, 5, 7, 8, 12, 16, 17, 19, 33, 515];

for (let M = 1; M <= GEMV_MAX_ROWS; M++) {
  test(`wasm gemv ${M} row(s): every epilogue, k and n edges, with and without relaxed SIMD, against the interpreter`, () => {
    for (const K of KS) for (const N of NS) {
      if (K * N > 60_000 && N !== 515) continue;
      for (const epilogue of EPILOGUES) {
        const c = makeCase(M, K, N, epilogue);
        for (const relaxed of relaxedModes) check(c, epilogue, relaxed);
      }
    }
  });
}

test('buffers flush with the end of memory: partial vectors never read or write past them', () => {
  const epilogue = { bias: true, relu: true };
  for (const [M, K, N] of [[1, 9, 7], [3, 5, 6], [2, 3, 1]] as const) {
    const c = makeCase(M, K, N, epilogue);
    const kernel = compileWasmGemv(c.node, { epilogue });
    const sizes = [c.want.length, c.a.data.length, c.w.data.length, N];
    for (let last = 0; last < 4; last++) {
      const memory = new WA.Memory({ initial: 1 });
      const F = new Float32Array(memory.buffer);
      const order = [0, 1, 2, 3].filter((x) => x !== last).concat(last);
      const at: number[] = [];
      let end = F.length;
      for (const buf of [...order].reverse()) { end -= sizes[buf]; at[buf] = end; }
      F.set(c.a.data, at[1]);
      F.set(c.w.data, at[2]);
      F.set(c.bias!.data, at[3]);
      kernel.instantiate(memory)(at[0] * 4, at[1] * 4, at[2] * 4, at[3] * 4);
      const e = boundError(F.subarray(at[0], at[0] + c.want.length), c);
      assert.ok(e <= 1, `${kernel.name}, buffer ${last} last: error ${e} of the float32 bound`);
    }
  }
});

test('which products take the GEMV: a few rows, unbatched, neither operand transposed', () => {
  const shape = (M: number, ta: boolean, tb: boolean, batch = 1) => {
    const lead = batch > 1 ? [batch] : [];
    return shapeOfMatmul(b.matmul(b.input('a', ta ? [...lead, 5, M] : [...lead, M, 5]), b.input('b', tb ? [...lead, 6, 5] : [...lead, 5, 6]), ta, tb));
  };
  assert.ok(isGemvShape(shape(1, false, false)));
  assert.ok(isGemvShape(shape(GEMV_MAX_ROWS, false, false)));
  assert.not.ok(isGemvShape(shape(GEMV_MAX_ROWS + 1, false, false)));
  assert.not.ok(isGemvShape(shape(1, true, false)));
  assert.not.ok(isGemvShape(shape(1, false, true)));
  assert.not.ok(isGemvShape(shape(1, false, false, 2)));
  assert.ok(gemvKBlock(1) * 1 <= 8 && gemvKBlock(4) * 4 <= 8, 'the splats of a k block fit their registers');
});

test.run();
