/**
 * A weight gradient's optimizer step fused into the gradient's matmul (ir/fusion.ts,
 * mergeProductReaders): RMSprop reads the gradient twice (g² and lr·g), so it is a DAG over the
 * product rather than a chain, and the matmul takes it as its epilogue, writing the velocity and
 * the weight in place. On every tier the fused kernel is the only kernel and matches the
 * interpreter; on the native tier its C kernel (the epilogue run per panel of the product) ran
 * and matches it too. Shapes cover partial
 * tiles, several k blocks (K past the C kernel's 256), transposes, and a random draw in the
 * epilogue (a masked gradient), whose counter is the element's flat index on every tier.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as B from '../src/ir/build.js';
import type { Graph } from '../src/ir/graph.js';
import type { Node } from '../src/ir/node.js';
import { sizeOf } from '../src/ir/types.js';
import { compiledProgram } from '../src/runtime/compiled.js';
import { Session } from '../src/runtime/session.js';
import { backend, layers, optimizers, Sequential } from '../src/index.js';
import { nativeTier } from '../src/runtime/tiers/native/index.js';
import { nativeCompilesSettled } from '../src/runtime/tiers/native/kernels.js';
import { nativeStats } from '../src/runtime/tiers/native/swap.js';
import { compareCompiled, makeVariable, randomData, type Feed } from './support/compiled.js';
import { rng } from './support/gradcheck.js';

interface Case { readonly M: number; readonly K: number; readonly N: number; readonly ta: boolean; readonly tb: boolean; readonly masked: boolean }

interface Step { readonly graph: Graph; readonly feeds: Feed[]; readonly seed: { readonly node: Node<'input'>; readonly value: number }; readonly variables: readonly Node<'variable'>[] }

/** g = op(x)·op(dy) (masked by a draw when asked), then RMSprop's v and w updates from g. */
function step(c: Case, session: Session, r: () => number): Step {
  const x = B.input('x', c.ta ? [c.K, c.M] : [c.M, c.K]), dy = B.input('dy', c.tb ? [c.N, c.K] : [c.K, c.N]);
  const seed = B.input('seed', [], 'int32');
  const lr = makeVariable(session, 'lr', [], r, 0.01, 0.1);
  const w = makeVariable(session, 'w', [c.M, c.N], r), v = makeVariable(session, 'v', [c.M, c.N], r, 0, 1);
  const product = B.matmul(x, dy, c.ta, c.tb);
  const g = c.masked ? B.where(B.greaterEqual(B.randomUniform(seed, [c.M, c.N]), 0.25), product, 0) : product;
  const v2 = B.add(B.multiply(0.9, v.node), B.multiply(0.1, B.multiply(g, g)));
  const w2 = B.subtract(w.node, B.divide(B.multiply(lr.node, g), B.add(B.sqrt(v2), 1e-7)));
  const feeds = [{ node: x, data: randomData(sizeOf(x.shape as number[]), r) }, { node: dy, data: randomData(sizeOf(dy.shape as number[]), r) }];
  return { graph: { outputs: [], updates: [{ variable: v.node, value: v2 }, { variable: w.node, value: w2 }] }, feeds, seed: { node: seed, value: 41 }, variables: [v.node, w.node] };
}

const CASES: readonly Case[] = [
  { M: 37, K: 16, N: 45, ta: true, tb: false, masked: false },
  { M: 64, K: 300, N: 70, ta: true, tb: false, masked: false },
  { M: 20, K: 33, N: 10, ta: false, tb: true, masked: true },
  { M: 130, K: 9, N: 33, ta: false, tb: false, masked: true },
];

test('the optimizer step is the matmul\'s epilogue: one kernel writing both variables in place, equal to the interpreter', () => {
  for (const c of CASES) {
    const session = new Session({ seed: 1 });
    const s = step(c, session, rng(c.M));
    const cmp = compareCompiled(s.graph, s.feeds, session, s.seed);
    assert.is(cmp.kernels, 1, `${JSON.stringify(c)}: ${cmp.names.join(', ')}`);
    assert.ok(cmp.maxRelError <= 1e-5, `${JSON.stringify(c)}: max rel error ${cmp.maxRelError} at ${cmp.worst}`);
  }
});

test('Adam\'s step (two moments and the weight) is each weight gradient\'s epilogue in a model\'s training step', () => {
  backend.setSession(new Session({ seed: 1 }));
  const model = new Sequential([new layers.Dense(24, { activation: 'relu', inputShape: [30] }), new layers.Dense(5, { activation: 'softmax' })]);
  model.compile({ optimizer: new optimizers.Adam(), loss: 'categorical_crossentropy' });
  const dump = model.dump({ graph: 'train', stage: 'fused', batchSize: 16 });
  const kernels = dump.split('\nkernel ').slice(1);
  const gradients = kernels.filter((k) => /^\d+ matmul_tn_/.test(k));
  assert.is(gradients.length, 2, dump);
  for (const k of gradients) assert.is([...k.matchAll(/in place of variable/g)].length, 3, `a weight gradient does not write m, v and the weight:\n${k}`);
  backend.getSession().clear();
});

test('a product read by another kernel too keeps its buffer: the step stays a kernel of its own', () => {
  const session = new Session({ seed: 1 });
  const s = step(CASES[0], session, rng(5));
  const product = s.graph.updates[0].value.inputs[1].inputs[1].inputs[0];
  assert.is(product.op, 'matmul');
  const graph: Graph = { outputs: [B.sum(product)], updates: s.graph.updates };
  const cmp = compareCompiled(graph, s.feeds, session, s.seed);
  assert.ok(cmp.names.some((n) => n.startsWith('fused_')), cmp.names.join(', '));
  assert.ok(cmp.maxRelError <= 1e-5, `max rel error ${cmp.maxRelError} at ${cmp.worst}`);
});

test('native tier: the C kernel runs the step per panel of the product and matches the interpreter', async () => {
  if (nativeTier.unavailable() !== undefined) return;
  for (const c of CASES) {
    const session = new Session({ seed: 1 });
    const first = step(c, session, rng(3));
    compareCompiled(first.graph, first.feeds, session, first.seed, 'native');
    await nativeCompilesSettled();
    const before = nativeStats.calls;
    const s = step(c, session, rng(4));
    const cmp = compareCompiled(s.graph, s.feeds, session, s.seed, 'native');
    assert.ok(nativeStats.calls > before, `${JSON.stringify(c)}: the C kernel ran (${cmp.names.join(', ')})`);
    assert.is(cmp.kernels, 1, `${JSON.stringify(c)}: ${cmp.names.join(', ')}`);
    assert.ok(cmp.maxRelError <= 1e-5, `${JSON.stringify(c)}: max rel error ${cmp.maxRelError} at ${cmp.worst}`);
  }
});

/** The variables after one step on `tier`, as float32 bits, from products exact in float32 (quarters). */
async function exactStepBits(tier: 'wasm' | 'native'): Promise<Uint32Array[]> {
  const [M, K, N] = [8, 6, 20];
  const quarters = (n: number, s: number) => Float32Array.from({ length: n }, (_, i) => (((i * 7 + s) % 11) - 5) / 4);
  const velocity = Float32Array.from({ length: M * N }, (_, i) => 0.013 * (i % 17));
  const session = new Session({ seed: 1 });
  const x = B.input('x', [K, M]), dy = B.input('dy', [K, N]);
  const lr = session.createVariable('lr', [], 'float32', [0.05]);
  const w = session.createVariable('w', [M, N], 'float32', quarters(M * N, 1)), v = session.createVariable('v', [M, N], 'float32', velocity);
  const g = B.matmul(x, dy, true, false);
  const v2 = B.add(B.multiply(0.9, v.node), B.multiply(0.1, B.multiply(g, g)));
  const w2 = B.subtract(w.node, B.divide(B.multiply(lr.node, g), B.add(B.sqrt(v2), 1e-7)));
  const program = compiledProgram({ name: 'exact', inputs: [x, dy], graph: { outputs: [], updates: [{ variable: v.node, value: v2 }, { variable: w.node, value: w2 }] } }, session, tier);
  program.input(0).set(quarters(K * M, 3));
  program.input(1).set(quarters(K * N, 5));
  if (tier === 'native') {
    // The first run starts the C compile; the measured run is the C kernel's, from the same values.
    program.run(0);
    await nativeCompilesSettled();
    session.view(session.variableOf(w.node)).set(quarters(M * N, 1));
    session.view(session.variableOf(v.node)).set(velocity);
  }
  const before = nativeStats.calls;
  program.run(0);
  if (tier === 'native') assert.ok(nativeStats.calls > before, 'the C kernel ran');
  program.dispose();
  return [v, w].map((t) => new Uint32Array(Float32Array.from(session.view(session.variableOf(t.node))).buffer));
}

test('native tier: the C kernel\'s epilogue rounds as the wasm pass does, bit for bit (a resumed run repeats a run that swapped tiers midway)', async () => {
  if (nativeTier.unavailable() !== undefined) return;
  const native = await exactStepBits('native'), wasm = await exactStepBits('wasm');
  native.forEach((bits, i) => {
    const k = bits.findIndex((b, j) => b !== wasm[i][j]);
    assert.is(k, -1, `variable ${i} differs at ${k}: ${bits[k]?.toString(16)} against ${wasm[i][k]?.toString(16)}`);
  });
});

test.run();
