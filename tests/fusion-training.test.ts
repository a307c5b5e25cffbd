/**
 * Training-graph fusion (issue 13): in a training step the relu's gradient reads the activation
 * (relu'(x) = y > 0), so the pre-activation has one reader and matmul + bias + relu stays one
 * kernel, as in the predict graph; each weight's optimizer step is its gradient matmul's
 * epilogue, and the step's other updates are one multi-tensor kernel.
 * Checked on a gradient graph against the interpreter, and as kernel counts of mnist_mlp's
 * compiled training step (the dump of what fit() runs).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { grad } from '../src/ir/autodiff.js';
import * as B from '../src/ir/build.js';
import { dumpGraph } from '../src/ir/dump.js';
import type { Graph } from '../src/ir/graph.js';
import { sizeOf } from '../src/ir/types.js';
import { compiledProgram } from '../src/runtime/compiled.js';
import { Session } from '../src/runtime/session.js';
import { backend, layers, optimizers, Sequential } from '../src/index.js';
import { compareCompiled, makeVariable, randomData } from './support/compiled.js';
import { rng } from './support/gradcheck.js';

const r = rng(13);
const session = new Session({ seed: 3 });

test('a relu layer\'s gradient graph keeps matmul + bias + relu in one kernel and equals the interpreter', () => {
  const x = B.input('x', [16, 12]), t = B.input('t', [16, 5]);
  const w = makeVariable(session, 'w', [12, 8], r), b = makeVariable(session, 'b', [8], r);
  const v = makeVariable(session, 'v', [8, 5], r);
  const hidden = B.maximum(B.add(B.matmul(x, w.node), b.node), 0);
  const diff = B.subtract(B.matmul(hidden, v.node), t);
  const loss = B.sum(B.multiply(diff, diff));
  const [gw, gb, gv] = grad(loss, [w.node, b.node, v.node]);
  const graph: Graph = { outputs: [loss, gw, gb, gv], updates: [] };
  const feeds = [{ node: x, data: randomData(sizeOf([16, 12]), r, -1, 1) }, { node: t, data: randomData(sizeOf([16, 5]), r, -1, 1) }];
  const p = compiledProgram({ name: 'relu-grad', inputs: feeds.map((f) => f.node), graph }, session);
  const first = p.parts.calls[0];
  const names = p.parts.calls.map((c) => c.name).join(', ');
  // The first kernel is the forward contraction; its epilogue must end in the relu.
  assert.is(first.kernel.kind, 'contraction', names);
  assert.ok(first.kernel.epilogue.some((n) => n.op === 'maximum'), `relu not in the matmul's epilogue: ${names}\n${dumpGraph(graph)}`);
  assert.ok(!p.parts.calls.some((c) => c.kernel.kind !== 'contraction' && c.kernel.inputs.includes(first.kernel.epilogue[0])),
    `a kernel reads the pre-activation: ${names}`);
  p.dispose();
  const c = compareCompiled(graph, feeds, session);
  assert.ok(c.maxRelError <= 1e-5, `max rel error ${c.maxRelError} at ${c.worst}\n${dumpGraph(graph)}`);
});

interface DumpKernel { readonly name: string; readonly kind: string; readonly ops: string[] }

/** The kernels of a 'fused' dump: name, kind and the ops each computes. */
function kernelsOf(dump: string): DumpKernel[] {
  const kernels: DumpKernel[] = [];
  let inOps = false;
  for (const line of dump.split('\n')) {
    const k = /^kernel \d+ (\S+) \((\w+)\)$/.exec(line);
    if (k !== null) { kernels.push({ name: k[1], kind: k[2], ops: [] }); inOps = false; continue; }
    const op = /^ {2}(?:ops {5}| {8})\S+ = (\w+)/.exec(line);
    if (line.startsWith('  ops ')) inOps = true;
    else if (/^ {2}\S/.test(line)) inOps = false;
    if (inOps && op !== null && kernels.length > 0) kernels[kernels.length - 1].ops.push(op[1]);
  }
  return kernels;
}

/** What the fusion pass achieved on mnist_mlp's training step when this test was written: update it when fusion improves. */
const MNIST_MLP_TRAIN_KERNELS_NOW = 17;
/** The kernels between the last forward matmul and the first backward one: the loss, the accuracy metric and the loss's gradient down to the logits. */
const MNIST_MLP_LOSS_TAIL_NOW = 3;

test(`mnist_mlp's training step: relu in both forward matmuls, weight updates in their gradients' matmuls, one kernel for the rest, a ${MNIST_MLP_LOSS_TAIL_NOW}-kernel loss tail, ${MNIST_MLP_TRAIN_KERNELS_NOW} kernels (current fusion)`, () => {
  backend.setSession(new Session({ seed: 1 }));
  const model = new Sequential([
    new layers.Dense(512, { activation: 'relu', inputShape: [784] }), new layers.Dropout(0.2),
    new layers.Dense(512, { activation: 'relu' }), new layers.Dropout(0.2),
    new layers.Dense(10, { activation: 'softmax' }),
  ]);
  model.compile({ optimizer: new optimizers.RMSprop(), loss: 'categorical_crossentropy', metrics: ['accuracy'] });
  const dump = model.dump({ graph: 'train', stage: 'fused', batchSize: 128 });
  const kernels = kernelsOf(dump);
  const list = kernels.map((k) => `${k.name} (${k.kind}): ${k.ops.join(' ')}`).join('\n');
  const forward = kernels.filter((k) => k.kind === 'contraction' && k.ops[0] === 'matmul' && k.ops.includes('add') && !k.name.includes('_nt_') && !k.name.includes('_tn_'));
  assert.is(forward.length, 3, list);
  assert.ok(forward[0].ops.includes('maximum') && forward[1].ops.includes('maximum'), `relu split from its matmul:\n${list}`);
  assert.not.ok(forward[2].ops.includes('maximum'), list);
  // No other kernel over the hidden activations computes a relu: it is not recomputed from the
  // pre-activation (the loss's clip, over [128,10], is a maximum too).
  assert.not.ok(kernels.some((k) => k.kind !== 'contraction' && k.name.includes('128x512') && k.ops.includes('maximum')), list);
  // Each weight's RMSprop step (its gradient read twice: g² and lr·g) is its gradient matmul's
  // epilogue, writing the weight and its velocity in place; the rest of the step's updates (three
  // biases, their velocities, the iteration count) are one multi-tensor kernel.
  const writes = (k: DumpKernel) => {
    const text = dump.slice(dump.indexOf(`${k.name} (${k.kind})`)).split(/\nkernel |\noutputs:/)[0];
    return [...text.matchAll(/in place of variable/g)].length;
  };
  const weightGradients = kernels.filter((k) => k.kind === 'contraction' && k.name.includes('_tn_'));
  assert.is(weightGradients.length, 3, list);
  for (const k of weightGradients) {
    assert.ok(k.ops.includes('sqrt'), `the optimizer step is not in ${k.name}:\n${list}`);
    assert.is(writes(k), 2, `${k.name} does not write its weight and velocity:\n${list}`);
  }
  const groups = kernels.filter((k) => k.kind === 'group');
  assert.is(groups.length, 1, list);
  assert.is([...dump.matchAll(/in place of variable/g)].length, 13, dump);
  assert.is(writes(groups[0]), 7, `the group does not write every other variable:\n${list}`);
  assert.not.ok(kernels.some((k) => k.kind === 'elementwise' && k.ops.includes('sqrt')), `an update outside the group and the matmuls:\n${list}`);
  // The softmax, the crossentropy and the start of its gradient are one row kernel (a pass per
  // stage over each row of [128,10]), not one kernel per reduction and per elementwise step.
  const lastForward = kernels.indexOf(forward[2]);
  const firstBackward = kernels.findIndex((k) => k.kind === 'contraction' && k.name.includes('_nt_'));
  assert.is(firstBackward - lastForward - 1, MNIST_MLP_LOSS_TAIL_NOW, list);
  const row = kernels[lastForward + 1];
  assert.is(row.kind, 'reduce', list);
  for (const op of ['max', 'exp', 'sum', 'log']) assert.ok(row.ops.includes(op), `${op} not in the row kernel:\n${list}`);
  // The accuracy metric's argmax of the labels runs in the same row kernel: it compares with the
  // prediction's argmax there, where that row value is already at hand (softmax's max and the
  // prediction's two argmax reductions, then the labels' two).
  assert.ok(row.ops.filter((op) => op === 'max').length >= 5, `the accuracy's argmaxes are not in the row kernel:\n${list}`);
  assert.is(kernels.length, MNIST_MLP_TRAIN_KERNELS_NOW, list);
  backend.getSession().clear();
});

test.run();
