/**
 * The WebAssembly SIMD tier of max pooling, its gradient and the bias gradient's sum over every
 * axis but the last, against the float64 reference interpreter on the wasm tier (whatever
 * KERAS_JIT_BACKEND says): ties in windows (the first maximum wins), NaN and -Infinity, padding,
 * strides 1 and 2, overlapping windows, C = 4, 8 and 64. Channel counts that are not a multiple
 * of four, and sums with fused producers or over other axes, must stay on JavaScript.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Padding2D, Pair } from '../src/ir/attrs.js';
import * as B from '../src/ir/build.js';
import type { Graph } from '../src/ir/graph.js';
import { Session } from '../src/runtime/session.js';
import { compareCompiled, randomData, type Feed } from './support/compiled.js';
import { interpret, refContext } from '../src/ir/interpret.js';
import type { Node } from '../src/ir/node.js';
import type { RefTensor } from '../src/ir/ops/rule.js';
import { compiledProgram } from '../src/runtime/compiled.js';
import { rng } from './support/gradcheck.js';

const TOL = 1e-6;
const simd = (names: readonly string[]) => names.filter((n) => n.endsWith('_simd'));

function check(graph: Graph, feeds: readonly Feed[], session: Session, simdKernels: number, what: string): readonly string[] {
  const c = compareCompiled(graph, feeds, session, undefined, 'wasm');
  assert.ok(c.maxRelError <= TOL, `${what}: max rel error ${c.maxRelError} at ${c.worst}`);
  assert.is(simd(c.names).length, simdKernels, `${what}: kernels ${c.names.join(', ')}`);
  return c.names;
}

/** Values from a small set (many ties), optionally with NaN and -Infinity sprinkled in. */
function tied(n: number, r: () => number, specials = false): Float32Array {
  return Float32Array.from({ length: n }, () => {
    const u = r();
    if (specials && u < 0.05) return NaN;
    if (specials && u < 0.1) return -Infinity;
    return Math.floor(r() * 3) - 1;
  });
}

interface Case { readonly h: number; readonly w: number; readonly window: Pair; readonly strides: Pair; readonly padding: Padding2D }
const CASES: readonly Case[] = [
  { h: 8, w: 6, window: [2, 2], strides: [2, 2], padding: [0, 0, 0, 0] },
  { h: 7, w: 7, window: [2, 2], strides: [2, 2], padding: [0, 0, 0, 0] }, // last row and column unused
  { h: 6, w: 5, window: [3, 3], strides: [1, 1], padding: [1, 1, 1, 1] }, // overlapping, padded
  { h: 7, w: 6, window: [3, 2], strides: [2, 1], padding: [0, 1, 1, 0] }, // asymmetric
  { h: 5, w: 5, window: [3, 3], strides: [2, 2], padding: [1, 1, 1, 1] },
  { h: 4, w: 4, window: [2, 2], strides: [1, 1], padding: [0, 0, 0, 0] },
];

test('maxPool2d: ties, NaN and -Infinity, padding, strides 1 and 2, C = 4, 8, 64', () => {
  const r = rng(11);
  const s = new Session({ seed: 11 });
  for (const C of [4, 8, 64]) {
    for (const cs of CASES) {
      for (const specials of [false, true]) {
        const x = B.input('x', [2, cs.h, cs.w, C]);
        const y = B.maxPool2d(x, cs.window, cs.strides, cs.padding);
        const what = `maxPool2d C=${C} ${JSON.stringify(cs)} specials=${specials}`;
        const names = check({ outputs: [y], updates: [] }, [{ node: x, data: tied(2 * cs.h * cs.w * C, r, specials) }], s, 1, what);
        assert.ok(names.some((n) => n.startsWith('maxPool2d_')), what);
      }
    }
  }
});

test('maxPool2dGrad: dy goes to the first maximum of each window, overlapping windows add', () => {
  const r = rng(12);
  const s = new Session({ seed: 12 });
  for (const C of [4, 8, 64]) {
    for (const cs of CASES) {
      for (const specials of [false, true]) {
        const x = B.input('x', [2, cs.h, cs.w, C]);
        const pooled = B.maxPool2d(x, cs.window, cs.strides, cs.padding);
        const dy = B.input('dy', pooled.shape as number[]);
        const dx = B.maxPool2dGrad(x, dy, cs.window, cs.strides, cs.padding);
        const what = `maxPool2dGrad C=${C} ${JSON.stringify(cs)} specials=${specials}`;
        const ny = (pooled.shape as number[]).reduce((a, b) => a * b, 1);
        const feeds = [{ node: x, data: tied(2 * cs.h * cs.w * C, r, specials) }, { node: dy, data: randomData(ny, r) }];
        const names = check({ outputs: [dx], updates: [] }, feeds, s, 1, what);
        assert.ok(names.some((n) => n.startsWith('maxPool2dGrad_')), what);
      }
    }
  }
});

test('maxPool2dGrad writes every element of dx on every call: a second run over stale values matches the reference', () => {
  const r = rng(15);
  for (const cs of [...CASES, { h: 6, w: 6, window: [3, 3], strides: [3, 3], padding: [0, 0, 0, 0] } as Case, { h: 6, w: 6, window: [2, 2], strides: [3, 3], padding: [0, 0, 0, 0] } as Case]) {
    for (const positiveOnly of [false, true]) {
      const x = B.input('x', [2, cs.h, cs.w, 8]);
      const pooled = B.maxPool2d(x, cs.window, cs.strides, cs.padding);
      const dy = B.input('dy', pooled.shape as number[]);
      const dx = B.maxPool2dGrad(x, dy, cs.window, cs.strides, cs.padding, positiveOnly);
      const graph = { outputs: [dx], updates: [] };
      const ny = (pooled.shape as number[]).reduce((a, b) => a * b, 1), nx = 2 * cs.h * cs.w * 8;
      const session = new Session({ seed: 15 });
      const program = compiledProgram({ name: 'stale', inputs: [x, dy], graph }, session, 'wasm');
      assert.ok(program.parts.calls.some((c) => c.name.startsWith('maxPool2dGrad_')), 'the SIMD kernel runs');
      for (let run = 0; run < 2; run++) {
        const xs = tied(nx, r), dys = randomData(ny, r, 1, 2);
        program.input(0).set(xs);
        program.input(1).set(dys);
        program.run(0);
        const sources = new Map<Node, RefTensor>([[x, { shape: [2, cs.h, cs.w, 8], data: Float64Array.from(xs) }], [dy, { shape: pooled.shape as number[], data: Float64Array.from(dys) }]]);
        const want = interpret(graph, refContext(sources)).outputs[0].data;
        const got = program.output(0);
        const bad = want.findIndex((v, i) => Math.abs(got[i] - v) > TOL * (1 + Math.abs(v)));
        assert.is(bad, -1, `${JSON.stringify(cs)} positiveOnly=${positiveOnly} run ${run}: element ${bad} is ${got[bad]}, expected ${want[bad]}`);
      }
      program.dispose();
      session.clear();
    }
  }
});

test('a window entirely in the padding pools to -Infinity and routes no gradient', () => {
  const s = new Session({ seed: 13 });
  const x = B.input('x', [1, 2, 2, 4]);
  const y = B.maxPool2d(x, [1, 1], [2, 2], [1, 1, 1, 1]);
  const dy = B.input('dy', y.shape as number[]);
  const dx = B.maxPool2dGrad(x, dy, [1, 1], [2, 2], [1, 1, 1, 1]);
  const r = rng(13);
  const ny = (y.shape as number[]).reduce((a, b) => a * b, 1);
  check({ outputs: [y, dx], updates: [] }, [{ node: x, data: randomData(16, r) }, { node: dy, data: randomData(ny, r) }], s, 2, 'padding-only windows');
});

test('channels that are not a multiple of four stay on JavaScript', () => {
  const r = rng(14);
  const s = new Session({ seed: 14 });
  const x = B.input('x', [2, 6, 6, 3]);
  const y = B.maxPool2d(x, [2, 2], [2, 2], [0, 0, 0, 0]);
  const dy = B.input('dy', y.shape as number[]);
  const dx = B.maxPool2dGrad(x, dy, [2, 2], [2, 2], [0, 0, 0, 0]);
  check({ outputs: [y, dx, B.sum(x, [0, 1, 2])], updates: [] }, [{ node: x, data: tied(216, r) }, { node: dy, data: randomData(54, r) }], s, 0, 'C=3');
});

test('sum over every axis but the last: float64 accumulation, C = 4, 8, 64, keepDims', () => {
  const r = rng(15);
  const s = new Session({ seed: 15 });
  for (const C of [4, 8, 64]) {
    for (const shape of [[3, 5, 7, C], [2, C], [128, 24, 24, C].slice(C === 64 ? 0 : 1)]) {
      for (const keepDims of [false, true]) {
        const x = B.input('x', shape);
        const axes = shape.slice(0, -1).map((_, i) => i);
        const n = shape.reduce((a, b) => a * b, 1);
        const what = `sum ${shape.join('x')} keepDims=${keepDims}`;
        const names = check({ outputs: [B.sum(x, axes, keepDims)], updates: [] }, [{ node: x, data: randomData(n, r) }], s, 1, what);
        assert.ok(names.some((nm) => nm.startsWith('sum_')), what);
      }
    }
  }
});

test('sums with a fused producer, over other axes or of C % 4 != 0 stay on JavaScript', () => {
  const r = rng(16);
  const s = new Session({ seed: 16 });
  const x = B.input('x', [3, 4, 8]);
  const feeds = [{ node: x, data: randomData(96, r) }];
  check({ outputs: [B.sum(B.multiply(x, x), [0, 1])], updates: [] }, feeds, s, 0, 'sum of a product');
  check({ outputs: [B.sum(x, [1, 2])], updates: [] }, feeds, s, 0, 'sum over trailing axes');
  check({ outputs: [B.sum(x, [0])], updates: [] }, feeds, s, 0, 'sum over the first axis only');
  const y = B.input('y', [5, 6]);
  check({ outputs: [B.sum(y, [0])], updates: [] }, [{ node: y, data: randomData(30, r) }], s, 0, 'C=6');
});

test.run();
