/**
 * The float32 error bound of Winograd F(2x2, 3x3) against the float64 interpreter, for any tier's
 * kernel: tests/wasm-winograd.test.ts checks the WebAssembly kernel with it, tests/native-tier.test.ts
 * the C twin (both bind the same WasmConvKernel, the native one through its products hook).
 */
import * as assert from 'uvu/assert';
import { compileWasmConv, type ConvFn, type WasmConvKernel } from '../../src/codegen/wasm/conv-kernel.js';
import { WebAssemblyApi as WA, pagesFor, type WasmMemory } from '../../src/codegen/wasm/engine.js';
import { winogradSpec, type WinogradSpec } from '../../src/codegen/wasm/winograd-plan.js';
import type { Padding2D } from '../../src/ir/attrs.js';
import * as B from '../../src/ir/build.js';
import { interpret, refContext } from '../../src/ir/interpret.js';
import type { Node } from '../../src/ir/node.js';
import type { RefTensor } from '../../src/ir/ops/rule.js';
import { randomData } from './compiled.js';
import { rng } from './gradcheck.js';

const size = (shape: readonly number[]) => shape.reduce((p, q) => p * q, 1);
type Dims4 = [number, number, number, number];

/**
 * The error bound of F(2x2, 3x3) in float32, from forward error analysis: every value the kernel
 * computes is an exact sum or product of computed values times (1 + δ), |δ| <= u = 2^-24, so the
 * result is Σ over monomials (coefficient · d · g) of each monomial times a product of (1 + δ)
 * over the roundings on its path, and
 *   |ŷ - y| <= γ_n · Σ |monomials|,  γ_n = n·u / (1 - n·u).
 * Σ |monomials| is the same Winograd computation with every transform matrix, input and filter
 * value replaced by its absolute value (`absWinograd`): it grows with the transforms' magnitudes
 * (Σ|Aᵀ|·|Bᵀ|·|G| entries), not with the cancellation that keeps y small. The longest path has
 * n = Cin + 10 roundings: 2 in the input transform (Bᵀ d, then · B), 1 rounding the float64
 * filter transform to float32, 1 product and Cin sums in the matmul's reduction over the
 * channels, 4 in the output transform (Aᵀ M, then · A: two adds each), 1 for the bias, and 1 to
 * cover the float64 reference's own rounding. relu is exact and 1-Lipschitz.
 */
const U = 2 ** -24;
export const gamma = (n: number) => (n * U) / (1 - n * U);

export const BT = [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]];
export const G = [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]];
export const AT = [[1, 1, 1, 0], [0, 1, -1, -1]];

/** Σ|monomials| for every output element: Winograd over |x|, |g| and the transforms' absolute values, in float64. */
function absWinograd(s: WinogradSpec, img: Float64Array, filter: (a: number, b: number, ci: number, co: number) => number, bias?: Float64Array): Float64Array {
  const { N, H, W, Cin, OH, OW, Cout } = s;
  const Ua = new Float64Array(16 * Cin * Cout);
  for (let ci = 0; ci < Cin; ci++) for (let co = 0; co < Cout; co++) {
    for (let p = 0; p < 4; p++) for (let q = 0; q < 4; q++) {
      let u = 0;
      for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) u += Math.abs(G[p][a]) * Math.abs(filter(a, b, ci, co)) * Math.abs(G[q][b]);
      Ua[((p * 4 + q) * Cin + ci) * Cout + co] = u;
    }
  }
  const out = new Float64Array(N * OH * OW * Cout);
  const V = new Float64Array(16 * Cin), M = new Float64Array(16 * Cout);
  for (let n = 0; n < N; n++) for (let ty = 0; ty < s.TY; ty++) for (let tx = 0; tx < s.TX; tx++) {
    const iy0 = 2 * ty - s.padTop, ix0 = 2 * tx - s.padLeft;
    const d = (r: number, c: number, ci: number) => {
      const iy = iy0 + r, ix = ix0 + c;
      return iy < 0 || iy >= H || ix < 0 || ix >= W ? 0 : Math.abs(img[((n * H + iy) * W + ix) * Cin + ci]);
    };
    for (let p = 0; p < 4; p++) for (let q = 0; q < 4; q++) for (let ci = 0; ci < Cin; ci++) {
      let v = 0;
      for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) v += Math.abs(BT[p][r]) * d(r, c, ci) * Math.abs(BT[q][c]);
      V[(p * 4 + q) * Cin + ci] = v;
    }
    M.fill(0);
    for (let k = 0; k < 16; k++) for (let ci = 0; ci < Cin; ci++) for (let co = 0; co < Cout; co++) M[k * Cout + co] += V[k * Cin + ci] * Ua[(k * Cin + ci) * Cout + co];
    for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) {
      const oy = 2 * ty + i, ox = 2 * tx + j;
      if (oy >= OH || ox >= OW) continue;
      for (let co = 0; co < Cout; co++) {
        let y = bias === undefined ? 0 : Math.abs(bias[co]);
        for (let p = 0; p < 4; p++) for (let q = 0; q < 4; q++) y += Math.abs(AT[i][p]) * Math.abs(AT[j][q]) * M[(p * 4 + q) * Cout + co];
        out[((n * OH + oy) * OW + ox) * Cout + co] = y;
      }
    }
  }
  return out;
}

export interface Case {
  readonly what: string;
  readonly op: 'conv2d' | 'conv2dBackpropInput';
  readonly x: Dims4;
  readonly F: number;
  readonly padding: Padding2D;
  readonly epilogue: boolean;
  readonly chunkBytes?: number;
}

export const CASES: readonly Case[] = [
  { what: 'valid, even output', op: 'conv2d', x: [2, 10, 8, 8], F: 12, padding: [0, 0, 0, 0], epilogue: false },
  { what: 'valid, odd output, bias+relu', op: 'conv2d', x: [2, 9, 11, 4], F: 8, padding: [0, 0, 0, 0], epilogue: true },
  { what: 'same padding, several chunks with a short last one', op: 'conv2d', x: [2, 7, 9, 8], F: 4, padding: [1, 1, 1, 1], epilogue: true, chunkBytes: 1 },
  { what: 'asymmetric padding, wide reduction', op: 'conv2d', x: [1, 6, 7, 64], F: 16, padding: [2, 0, 0, 1], epilogue: false },
  { what: 'input gradient, valid', op: 'conv2dBackpropInput', x: [2, 9, 8, 8], F: 12, padding: [0, 0, 0, 0], epilogue: false },
  { what: 'input gradient, same padding, bias+relu, chunks', op: 'conv2dBackpropInput', x: [2, 7, 7, 12], F: 8, padding: [1, 1, 1, 1], epilogue: true, chunkBytes: 1 },
];

export function nodeOf(c: Case): Node<'conv2d' | 'conv2dBackpropInput'> {
  const w = B.input('w', [3, 3, c.x[3], c.F]);
  const y = B.conv2d(B.input('x', c.x), w, [1, 1], c.padding);
  if (c.op === 'conv2d') return y;
  return B.conv2dBackpropInput(B.input('dy', y.shape), w, [c.x[1], c.x[2]], [1, 1], c.padding);
}

/** Binds a compiled kernel over a memory with scratch at `scratch`: the tier under test. */
export type Bind = (kernel: WasmConvKernel, memory: WasmMemory, scratch: number) => ConvFn;

/** Runs case `c` through `bind` and checks every element against the bound (and that it is not vacuous). */
export function checkWinogradBound(c: Case, seed: number, bind: Bind, threads = 1): void {
  const node = nodeOf(c);
  const spec = winogradSpec(node, c.chunkBytes);
  assert.ok(spec !== undefined, `${c.what}: Winograd applies`);
  if (spec === undefined) return;
  if (c.chunkBytes !== undefined) assert.ok(spec.chunks > 1 && spec.tiles % spec.chunkTiles !== 0, `${c.what}: several chunks, the last short`);
  const epilogue = { bias: c.epilogue, relu: c.epilogue };
  const kernel = compileWasmConv(node, { winograd: true, epilogue, ...(c.chunkBytes !== undefined ? { chunkBytes: c.chunkBytes } : {}) });
  assert.match(kernel.name, /winograd2x2/);
  const r = rng(seed);
  const [a, w] = node.inputs;
  const last = (node.shape as number[])[3];
  const values = new Map<Node, RefTensor>();
  for (const n of [a, w]) values.set(n, { shape: n.shape as number[], data: Float64Array.from(randomData(size(n.shape as number[]), r)) });
  const bias = Float64Array.from(randomData(last, r));
  const product = interpret({ outputs: [node], updates: [] }, refContext(values)).outputs[0].data;
  const want = c.epilogue ? product.map((v, i) => Math.max(0, v + bias[i % last])) : product;

  const [o, sa, sw] = [size(node.shape as number[]), size(a.shape as number[]), size(w.shape as number[])];
  const scratch = Math.ceil((o + sa + sw + last) / 16) * 16 * 4;
  const memory = new WA.Memory({ initial: pagesFor(scratch + kernel.scratchBytesFor(threads)) });
  const F = new Float32Array(memory.buffer);
  F.fill(Number.NaN, 0, o);
  // Stale scratch must not leak into the result: fill it with NaN too.
  F.fill(Number.NaN, scratch / 4, (scratch + kernel.scratchBytesFor(threads)) / 4);
  F.set(values.get(a)!.data, o);
  F.set(values.get(w)!.data, o + sa);
  F.set(bias, o + sa + sw);
  bind(kernel, memory, scratch)(0, o * 4, (o + sa) * 4, (o + sa + sw) * 4);

  const wData = values.get(w)!.data;
  const C = c.x[3];
  const filter = c.op === 'conv2d'
    ? (p: number, q: number, ci: number, co: number) => wData[((p * 3 + q) * C + ci) * c.F + co]
    : (p: number, q: number, ci: number, co: number) => wData[(((2 - p) * 3 + (2 - q)) * C + co) * c.F + ci];
  const abs = absWinograd(spec, values.get(a)!.data, filter, c.epilogue ? bias : undefined);
  const g = gamma(spec.Cin + 10);
  let worst = 0, used = 0;
  for (let i = 0; i < o; i++) {
    const err = Math.abs(F[i] - want[i]);
    const bound = g * abs[i];
    assert.ok(err <= bound, `${c.what}: element ${i} is ${F[i]}, want ${want[i]}: error ${err} over the bound ${bound}`);
    if (bound > 0) { worst = Math.max(worst, err / bound); used++; }
  }
  // The bound is not vacuous: the errors reach a visible fraction of it somewhere.
  assert.ok(used > 0 && worst > 0, `${c.what}: some element has rounding error`);
}

const AM = [[1, 0], [1, 1], [1, -1], [0, -1]];

/**
 * The filter gradient's Σ|monomials|: dw = Gᵀ [Σ_tiles (A e Aᵀ) ⊙ (Bᵀ d B)] G over |x|, |dy| and
 * the transforms' absolute values. Its longest rounding path has n = tiles + partials + 8
 * roundings: 2 in the x transform, 2 in the dy transform, 1 product, the sum over every tile of
 * a partial's chunks (at most `tiles`), the sum of the partials, 1 rounding the float64 output
 * transform to float32, and 1 for the reference.
 */
function absFilterGradient(s: WinogradSpec, x: Float64Array, dy: Float64Array): Float64Array {
  const { N, H, W, Cin, OH, OW, Cout } = s;
  const S = new Float64Array(16 * Cin * Cout);
  const V = new Float64Array(16 * Cin), E = new Float64Array(16 * Cout);
  for (let n = 0; n < N; n++) for (let ty = 0; ty < s.TY; ty++) for (let tx = 0; tx < s.TX; tx++) {
    const iy0 = 2 * ty - s.padTop, ix0 = 2 * tx - s.padLeft;
    const d = (r: number, c: number, ci: number) => {
      const iy = iy0 + r, ix = ix0 + c;
      return iy < 0 || iy >= H || ix < 0 || ix >= W ? 0 : Math.abs(x[((n * H + iy) * W + ix) * Cin + ci]);
    };
    const e = (i: number, j: number, co: number) => {
      const oy = 2 * ty + i, ox = 2 * tx + j;
      return oy >= OH || ox >= OW ? 0 : Math.abs(dy[((n * OH + oy) * OW + ox) * Cout + co]);
    };
    for (let p = 0; p < 4; p++) for (let q = 0; q < 4; q++) {
      for (let ci = 0; ci < Cin; ci++) {
        let v = 0;
        for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) v += Math.abs(BT[p][r]) * d(r, c, ci) * Math.abs(BT[q][c]);
        V[(p * 4 + q) * Cin + ci] = v;
      }
      for (let co = 0; co < Cout; co++) {
        let v = 0;
        for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) v += Math.abs(AM[p][i]) * e(i, j, co) * Math.abs(AM[q][j]);
        E[(p * 4 + q) * Cout + co] = v;
      }
    }
    for (let k = 0; k < 16; k++) for (let ci = 0; ci < Cin; ci++) for (let co = 0; co < Cout; co++) S[(k * Cin + ci) * Cout + co] += V[k * Cin + ci] * E[k * Cout + co];
  }
  const out = new Float64Array(9 * Cin * Cout);
  for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) for (let e = 0; e < Cin * Cout; e++) {
    let v = 0;
    for (let p = 0; p < 4; p++) for (let q = 0; q < 4; q++) v += Math.abs(G[p][a]) * Math.abs(G[q][b]) * S[(p * 4 + q) * Cin * Cout + e];
    out[(a * 3 + b) * Cin * Cout + e] = v;
  }
  return out;
}

export interface FilterCase {
  readonly what: string;
  readonly x: Dims4;
  readonly F: number;
  readonly padding: Padding2D;
  readonly chunkBytes?: number;
}

export const FILTER_CASES: readonly FilterCase[] = [
  { what: 'valid, odd output', x: [2, 9, 11, 8], F: 12, padding: [0, 0, 0, 0] },
  { what: 'same padding, several chunks with a short last one', x: [2, 7, 9, 4], F: 8, padding: [1, 1, 1, 1], chunkBytes: 1 },
  { what: 'asymmetric padding', x: [1, 8, 6, 16], F: 4, padding: [0, 2, 1, 0] },
];

/** Checks a filter gradient bound by `bind` (scratch for `threads` threads: its partial sums) against the interpreter. */
export function checkWinogradFilterBound(c: FilterCase, seed: number, bind: Bind, threads = 1): void {
  const x = B.input('x', c.x);
  const y = B.conv2d(x, B.input('w', [3, 3, c.x[3], c.F]), [1, 1], c.padding);
  const dy = B.input('dy', y.shape);
  const node = B.conv2dBackpropFilter(x, dy, [3, 3], [1, 1], c.padding);
  const spec = winogradSpec(node, c.chunkBytes);
  assert.ok(spec !== undefined, `${c.what}: Winograd applies`);
  if (spec === undefined) return;
  if (c.chunkBytes !== undefined) assert.ok(spec.chunks > 1 && spec.tiles % spec.chunkTiles !== 0, `${c.what}: several chunks, the last short`);
  const kernel = compileWasmConv(node, { winograd: true, ...(c.chunkBytes !== undefined ? { chunkBytes: c.chunkBytes } : {}) });
  assert.match(kernel.name, /winograd2x2/);
  const r = rng(seed);
  const values = new Map<Node, RefTensor>();
  for (const n of [x, dy]) values.set(n, { shape: n.shape as number[], data: Float64Array.from(randomData(size(n.shape as number[]), r)) });
  const want = interpret({ outputs: [node], updates: [] }, refContext(values)).outputs[0].data;
  const [o, sx, sd] = [size(node.shape as number[]), size(c.x), size(dy.shape as number[])];
  const scratch = Math.ceil((o + sx + sd) / 16) * 16 * 4;
  const scratchBytes = kernel.scratchBytesFor(threads);
  const memory = new WA.Memory({ initial: pagesFor(scratch + scratchBytes) });
  const F = new Float32Array(memory.buffer);
  F.fill(Number.NaN, 0, o);
  F.fill(Number.NaN, scratch / 4, (scratch + scratchBytes) / 4);
  F.set(values.get(x)!.data, o);
  F.set(values.get(dy)!.data, o + sx);
  bind(kernel, memory, scratch)(0, o * 4, (o + sx) * 4);
  const abs = absFilterGradient(spec, values.get(x)!.data, values.get(dy)!.data);
  const g = gamma(spec.tiles + threads + 8);
  let worst = 0;
  for (let i = 0; i < o; i++) {
    const err = Math.abs(F[i] - want[i]);
    assert.ok(err <= g * abs[i], `${c.what}: element ${i} is ${F[i]}, want ${want[i]}: error ${err} over the bound ${g * abs[i]}`);
    if (abs[i] > 0) worst = Math.max(worst, err / (g * abs[i]));
  }
  assert.ok(worst > 0, `${c.what}: some element has rounding error`);
}
