/**
 * The runtime's promises: steady-state training steps allocate nothing and create no kernels,
 * Session.clear() gives memory back, equal structures share cached kernels, and programs stay
 * correct when the session memory grows under them.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import v8 from 'node:v8';
import vm from 'node:vm';
import { grad } from '../src/ir/autodiff.js';
import * as B from '../src/ir/build.js';
import { kernelCacheSize } from '../src/codegen/fused-kernel.js';
import { wasmElementwiseCacheSize } from '../src/codegen/wasm/elementwise-kernel.js';
import { wasmMatmulCacheSize } from '../src/codegen/wasm/matmul-kernel.js';
import type { Graph } from '../src/ir/graph.js';
import { interpret, refContext } from '../src/ir/interpret.js';
import type { Node } from '../src/ir/node.js';
import type { RefTensor } from '../src/ir/ops/rule.js';
import { compiledProgram } from '../src/runtime/compiled.js';
import { nativeKernelsCreated } from '../src/runtime/tiers/native/kernels.js';
import type { ProgramSpec } from '../src/runtime/program.js';
import { Session, type Variable } from '../src/runtime/session.js';
import { compareCompiled, makeVariable, randomData, relError } from './support/compiled.js';
import { rng } from './support/gradcheck.js';

/** A real collector if we can get one without node flags (uvu runs tests in-process). */
function collector(): (() => void) | undefined {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed !== undefined) return exposed;
  try {
    v8.setFlagsFromString('--expose-gc');
    return vm.runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
}
const gc = collector();
const heapUsed = (): number => {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
};

interface TrainStep { spec: ProgramSpec; params: Variable[]; x: Float32Array; y: Float32Array }

/** A two-layer MLP with dropout (randomUniform from the step seed) and softmax cross-entropy, trained by SGD. */
function trainStep(session: Session, seed = 1): TrainStep {
  const r = rng(seed);
  const [n, d, hidden, classes] = [32, 20, 16, 5];
  const x = B.input('x', [n, d]), y = B.input('y', [n, classes]), stepSeed = B.input('seed', [], 'int32');
  const w1 = makeVariable(session, 'w1', [d, hidden], r, -0.3, 0.3), b1 = makeVariable(session, 'b1', [hidden], r, -0.1, 0.1);
  const w2 = makeVariable(session, 'w2', [hidden, classes], r, -0.3, 0.3), b2 = makeVariable(session, 'b2', [classes], r, -0.1, 0.1);
  const h = B.maximum(B.add(B.matmul(x, w1.node), b1.node), 0);
  const keep = B.less(B.randomUniform(stepSeed, [n, hidden]), 0.8);
  const dropped = B.where(keep, B.divide(h, 0.8), 0);
  const z = B.add(B.matmul(dropped, w2.node), b2.node);
  const shifted = B.subtract(z, B.max(z, 1, true));
  const logp = B.subtract(shifted, B.log(B.sum(B.exp(shifted), 1, true)));
  const loss = B.divide(B.negative(B.sum(B.multiply(y, logp))), n);
  const params = [w1, b1, w2, b2];
  const grads = grad(loss, params.map((p) => p.node));
  const graph: Graph = { outputs: [loss], updates: params.map((p, i) => ({ variable: p.node, value: B.subtract(p.node, B.multiply(grads[i], 0.1)) })) };
  const xData = randomData(n * d, r);
  const yData = new Float32Array(n * classes);
  // learnable labels: the class of the largest of the first five features
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (xData[i * d + c] > xData[i * d + best]) best = c;
    yData[i * classes + best] = 1;
  }
  return { spec: { name: 'train', inputs: [x, y], graph, seed: stepSeed }, params, x: xData, y: yData };
}

test('the training step matches the interpreter (with its dropout seed)', () => {
  const session = new Session({ seed: 1 });
  const t = trainStep(session);
  const c = compareCompiled(t.spec.graph, [{ node: t.spec.inputs[0], data: t.x }, { node: t.spec.inputs[1], data: t.y }], session, { node: t.spec.seed!, value: 12345 });
  assert.ok(c.maxRelError <= 1e-5, `max rel error ${c.maxRelError} at ${c.worst}`);
});

test('1,000 training steps do not grow the heap or create kernels, and the loss falls', () => {
  const session = new Session({ seed: 2 });
  const t = trainStep(session, 2);
  const p = session.program('train/32', () => t.spec);
  p.input(0).set(t.x);
  p.input(1).set(t.y);
  session.run(p);
  const firstLoss = p.output(0)[0];
  for (let i = 0; i < 50; i++) session.run(p); // warm up: JIT tiers, lazily created views
  const kernels = kernelCacheSize();
  const programs = session.programCount;
  const before = heapUsed();
  for (let i = 0; i < 1000; i++) session.run(p);
  const growth = heapUsed() - before;
  const lastLoss = p.output(0)[0];
  console.log(`\n  1,000 steps: heap ${growth >= 0 ? "+" : ""}${(growth / 1024).toFixed(1)} KiB (gc ${gc !== undefined ? "forced" : "unavailable"}), loss ${firstLoss.toFixed(4)} -> ${lastLoss.toFixed(4)}`);
  assert.ok(growth < 2 * 1024 * 1024, `heap grew by ${(growth / 1024).toFixed(0)} KiB over 1,000 steps (gc ${gc !== undefined ? 'forced' : 'not available'})`);
  assert.is(kernelCacheSize(), kernels, 'running a compiled program created kernels');
  assert.is(session.program('train/32', () => { throw new Error('the cached program was compiled again'); }), p);
  assert.is(session.programCount, programs);
  assert.ok(Number.isFinite(lastLoss) && lastLoss < firstLoss, `loss went from ${firstLoss} to ${lastLoss}`);
  for (const v of t.params) assert.ok(session.read(v).every(Number.isFinite), `${v.label} has non-finite values`);
});

test('Session.clear() releases variables and programs: the same allocations fit again without growth', () => {
  const session = new Session({ seed: 3 });
  const allocate = () => {
    const t = trainStep(session, 3);
    const big = Array.from({ length: 8 }, (_, i) => session.createVariable(`big${i}`, [256, 256]));
    const p = session.program('train', () => t.spec);
    session.run(p);
    return { p, big, t };
  };
  const first = allocate();
  const bytes = session.memory.bytes;
  session.clear();
  assert.is(session.programCount, 0);
  assert.throws(() => first.p.run(1), /disposed|cleared/, 'a program of a cleared session refuses to run');
  assert.throws(() => session.variableOf(first.big[0].node), /does not belong to this session/);
  for (let round = 0; round < 5; round++) {
    allocate();
    assert.is(session.memory.bytes, bytes, `round ${round}: memory grew from ${bytes} to ${session.memory.bytes} bytes after clear()`);
    session.clear();
  }
  // freed memory is zeroed and coalesced: one allocation of everything fits at offset 0
  assert.is(session.memory.alloc(bytes), 0, 'after clear() the whole memory is one free block');
});

test('a disposed program gives its arena back', () => {
  const session = new Session({ seed: 4 });
  const t = trainStep(session, 4);
  const p1 = compiledProgram(t.spec, session);
  const bytes = session.memory.bytes;
  p1.dispose();
  for (let i = 0; i < 20; i++) compiledProgram(t.spec, session).dispose();
  assert.is(session.memory.bytes, bytes);
});

/** Kernels cached by the JavaScript tier and by the SIMD loop (where tanh and exp now run on the wasm tier). */
// Native C kernels too: on the native tier a matmul's epilogue is part of its C kernel, whose
// WebAssembly stand-in is compiled only if it runs before the C kernel loads. A C kernel found in
// the disk cache loads without going to the compiler, so the matmul kernels the tiers plan count
// as well: otherwise a new shape whose C kernel an earlier run cached would count as no new kernel.
const cachedKernels = () => kernelCacheSize() + wasmElementwiseCacheSize() + wasmMatmulCacheSize() + nativeKernelsCreated();

test('a program compiled twice for the same structure reuses cached kernels', () => {
  const build = (session: Session) => {
    const r = rng(5);
    const x = B.input('x', [9, 7]);
    const w = makeVariable(session, 'w', [7, 5], r), b = makeVariable(session, 'b', [5], r);
    const y = B.tanh(B.add(B.matmul(x, w.node), b.node));
    const s = B.sum(B.exp(y), 1, true);
    return { name: 'predict', inputs: [x], graph: { outputs: [B.divide(B.exp(y), s)], updates: [] } } satisfies ProgramSpec;
  };
  const s1 = new Session({ seed: 5 });
  const p1 = compiledProgram(build(s1), s1);
  const size = cachedKernels();
  const p2 = compiledProgram(build(s1), s1);
  assert.is(cachedKernels(), size, 'compiling an equal structure in the same session made new kernels');
  const s2 = new Session({ seed: 6 });
  const p3 = compiledProgram(build(s2), s2);
  assert.is(cachedKernels(), size, 'compiling an equal structure in another session made new kernels');
  assert.equal(p2.parts.calls.map((c) => c.name), p1.parts.calls.map((c) => c.name));
  p1.parts.calls.forEach((c, i) => assert.is(p3.parts.calls[i].source, c.source, `kernel ${c.name} differs`));
  // ...and the shared kernels compute each program's own buffers
  const data = randomData(63, rng(7));
  for (const p of [p1, p2, p3]) {
    p.input(0).set(data);
    p.run(0);
  }
  assert.equal(Array.from(p2.output(0)), Array.from(p1.output(0)));
  // a different shape is a different kernel
  const x = B.input('x', [10, 7]);
  const w = s2.createVariable('w', [7, 5]);
  compiledProgram({ name: 'other', inputs: [x], graph: { outputs: [B.tanh(B.matmul(x, w.node))], updates: [] } }, s2);
  assert.ok(cachedKernels() > size, 'a new shape compiled no new kernel');
});

/** The interpreter's outputs for a program's graph from the session's current variable values. */
function expected(session: Session, graph: Graph, feeds: Map<Node, RefTensor>): RefTensor[] {
  const sources = new Map(feeds);
  const visit = (n: Node) => {
    if (n.op === 'variable' && !sources.has(n)) {
      const v = session.variableOf(n as Node<'variable'>);
      sources.set(n, { shape: v.shape, data: Float64Array.from(session.view(v)) });
    }
    n.inputs.forEach(visit);
  };
  graph.outputs.forEach(visit);
  graph.updates.forEach((u) => visit(u.value));
  return interpret(graph, refContext(sources)).outputs;
}

test('memory growth (many new variables) keeps previously compiled programs correct', () => {
  const session = new Session({ seed: 8 });
  const r = rng(8);
  // forward program: reads variables, keeps its inputs written before the growth
  const x = B.input('x', [6, 11]);
  const w = makeVariable(session, 'w', [11, 4], r), b = makeVariable(session, 'b', [4], r);
  const graph: Graph = { outputs: [B.maximum(B.add(B.matmul(x, w.node), b.node), 0), B.sum(B.tanh(x), 1)], updates: [] };
  const forward = compiledProgram({ name: 'forward', inputs: [x], graph }, session);
  const xData = randomData(66, r);
  forward.input(0).set(xData);
  forward.run(0);
  const before = [Float32Array.from(forward.output(0)), Float32Array.from(forward.output(1))];
  // a training program updating variables in place
  const t = trainStep(session, 9);
  const train = compiledProgram(t.spec, session);
  train.input(0).set(t.x);
  train.input(1).set(t.y);
  train.run(1);
  const trained = t.params.map((p) => session.read(p));

  const generation = session.memory.generation;
  const bytes = session.memory.bytes;
  const extra: Variable[] = [];
  for (let i = 0; extra.length < 64 || session.memory.generation < generation + 2; i++) {
    extra.push(session.createVariable(`grow${i}`, [128, 128], 'float32', new Float32Array(128 * 128).fill(i)));
  }
  assert.ok(session.memory.bytes > bytes && session.memory.generation >= generation + 2, 'the memory grew (at least twice)');

  // variables kept their values, inputs written before the growth are still there
  t.params.forEach((p, i) => assert.equal(Array.from(session.read(p)), Array.from(trained[i]), `${p.label} changed across growth`));
  assert.equal(Array.from(forward.input(0)), Array.from(xData), 'the input buffer lost its contents across growth');
  forward.run(0);
  before.forEach((o, i) => assert.equal(Array.from(forward.output(i)), Array.from(o), `forward output ${i} changed after growth`));

  // the training program keeps updating the (moved) variables in place, as the interpreter says
  const feeds = new Map<Node, RefTensor>([
    [t.spec.inputs[0], { shape: [32, 20], data: Float64Array.from(t.x) }],
    [t.spec.inputs[1], { shape: [32, 5], data: Float64Array.from(t.y) }],
    [t.spec.seed!, { shape: [], data: Float64Array.of(77) }],
  ]);
  const sources = new Map(feeds);
  for (const p of t.params) sources.set(p.node, { shape: p.shape, data: Float64Array.from(session.view(p)) });
  const want = interpret(t.spec.graph, refContext(sources));
  train.run(77);
  assert.ok(relError(train.output(0), want.outputs[0].data) <= 1e-5, 'training loss after growth differs from the interpreter');
  t.spec.graph.updates.forEach((u, i) => {
    const err = relError(session.view(session.variableOf(u.variable)), want.updates[i].data);
    assert.ok(err <= 1e-5, `update of ${u.variable.attrs.label} after growth: rel error ${err}`);
  });
  // new variables hold what they were given, untouched by the programs
  extra.forEach((v, i) => assert.ok(session.view(v).every((e) => e === i), `${v.label} was overwritten`));
  // and a program compiled after the growth agrees with the interpreter too
  const out = expected(session, graph, new Map([[x, { shape: [6, 11], data: Float64Array.from(xData) }]]));
  const late = compiledProgram({ name: 'forward-late', inputs: [x], graph }, session);
  late.input(0).set(xData);
  late.run(0);
  assert.ok(relError(late.output(0), out[0].data) <= 1e-5);
});

test.run();
