/**
 * simplify folds the relu′ of a max-pooled relu, where(x > 0, maxPool2dGrad(x, dy), 0), into the
 * pool gradient (positiveOnly): the folded kernel gives the unfolded graph's values bit for bit on
 * every tier (ties, NaN, -Infinity, zeros, padding, overlapping windows), the fold fires only on
 * that pattern, and a Conv2D(relu) + MaxPooling2D training step loses the pass it made.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Padding2D, Pair } from '../src/ir/attrs.js';
import * as B from '../src/ir/build.js';
import { interpret, refContext } from '../src/ir/interpret.js';
import type { Node } from '../src/ir/node.js';
import type { RefTensor } from '../src/ir/ops/rule.js';
import { optimizeGraph } from '../src/ir/pipeline.js';
import { compiledProgram } from '../src/runtime/compiled.js';
import { Session } from '../src/runtime/session.js';
import { nativeTier } from '../src/runtime/tiers/native/index.js';
import { backend, layers, Sequential, Session as ApiSession } from '../src/index.js';
import { rng } from './support/gradcheck.js';

interface Case { readonly h: number; readonly w: number; readonly window: Pair; readonly strides: Pair; readonly padding: Padding2D }
const CASES: readonly Case[] = [
  { h: 8, w: 6, window: [2, 2], strides: [2, 2], padding: [0, 0, 0, 0] },
  { h: 7, w: 7, window: [2, 2], strides: [2, 2], padding: [0, 0, 0, 0] },
  { h: 6, w: 5, window: [3, 3], strides: [1, 1], padding: [1, 1, 1, 1] }, // overlapping, padded
  { h: 7, w: 6, window: [3, 2], strides: [2, 1], padding: [0, 1, 1, 0] },
  { h: 4, w: 4, window: [2, 2], strides: [1, 1], padding: [0, 0, 0, 0] },
];
const TIERS = ['js', 'wasm', ...(nativeTier.unavailable() === undefined ? ['native' as const] : [])] as const;

/** Few distinct values (many ties, many zeros and non-positive winners), NaN and -Infinity among them. */
function tied(n: number, r: () => number): Float32Array {
  return Float32Array.from({ length: n }, () => {
    const u = r();
    if (u < 0.04) return NaN;
    if (u < 0.08) return -Infinity;
    if (u < 0.12) return -0;
    return Math.floor(r() * 3) - 1;
  });
}

/** Small whole numbers: overlapping windows sum them exactly in float32 and float64 alike. */
const whole = (n: number, r: () => number) => Float32Array.from({ length: n }, () => Math.floor(r() * 7) - 3);

const reluPoolGradient = (x: Node, dy: Node, cs: Case) => B.where(B.greater(x, 0), B.maxPool2dGrad(x, dy, cs.window, cs.strides, cs.padding), 0);

test('the folded pool gradient equals where(x > 0, maxPool2dGrad(x, dy), 0) bit for bit on every tier', () => {
  const r = rng(5);
  for (const C of [4, 8]) {
    for (const cs of CASES) {
      const x = B.input('x', [2, cs.h, cs.w, C]);
      const pooled = B.maxPool2d(x, cs.window, cs.strides, cs.padding);
      const dy = B.input('dy', pooled.shape);
      const graph = { outputs: [reluPoolGradient(x, dy, cs)], updates: [] };
      const xs = tied(2 * cs.h * cs.w * C, r);
      const dys = whole((pooled.shape as number[]).reduce((a, b) => a * b, 1), r);
      const sources = new Map<Node, RefTensor>([[x, { shape: x.shape as number[], data: Float64Array.from(xs) }], [dy, { shape: dy.shape as number[], data: Float64Array.from(dys) }]]);
      const expected = Float32Array.from(interpret(graph, refContext(sources)).outputs[0].data);
      for (const tier of TIERS) {
        const session = new Session({ seed: 1 });
        const program = compiledProgram({ name: 'fold', inputs: [x, dy], graph }, session, tier);
        program.input(0).set(xs);
        program.input(1).set(dys);
        program.run(0);
        const got = program.output(0);
        const what = `${tier} C=${C} ${JSON.stringify(cs)}`;
        assert.ok(program.parts.calls.some((c) => c.kernel.anchor.op === 'maxPool2dGrad' && (c.kernel.anchor as Node<'maxPool2dGrad'>).attrs.positiveOnly === true), `${what}: the folded kernel ran`);
        assert.is(program.parts.calls.length, 1, `${what}: one kernel (${program.parts.calls.map((c) => c.name).join(', ')})`);
        const bad = expected.findIndex((v, i) => !Object.is(v, got[i]));
        assert.is(bad, -1, `${what}: element ${bad} is ${got[bad]}, expected ${expected[bad]}`);
        program.dispose();
        session.clear();
      }
    }
  }
});

test('the fold fires only for the relu′ of the pooled input itself', () => {
  const cs = CASES[0];
  const x = B.input('x', [2, cs.h, cs.w, 4]), z = B.input('z', [2, cs.h, cs.w, 4]);
  const dy = B.input('dy', B.maxPool2d(x, cs.window, cs.strides, cs.padding).shape);
  const folded = (out: Node) => {
    const [n] = optimizeGraph({ outputs: [out], updates: [] }).optimized.outputs;
    return n.op === 'maxPool2dGrad' && (n as Node<'maxPool2dGrad'>).attrs.positiveOnly === true;
  };
  const grad = B.maxPool2dGrad(x, dy, cs.window, cs.strides, cs.padding);
  assert.ok(folded(reluPoolGradient(x, dy, cs)), 'where(x > 0, maxPool2dGrad(x, dy), 0) folds');
  assert.not.ok(folded(B.where(B.greater(z, 0), grad, 0)), 'a test on another tensor does not fold');
  assert.not.ok(folded(B.where(B.greater(x, 0.5), grad, 0)), 'a threshold other than 0 does not fold');
  assert.not.ok(folded(B.where(B.greater(x, 0), grad, 1)), 'a fill other than 0 does not fold');
  assert.not.ok(folded(B.where(B.greater(x, 0), B.negative(grad), 0)), 'another gradient does not fold');
});

test('a Conv2D(relu) + MaxPooling2D training step folds the relu′ into the pool gradient', () => {
  backend.setSession(new ApiSession({ seed: 1 }));
  const model = new Sequential([
    new layers.Conv2D(4, [3, 3], { activation: 'relu', inputShape: [8, 8, 1] }),
    new layers.MaxPooling2D({ poolSize: [2, 2] }),
    new layers.Flatten(), new layers.Dense(3, { activation: 'softmax' }),
  ]);
  model.compile({ optimizer: 'sgd', loss: 'categorical_crossentropy' });
  const text = model.dump({ graph: 'train', stage: 'optimized', batchSize: 2 }) as string;
  assert.match(text, /maxPool2dGrad\[.*positiveOnly=true/);
  assert.not.match(text, /f32\[2,6,6,4\] = where /, 'no where over the unpooled gradient is left');
});

test.run();
