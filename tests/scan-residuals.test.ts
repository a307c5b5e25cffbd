/**
 * The scan's gradient reads residuals the forward scan saved instead of recomputing the step
 * (src/ir/scan-vjp.ts): the optimized backward bodies of SimpleRNN, LSTM and GRU hold none of
 * the step's nonlinearities nor a per-step weight-gradient product, the saved stacks grow
 * linearly with the sequence length, and the
 * saved values themselves refuse to be differentiated. Exactness is checked elsewhere
 * (scan.test.ts, rnn-gradients.test.ts, rnn-keras.test.ts).
 */
import { test } from 'uvu';
import { PART_ALIGN_ELEMENTS, partSize, scanParts } from '../src/ir/scan-body.js';
import * as assert from 'uvu/assert';
import type { Layer } from '../src/api/layers/layer.js';
import { withTrace } from '../src/api/trace-context.js';
import { layers } from '../src/index.js';
import { grad } from '../src/ir/autodiff.js';
import * as B from '../src/ir/build.js';
import { topoOrder } from '../src/ir/graph.js';
import type { Node } from '../src/ir/node.js';
import { optimizeGraph } from '../src/ir/pipeline.js';
import { scan } from '../src/ir/scan.js';

const NONLINEAR = new Set(['exp', 'tanh', 'sigmoid', 'log', 'erf']);
const cases: [string, () => Layer][] = [
  ['SimpleRNN', () => new layers.SimpleRNN(4, { returnSequences: true })],
  ['LSTM', () => new layers.LSTM(4)],
  ['LSTM goBackwards', () => new layers.LSTM(4, { goBackwards: true, returnSequences: true })],
  ['GRU', () => new layers.GRU(4)],
  ['GRU resetAfter false', () => new layers.GRU(4, { resetAfter: false })],
];

/** The scan nodes of a layer's training gradient over [2, steps, 3] inputs. */
function loopsOf(layer: Layer, steps: number): { forward: Node<'scan'>; backward: Node<'scan'> } {
  const x = B.input('x', [2, steps, 3]);
  layer.maybeBuild([2, steps, 3]);
  const seed = B.input('seed', [], 'int32');
  const y = withTrace({ training: true, seed, updates: [], losses: [] }, () => layer.invoke(x, true)) as Node;
  const grads = grad(B.sum(B.multiply(y, y)), [x, ...layer.weights.map((w) => w.node)]);
  const loops = topoOrder(grads).filter((n): n is Node<'scan'> => n.op === 'scan');
  const forward = loops.filter((l) => l.attrs.save);
  const backward = loops.filter((l) => !l.attrs.save);
  assert.is(forward.length, 1, 'one forward loop');
  assert.is(backward.length, 1, 'one backward loop');
  return { forward: forward[0], backward: backward[0] };
}

const nonlinearities = (loop: Node<'scan'>) =>
  topoOrder(optimizeGraph({ outputs: loop.attrs.body.outputs, updates: [] }).optimized.outputs).filter((n) => NONLINEAR.has(n.op)).map((n) => n.op);

for (const [name, make] of cases) {
  test(`${name}: the backward body recomputes none of the step's nonlinearities`, () => {
    const { forward, backward } = loopsOf(make(), 5);
    assert.ok(nonlinearities(forward).length > 0, 'the forward step has nonlinearities');
    assert.equal(nonlinearities(backward), [], 'the backward step reads them from the saved residuals');
  });

  test(`${name}: the recurrent weight's gradient is one matmul after the loop, not one per step`, () => {
    const { backward } = loopsOf(make(), 5);
    const perStep = topoOrder(optimizeGraph({ outputs: backward.attrs.body.outputs, updates: [] }).optimized.outputs)
      .filter((n) => n.op === 'matmul' && (n as Node<'matmul'>).attrs.transposeA);
    assert.is(perStep.length, 0, 'no hᵀ·dz product inside the backward body');
    // Only a per-step part that is not such a product (GRU's recurrent bias: a sum over the batch) keeps an accumulator.
    const accumulators = backward.attrs.carries - backward.attrs.body.params.filter((p) => p.attrs.label.startsWith('scan:dcarry')).length;
    assert.is(accumulators, name.startsWith('GRU') && !name.includes('resetAfter false') ? 1 : 0, 'accumulators among its carries');
  });

  test(`${name}: the saved residuals grow linearly with the sequence length`, () => {
    // The parts' elements grow linearly; the packed buffer adds at most one alignment gap per part.
    const size = (steps: number) => {
      const loop = loopsOf(make(), steps).forward;
      const parts = scanParts(loop.attrs);
      const elements = parts.reduce((n, p) => n + (partSize(p.shape) as number), 0);
      const packed = loop.shape[0] as number;
      assert.ok(packed >= elements && packed - elements < parts.length * PART_ALIGN_ELEMENTS, `packed ${packed} for ${elements} elements in ${parts.length} parts`);
      return elements;
    };
    const [a, b, c] = [size(3), size(6), size(9)];
    assert.ok(b > a, 'longer sequences save more');
    assert.is(c - b, b - a, 'each step adds the same number of elements');
  });
}

test('scan: a saved residual cannot be differentiated, and says why', () => {
  const h0 = B.input('h0', [2, 3]), xs = B.input('xs', [4, 2, 3]), w = B.input('w', [3, 3]);
  const out = scan(([h], [x], [k]) => ({ carries: [B.tanh(B.add(x, B.matmul(h, k)))], ys: [] }), [h0], [xs], [w]);
  assert.ok(out.saved.length > 0);
  assert.throws(() => grad(B.sum(out.saved[0]), [w]), /saved residuals are its gradient's own values and cannot be differentiated/);
});

test.run();
