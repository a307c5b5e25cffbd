/**
 * Row kernels (ir/fusion.ts, mergeReductions): reductions over one domain and the elementwise
 * kernels between them that read their results per row run as one kernel, a pass per stage over
 * each row. Checked on Keras's categorical crossentropy of a softmax and its gradient (max, sum
 * of exponentials, division, normalisation, clip, log, the loss, the gradient back through it
 * all) against the reference interpreter on both tiers, at row lengths around the SIMD width
 * and over a 3-D domain.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { grad } from '../src/ir/autodiff.js';
import * as B from '../src/ir/build.js';
import { dumpGraph } from '../src/ir/dump.js';
import type { Graph } from '../src/ir/graph.js';
import type { Node } from '../src/ir/node.js';
import { sizeOf } from '../src/ir/types.js';
import { compiledProgram } from '../src/runtime/compiled.js';
import type { TierName } from '../src/runtime/tiers/index.js';
import { Session } from '../src/runtime/session.js';
import { compareCompiled, randomData } from './support/compiled.js';
import { rng } from './support/gradcheck.js';

const r = rng(1314);
const TIERS: readonly TierName[] = ['wasm', 'js'];

/** softmax over the last axis, Keras's crossentropy on probabilities (normalised, clipped), the mean loss and its gradient. */
function crossentropy(shape: number[]): { graph: Graph; x: Node<'input'>; t: Node<'input'> } {
  const x = B.input('x', shape), t = B.input('t', shape);
  const last = shape.length - 1;
  const e = B.exp(B.subtract(x, B.max(x, last, true)));
  const p = B.divide(e, B.sum(e, last, true));
  const q = B.minimum(B.maximum(B.divide(p, B.sum(p, last, true)), 1e-7), 1 - 1e-7);
  const perRow = B.negative(B.sum(B.multiply(t, B.log(q)), last));
  const loss = B.divide(B.sum(perRow), sizeOf(shape.slice(0, last)));
  const [gx] = grad(loss, [x]);
  return { graph: { outputs: [loss, p, gx], updates: [] }, x, t };
}

/** One-hot rows of a 2-D view of `shape`. */
function oneHot(shape: number[]): Float32Array {
  const c = shape[shape.length - 1], rows = sizeOf(shape) / c;
  const out = new Float32Array(rows * c);
  for (let i = 0; i < rows; i++) out[i * c + Math.floor(r() * c)] = 1;
  return out;
}

const SHAPES = [[5, 3], [7, 4], [6, 10], [3, 13], [2, 3, 5]];

for (const tier of TIERS) {
  for (const shape of SHAPES) {
    test(`${tier}: softmax crossentropy and its gradient over [${shape}] as row kernels equal the interpreter`, () => {
      const session = new Session({ seed: 9 });
      const { graph, x, t } = crossentropy(shape);
      const feeds = [{ node: x, data: randomData(sizeOf(shape), r, -3, 3) }, { node: t, data: oneHot(shape) }];
      const c = compareCompiled(graph, feeds, session, undefined, tier);
      assert.ok(c.maxRelError <= 1e-5, `max rel error ${c.maxRelError} at ${c.worst}: ${c.names.join(', ')}\n${dumpGraph(graph)}`);
      // Issue 13's target: the loss and its gradient in at most three kernels (here the row kernel and the mean).
      assert.ok(c.kernels <= 3, `${c.kernels} kernels: ${c.names.join(', ')}`);
      // The forward pass up to the per-row loss is one kernel of several stages.
      const p = compiledProgram({ name: 'ce', inputs: [x, t], graph }, session, tier);
      const rows = p.parts.calls.filter((k) => (k.kernel.stages ?? []).some((s) => s.map === true));
      assert.ok(rows.length >= 1, p.parts.calls.map((k) => k.name).join(', '));
      assert.ok(rows[0].kernel.stages!.length >= 5, `${rows[0].name}: ${rows[0].kernel.stages!.length} stages`);
      p.dispose();
    });
  }
}

test.run();
