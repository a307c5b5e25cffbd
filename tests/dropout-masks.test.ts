/**
 * Dropout masks in a training step (issue 13): the mask is drawn once, in the forward pass, and
 * stored as one byte per element for the backward pass (recomputing it from the counter hash in
 * the backward kernel was measured slower: docs/ARCHITECTURE.md, "Decisions"). The compiled step
 * equals the interpreter, whose random streams (ir/streams.ts, the randomUniform record) define
 * the draws, so a kernel drawing a different mask fails here by far more than rounding.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { grad } from '../src/ir/autodiff.js';
import * as B from '../src/ir/build.js';
import type { Graph } from '../src/ir/graph.js';
import { sizeOf } from '../src/ir/types.js';
import { compiledProgram } from '../src/runtime/compiled.js';
import { Session } from '../src/runtime/session.js';
import { backend, layers, optimizers, Sequential } from '../src/index.js';
import { compareCompiled, makeVariable, randomData } from './support/compiled.js';
import { rng } from './support/gradcheck.js';

const r = rng(29);

/** Two dense layers with dropout between them and a squared loss, and the gradients of both weights (the first one's passes back through the mask). */
function dropoutGradient(session: Session): { graph: Graph; feeds: { node: ReturnType<typeof B.input>; data: Float32Array }[]; seed: ReturnType<typeof B.input> } {
  const x = B.input('x', [24, 13]), seed = B.input('seed', [], 'int32');
  const v = makeVariable(session, 'v', [13, 37], r), w = makeVariable(session, 'w', [37, 11], r);
  const h = B.matmul(x, v.node);
  const kept = B.greaterEqual(B.randomUniform(seed, [24, 37]), 0.3);
  const dropped = B.where(kept, B.divide(h, 0.7), 0);
  const y = B.matmul(dropped, w.node);
  const loss = B.sum(B.multiply(y, y));
  const [gv, gw] = grad(loss, [v.node, w.node]);
  return { graph: { outputs: [loss, gv, gw], updates: [] }, feeds: [{ node: x, data: randomData(sizeOf([24, 13]), r) }], seed };
}

test('a dropout gradient equals the interpreter for several seeds: the compiled kernels draw the interpreter\'s mask', () => {
  const session = new Session({ seed: 1 });
  const { graph, feeds, seed } = dropoutGradient(session);
  for (const value of [0, 1, -7, 123456789]) {
    const c = compareCompiled(graph, feeds, session, { node: seed, value });
    assert.ok(c.maxRelError <= 1e-5, `seed ${value}: ${c.worst} relative error ${c.maxRelError} (${c.names.join(', ')})`);
  }
  session.clear();
});

test('the mask is drawn in one kernel and stored as bytes for the backward pass', () => {
  const session = new Session({ seed: 1 });
  const { graph, feeds, seed } = dropoutGradient(session);
  const p = compiledProgram({ name: 'dropout', inputs: feeds.map((f) => f.node), graph, seed }, session);
  const drawing = p.parts.calls.filter((c) => [...c.kernel.inline].some((n) => n.op === 'randomUniform') || c.kernel.outputs.some((n) => n.op === 'randomUniform'));
  const names = p.parts.calls.map((c) => c.name).join(', ');
  assert.is(drawing.length, 1, `kernels drawing the mask: ${names}`);
  const masks = drawing[0].kernel.outputs.filter((n) => n.dtype === 'bool');
  assert.is(masks.length, 1, `the drawing kernel stores no mask: ${names}`);
  assert.ok(p.parts.calls.some((c) => c !== drawing[0] && c.kernel.inputs.includes(masks[0])), `no other kernel reads the stored mask: ${names}`);
  p.dispose();
  session.clear();
});

test('mnist_mlp\'s training step draws each dropout mask once', () => {
  backend.setSession(new Session({ seed: 1 }));
  const model = new Sequential([
    new layers.Dense(64, { activation: 'relu', inputShape: [784] }), new layers.Dropout(0.2),
    new layers.Dense(64, { activation: 'relu' }), new layers.Dropout(0.2),
    new layers.Dense(10, { activation: 'softmax' }),
  ]);
  model.compile({ optimizer: new optimizers.RMSprop(), loss: 'categorical_crossentropy' });
  const dump = model.dump({ graph: 'train', stage: 'fused', batchSize: 32 });
  const draws = [...dump.matchAll(/= randomUniform\[stream=(\d+)\]/g)].map((m) => m[1]);
  assert.equal(draws.sort(), ['0', '1'], dump);
  backend.getSession().clear();
});

test.run();
