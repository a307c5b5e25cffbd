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
import { CASES, checkWinogradBound, checkWinogradFilterBound, FILTER_CASES } from './support/winograd-bound.js';

const simd = wasmFeatures().simd;
const size = (shape: readonly number[]) => shape.reduce((p, q) => p * q, 1);
type Dims4 = [number, number, number, number];

test('Winograd F(2x2,3x3) is within its derived float32 error bound of the float64 interpreter', () => {
  if (!simd) return;
  let seed = 11;
  for (const c of CASES) checkWinogradBound(c, seed++, (kernel, memory, scratch) => kernel.instantiate(memory, scratch));
});

test('the Winograd filter gradient is within its derived float32 error bound of the float64 interpreter', () => {
  if (!simd) return;
  let seed = 31;
  for (const c of FILTER_CASES) checkWinogradFilterBound(c, seed++, (kernel, memory, scratch) => kernel.instantiate(memory, scratch));
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
