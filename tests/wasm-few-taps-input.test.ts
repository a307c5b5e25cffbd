import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { planConv } from '../src/codegen/wasm/conv-plan.js';
import { WebAssemblyApi as WA, pagesFor } from '../src/codegen/wasm/engine.js';
import { wasmFeatures } from '../src/codegen/wasm/features.js';
import { fewTapsConv } from '../src/codegen/few-taps.js';
import { compileFewTapsInput } from '../src/codegen/wasm/few-taps-input.js';
import { IDENTITY } from '../src/codegen/wasm/matmul-emit.js';
import type { Pair } from '../src/ir/attrs.js';
import * as B from '../src/ir/build.js';
import { interpret, refContext } from '../src/ir/interpret.js';
import type { Node } from '../src/ir/node.js';
import type { RefTensor } from '../src/ir/ops/rule.js';
import { Session } from '../src/runtime/session.js';
import { compareCompiled, makeVariable, randomData, relError } from './support/compiled.js';
import { rng } from './support/gradcheck.js';

const simd = wasmFeatures().simd;
const size = (shape: readonly number[]) => shape.reduce((p, q) => p * q, 1);
type Dims = [number, number, number, number];

/** Images (the gradient's shape), filters and output channels: one to three channels, widths that strips do not divide, a single output row. */
const GEOMETRIES: readonly [Dims, Pair, number][] = [
  [[64, 28, 28, 1], [3, 3], 32], [[3, 13, 11, 2], [3, 3], 8], [[2, 10, 12, 3], [3, 3], 12],
  [[2, 9, 9, 1], [2, 3], 4], [[1, 6, 7, 2], [1, 4], 16], [[2, 5, 30, 1], [5, 5], 8],
];

test('the input gradient of a convolution of few taps reads dy in place: one kernel, on one thread and on the pool, with bias and relu (a Conv2DTranspose)', () => {
  if (!simd) return;
  let seed = 70;
  for (const sharedMemory of [true, false]) {
    for (const [xShape, filter, F] of GEOMETRIES) {
      for (const epilogue of ['none', 'bias+relu'] as const) {
        const r = rng(seed++);
        const s = new Session({ seed, sharedMemory });
        const C = xShape[3];
        const w = makeVariable(s, 'w', [...filter, C, F], r), bias = makeVariable(s, 'bias', [C], r);
        const dy = B.input('dy', [xShape[0], xShape[1] - filter[0] + 1, xShape[2] - filter[1] + 1, F]);
        const dx = B.conv2dBackpropInput(dy, w.node, [xShape[1], xShape[2]], [1, 1], [0, 0, 0, 0]);
        const out = epilogue === 'none' ? dx : B.maximum(B.add(dx, bias.node), 0);
        const feeds = [{ node: dy, data: randomData(size(dy.shape as number[]), r) }];
        const cmp = compareCompiled({ outputs: [out], updates: [] }, feeds, s, undefined, 'wasm');
        const what = `${JSON.stringify(xShape)} ${filter.join('x')}x${F} ${epilogue}, shared=${sharedMemory}`;
        assert.is(cmp.kernels, 1, what);
        assert.ok(cmp.names[0].includes('_taps_'), `${what}: ${cmp.names.join(', ')}`);
        assert.ok(cmp.maxRelError <= 1e-5, `${what}: max rel error ${cmp.maxRelError} at ${cmp.worst}`);
      }
    }
  }
});

test('strips of every width agree with the interpreter, the edges of the full correlation included', () => {
  if (!simd) return;
  const r = rng(9);
  for (const [xShape, filter, F] of [[[2, 7, 13, 1], [3, 3], 8], [[1, 6, 9, 3], [3, 3], 4]] as const) {
    const dy = B.input('dy', [xShape[0], xShape[1] - filter[0] + 1, xShape[2] - filter[1] + 1, F]);
    const w = B.input('w', [...filter, xShape[3], F]);
    const node = B.conv2dBackpropInput(dy, w, [xShape[1], xShape[2]], [1, 1], [0, 0, 0, 0]);
    const values = new Map<Node, RefTensor>();
    for (const n of [dy, w]) values.set(n, { shape: n.shape as number[], data: Float64Array.from(randomData(size(n.shape as number[]), r)) });
    const want = interpret({ outputs: [node], updates: [] }, refContext(values)).outputs[0].data;
    const [o, sa, sb] = [size(node.shape as number[]), size(dy.shape as number[]), size(w.shape as number[])];
    for (const form of xShape[3] === 1 ? ['rows', 'columns'] as const : ['rows'] as const) for (let pixels = 1; pixels <= xShape[2]; pixels++) {
      const kernel = compileFewTapsInput(fewTapsConv(node)!, planConv(node), IDENTITY, false, { form, pixels })!;
      const memory = new WA.Memory({ initial: pagesFor((o + sa + sb) * 4) });
      const M = new Float32Array(memory.buffer);
      M.fill(Number.NaN, 0, o);
      M.set(values.get(dy)!.data, o);
      M.set(values.get(w)!.data, o + sa);
      kernel.instantiate(memory, (o + sa + sb) * 4)(0, o * 4, (o + sa) * 4);
      const err = relError(M.subarray(0, o), want);
      assert.ok(err <= 1e-5, `${kernel.name}: max rel error ${err}`);
    }
  }
});

test('channels not in fours leave the input gradient to im2col', () => {
  const node = B.conv2dBackpropInput(B.input('dy', [1, 4, 4, 6]), B.input('w', [3, 3, 1, 6]), [6, 6], [1, 1], [0, 0, 0, 0]);
  assert.is(compileFewTapsInput(fewTapsConv(node)!, planConv(node), IDENTITY, false), undefined);
});

test.run();
