import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileWasmConv } from '../src/codegen/wasm/conv-kernel.js';
import { WebAssemblyApi as WA, pagesFor } from '../src/codegen/wasm/engine.js';
import { wasmFeatures } from '../src/codegen/wasm/features.js';
import { preferWinograd, winogradSpec, type WinogradSpec } from '../src/codegen/wasm/winograd-plan.js';
import type { Padding2D } from '../src/ir/attrs.js';
import { grad } from '../src/ir/autodiff.js';
import * as B from '../src/ir/build.js';
import { interpret, refContext } from '../src/ir/interpret.js';
import type { Node } from '../src/ir/node.js';
import type { RefTensor } from '../src/ir/ops/rule.js';
import { compiledProgram } from '../src/runtime/compiled.js';
import { Session } from '../src/runtime/session.js';
import { randomData } from './support/compiled.js';
import { rng } from './support/gradcheck.js';
import { BT, CASES, checkWinogradBound, G, gamma } from './support/winograd-bound.js';

const simd = wasmFeatures().simd;
const size = (shape: readonly number[]) => shape.reduce((p, q) => p * q, 1);
type Dims4 = [number, number, number, number];

test('Winograd F(2x2,3x3) is within its derived float32 error bound of the float64 interpreter', () => {
  if (!simd) return;
  let seed = 11;
  for (const c of CASES) checkWinogradBound(c, seed++, (kernel, memory, scratch) => kernel.instantiate(memory, scratch));
});

const AM = [[1, 0], [1, 1], [1, -1], [0, -1]];

/**
 * The filter gradient's Σ|monomials|: dw = Gᵀ [Σ_tiles (A e Aᵀ) ⊙ (Bᵀ d B)] G over |x|, |dy| and
 * the transforms' absolute values. Its longest rounding path has n = tiles + threads + 8
 * roundings: 2 in the x transform, 2 in the dy transform, 1 product, the sum over every tile of
 * a thread's chunks (at most `tiles`), the sum of the threads' partials, 1 rounding the float64
 * output transform to float32, and 1 for the reference.
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

test('the Winograd filter gradient is within its derived float32 error bound of the float64 interpreter', () => {
  if (!simd) return;
  const cases: { what: string; x: Dims4; F: number; padding: Padding2D; chunkBytes?: number }[] = [
    { what: 'valid, odd output', x: [2, 9, 11, 8], F: 12, padding: [0, 0, 0, 0] },
    { what: 'same padding, several chunks with a short last one', x: [2, 7, 9, 4], F: 8, padding: [1, 1, 1, 1], chunkBytes: 1 },
    { what: 'asymmetric padding', x: [1, 8, 6, 16], F: 4, padding: [0, 2, 1, 0] },
  ];
  let seed = 31;
  for (const c of cases) {
    const x = B.input('x', c.x);
    const y = B.conv2d(x, B.input('w', [3, 3, c.x[3], c.F]), [1, 1], c.padding);
    const dy = B.input('dy', y.shape);
    const node = B.conv2dBackpropFilter(x, dy, [3, 3], [1, 1], c.padding);
    const spec = winogradSpec(node, c.chunkBytes);
    assert.ok(spec !== undefined, `${c.what}: Winograd applies`);
    if (spec === undefined) continue;
    if (c.chunkBytes !== undefined) assert.ok(spec.chunks > 1 && spec.tiles % spec.chunkTiles !== 0, `${c.what}: several chunks, the last short`);
    const kernel = compileWasmConv(node, { winograd: true, ...(c.chunkBytes !== undefined ? { chunkBytes: c.chunkBytes } : {}) });
    assert.match(kernel.name, /winograd2x2/);
    const r = rng(seed++);
    const values = new Map<Node, RefTensor>();
    for (const n of [x, dy]) values.set(n, { shape: n.shape as number[], data: Float64Array.from(randomData(size(n.shape as number[]), r)) });
    const want = interpret({ outputs: [node], updates: [] }, refContext(values)).outputs[0].data;
    const [o, sx, sd] = [size(node.shape as number[]), size(c.x), size(dy.shape as number[])];
    const scratch = Math.ceil((o + sx + sd) / 16) * 16 * 4;
    const memory = new WA.Memory({ initial: pagesFor(scratch + kernel.scratchBytes) });
    const F = new Float32Array(memory.buffer);
    F.fill(Number.NaN, 0, o);
    F.fill(Number.NaN, scratch / 4, (scratch + kernel.scratchBytes) / 4);
    F.set(values.get(x)!.data, o);
    F.set(values.get(dy)!.data, o + sx);
    kernel.instantiate(memory, scratch)(0, o * 4, (o + sx) * 4);
    const abs = absFilterGradient(spec, values.get(x)!.data, values.get(dy)!.data);
    const g = gamma(spec.tiles + 1 + 8);
    let worst = 0;
    for (let i = 0; i < o; i++) {
      const err = Math.abs(F[i] - want[i]);
      assert.ok(err <= g * abs[i], `${c.what}: element ${i} is ${F[i]}, want ${want[i]}: error ${err} over the bound ${g * abs[i]}`);
      if (abs[i] > 0) worst = Math.max(worst, err / (g * abs[i]));
    }
    assert.ok(worst > 0, `${c.what}: some element has rounding error`);
  }
});

test('the cost model takes Winograd for wide 3x3 stride-1 layers and leaves the rest to im2col', () => {
  const spec = (x: Dims4, F: number, strides: [number, number] = [1, 1], filter = 3) =>
    winogradSpec(B.conv2d(B.input('x', x), B.input('w', [filter, filter, x[3], F]), strides, [0, 0, 0, 0]));
  const mnist = spec([128, 26, 26, 32], 64);
  assert.ok(mnist !== undefined && preferWinograd(mnist));
  const first = spec([128, 28, 28, 4], 32);
  assert.ok(first !== undefined && !preferWinograd(first));
  assert.is(spec([2, 9, 9, 8], 8, [2, 2]), undefined);
  const filterGradient = winogradSpec(B.conv2dBackpropFilter(B.input('x', [128, 26, 26, 32]), B.input('dy', [128, 24, 24, 64]), [3, 3], [1, 1], [0, 0, 0, 0]));
  assert.ok(filterGradient !== undefined && preferWinograd(filterGradient));
  assert.is(spec([2, 9, 9, 8], 8, [1, 1], 5), undefined);
  assert.is(spec([2, 9, 9, 6], 8), undefined);
  assert.throws(() => compileWasmConv(B.conv2d(B.input('x', [1, 5, 5, 3]), B.input('w', [3, 3, 3, 4]), [1, 1], [0, 0, 0, 0]), { winograd: true }), /Winograd does not apply/);
});

/**
 * Training through a Winograd convolution: the compiled gradients (the input gradient itself a
 * Winograd kernel) against central finite differences of the float64 interpreter's loss.
 */
test('gradients through a Winograd convolution match finite differences', () => {
  if (!simd) return;
  const r = rng(21);
  const xShape: Dims4 = [2, 8, 8, 16], wShape: Dims4 = [3, 3, 16, 16];
  const x = B.input('x', xShape), w = B.input('w', wShape), b = B.input('b', [16]);
  const y = B.tanh(B.add(B.conv2d(x, w, [1, 1], [1, 1, 1, 1]), b));
  const h = B.conv2d(y, w, [1, 1], [1, 1, 1, 1]);
  const ct = B.input('ct', h.shape);
  const loss = B.sum(B.multiply(h, ct));
  const grads = grad(loss, [x, w]);
  const feeds = [x, w, b, ct].map((n) => ({ node: n, data: randomData(size(n.shape as number[]), r, -0.5, 0.5) }));
  const s = new Session({ seed: 21 });
  const p = compiledProgram({ name: 'g', inputs: feeds.map((f) => f.node), graph: { outputs: grads, updates: [] } }, s, 'wasm');
  const names = p.parts.calls.map((call) => call.name);
  assert.ok(names.some((n) => /^conv2dBackpropInput.*winograd2x2/.test(n)), `the input gradient is Winograd: ${names.join(', ')}`);
  assert.ok(names.some((n) => /^conv2d_.*winograd2x2/.test(n)), `the forward convolutions are Winograd: ${names.join(', ')}`);
  assert.ok(names.some((n) => /^conv2dBackpropFilter.*winograd2x2/.test(n)), `the filter gradient is Winograd: ${names.join(', ')}`);
  feeds.forEach((f, i) => p.input(i).set(f.data));
  p.run(0);
  const compiled = grads.map((_, i) => Float64Array.from(p.output(i)));
  p.dispose();

  const sources = new Map<Node, RefTensor>(feeds.map((f) => [f.node, { shape: f.node.shape as number[], data: Float64Array.from(f.data) }]));
  const lossAt = () => interpret({ outputs: [loss], updates: [] }, refContext(sources)).outputs[0].data[0];
  const step = 1e-4;
  [x, w].forEach((input, k) => {
    const base = sources.get(input)!;
    let scale = 0;
    for (const v of compiled[k]) scale = Math.max(scale, Math.abs(v));
    for (let sample = 0; sample < 24; sample++) {
      const i = Math.floor(r() * base.data.length);
      const at = (delta: number) => {
        const data = Float64Array.from(base.data);
        data[i] += delta;
        sources.set(input, { shape: base.shape, data });
        return lossAt();
      };
      const numeric = (at(step) - at(-step)) / (2 * step);
      sources.set(input, base);
      // float32 kernels over sums of ~300 terms against an O(step²) central difference.
      assert.ok(Math.abs(compiled[k][i] - numeric) <= 1e-4 * scale + 1e-4, `d loss / d ${input.attrs.label}[${i}]: compiled ${compiled[k][i]}, finite differences ${numeric}`);
    }
  });
});

test.run();
