/**
 * The native tier (generated C, compiled by the machine's compiler): every kernel shape and
 * epilogue it generates agrees with the reference interpreter within the WebAssembly tier's
 * tolerance, once its C kernel has replaced its WebAssembly twin; on memories shared or not, and
 * after the memory grows. Skipped where the tier cannot run (no compiler): the child-process
 * tests below check what happens then.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as B from '../src/ir/build.js';
import type { Graph } from '../src/ir/graph.js';
import type { Node } from '../src/ir/node.js';
import { Session } from '../src/runtime/session.js';
import { compiledProgram } from '../src/runtime/compiled.js';
import { nativeTier } from '../src/runtime/tiers/native/index.js';
import { nativeCompilesSettled, nativeKernelsCreated } from '../src/runtime/tiers/native/kernels.js';
import { nativeStats } from '../src/runtime/tiers/native/swap.js';
import { compareCompiled, makeVariable, randomData, rmspropGraph, type Feed } from './support/compiled.js';
import { rng } from './support/gradcheck.js';
import { CASES, checkWinogradBound, checkWinogradFilterBound, FILTER_CASES } from './support/winograd-bound.js';
import { emitWinogradC } from '../src/codegen/native/winograd-c.js';
import { emitWinogradFilterC } from '../src/codegen/native/winograd-filter-c.js';
import { nativeKernel } from '../src/runtime/tiers/native/kernels.js';
import { emitMatmulC } from '../src/codegen/native/matmul-c.js';
import { optimizedCompiles } from '../src/codegen/wasm/optimized-compile.js';
import { swappingRange } from '../src/runtime/tiers/native/swap.js';
import { DEFAULT_NATIVE_THREADS, nativeThreadStats, nativeThreadsNow } from '../src/runtime/tiers/native/threads.js';
import { threadCount } from '../src/runtime/threads/config.js';

const usable = nativeTier.unavailable() === undefined;

type Epilogue = 'none' | 'bias' | 'relu' | 'bias_relu' | 'tanh';

interface Case { readonly batch: number; readonly M: number; readonly K: number; readonly N: number; readonly ta: boolean; readonly tb: boolean; readonly epilogue: Epilogue }

function build(c: Case, session: Session, seed: number): { graph: Graph; feeds: Feed[] } {
  const r = rng(seed);
  const lead = c.batch > 1 ? [c.batch] : [];
  const x = B.input('x', [...lead, ...(c.ta ? [c.K, c.M] : [c.M, c.K])]);
  const w = B.input('w', [...lead, ...(c.tb ? [c.N, c.K] : [c.K, c.N])]);
  const bias = makeVariable(session, 'bias', [c.N], r);
  const y = B.matmul(x, w, c.ta, c.tb);
  const out: Node = c.epilogue === 'bias' ? B.add(y, bias.node)
    : c.epilogue === 'relu' ? B.maximum(y, 0)
    : c.epilogue === 'bias_relu' ? B.maximum(B.add(y, bias.node), 0)
    : c.epilogue === 'tanh' ? B.tanh(B.add(y, bias.node)) : y;
  const size = (s: readonly number[]) => s.reduce((p, q) => p * q, 1);
  return { graph: { outputs: [out], updates: [] }, feeds: [{ node: x, data: randomData(size(x.shape as number[]), r) }, { node: w, data: randomData(size(w.shape as number[]), r) }] };
}

/**
 * Compiles `make(seeds[0])` on the native tier (starting its C compiles) and waits for them, then
 * compares `make(seeds[1])` with the interpreter: that run is the C kernels'. `ran` is how much
 * `counter` (one of nativeStats) rose over it; `first` is the comparison of the first run.
 */
async function onceCompiled(session: Session, make: (seed: number) => { graph: Graph; feeds: Feed[] }, seeds: readonly [number, number], counter: () => number) {
  const warm = make(seeds[0]);
  const mark = nativeKernelsCreated();
  const first = compareCompiled(warm.graph, warm.feeds, session, undefined, 'native');
  // Only this program's kernels: in a whole-suite run on this tier, others may still be queued.
  await nativeCompilesSettled(mark);
  const before = counter();
  const { graph, feeds } = make(seeds[1]);
  const cmp = compareCompiled(graph, feeds, session, undefined, 'native');
  return { first, cmp, ran: counter() - before };
}

/** Runs once to start the C compile, waits for it, then compares a run on the C kernel. */
async function check(c: Case, sharedMemory: boolean): Promise<void> {
  const session = new Session({ seed: 1, sharedMemory });
  const { cmp, ran } = await onceCompiled(session, (seed) => build(c, session, seed), [7, 8], () => nativeStats.calls);
  const what = `${JSON.stringify(c)} shared=${sharedMemory}`;
  assert.ok(ran > 0, `${what}: the C kernel ran (${cmp.names.join(', ')})`);
  assert.ok(cmp.maxRelError <= 1e-5, `${what}: max rel error ${cmp.maxRelError} at ${cmp.worst}`);
}

test('every transpose and epilogue matches the interpreter', async () => {
  if (!usable) return;
  const epilogues: Epilogue[] = ['none', 'bias', 'relu', 'bias_relu', 'tanh'];
  for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
    for (const epilogue of epilogues) await check({ batch: 1, M: 13, K: 21, N: 45, ta, tb, epilogue }, true);
  }
});

test('a matmul whose C twin is already built runs it from the first call and never compiles its WebAssembly module', () => {
  if (!usable) return;
  // A shape no other test uses, so neither its wasm kernel nor its twin exists in this process yet.
  const c: Case = { batch: 1, M: 19, K: 27, N: 37, ta: false, tb: true, epilogue: 'bias_relu' };
  const shape = { batch: 1, M: c.M, K: c.K, N: c.N, transposeA: c.ta, transposeB: c.tb };
  nativeKernel('prebuilt_twin', emitMatmulC(shape, { bias: true, relu: true }).source, true);
  const session = new Session({ seed: 1 });
  const { graph, feeds } = build(c, session, 5);
  const compiles = optimizedCompiles.modules, calls = nativeStats.calls;
  const cmp = compareCompiled(graph, feeds, session, undefined, 'native');
  assert.ok(cmp.maxRelError <= 1e-5, `max rel error ${cmp.maxRelError} at ${cmp.worst}`);
  assert.ok(nativeStats.calls > calls, `the C kernel ran (${cmp.names.join(', ')})`);
  assert.is(optimizedCompiles.modules, compiles, 'no WebAssembly matmul module was compiled');
});

test('edges, long k, batches and two threads match the interpreter, on shared and unshared memory', async () => {
  if (!usable) return;
  const cases: Case[] = [
    // Five rows: four or fewer are a GEMV, which stays WebAssembly.
    { batch: 1, M: 5, K: 1, N: 1, ta: false, tb: false, epilogue: 'bias' },
    { batch: 1, M: 9, K: 600, N: 33, ta: true, tb: false, epilogue: 'bias_relu' },
    { batch: 3, M: 17, K: 40, N: 70, ta: false, tb: true, epilogue: 'none' },
    { batch: 1, M: 64, K: 300, N: 600, ta: false, tb: false, epilogue: 'bias_relu' },
    { batch: 1, M: 128, K: 257, N: 512, ta: true, tb: true, epilogue: 'relu' },
    // Several row blocks, uneven, with k blocks: two threads' ranges of (row block, panel) units
    // split the middle row block.
    { batch: 2, M: 300, K: 270, N: 50, ta: true, tb: false, epilogue: 'bias_relu' },
    { batch: 1, M: 333, K: 64, N: 40, ta: false, tb: false, epilogue: 'bias' },
    // At most one vector wide: the narrow tile's 12 rows, with a partial last tile.
    { batch: 1, M: 301, K: 70, N: 10, ta: true, tb: false, epilogue: 'bias_relu' },
    { batch: 2, M: 29, K: 33, N: 16, ta: false, tb: true, epilogue: 'relu' },
  ];
  for (const c of cases) for (const shared of [true, false]) await check(c, shared);
});

test('multi-threaded C kernels run on the worker pool by default and on the addon\'s threads when asked, with the same results', async () => {
  if (!usable) return;
  // Past NATIVE_PARALLEL_MIN_FLOPS, so it runs on every thread there is.
  const c: Case = { batch: 1, M: 128, K: 257, N: 512, ta: false, tb: true, epilogue: 'bias_relu' };
  const saved = process.env.KERAS_JIT_NATIVE_THREADS;
  try {
    for (const via of ['pool', 'addon', undefined] as const) {
      if (via === undefined) delete process.env.KERAS_JIT_NATIVE_THREADS;
      else process.env.KERAS_JIT_NATIVE_THREADS = via;
      const expected = via ?? DEFAULT_NATIVE_THREADS;
      // One thread has nothing to split: the addon runs it on the calling thread.
      const path = threadCount() > 1 ? expected : 'addon';
      const before = nativeThreadStats[path];
      await check(c, true);
      assert.ok(nativeThreadStats[path] > before, `KERAS_JIT_NATIVE_THREADS=${via ?? '(unset)'}: the C kernel ran on the ${path}'s threads`);
    }
  } finally {
    if (saved === undefined) delete process.env.KERAS_JIT_NATIVE_THREADS;
    else process.env.KERAS_JIT_NATIVE_THREADS = saved;
  }
});

/** Values with NaN, infinities and signed zeros sprinkled in, and ties between the two operands. */
function specials(n: number, r: () => number, other?: Float32Array): Float32Array {
  const picks = [NaN, Infinity, -Infinity, 0, -0];
  return Float32Array.from({ length: n }, (_, i) => {
    const u = r();
    if (u < 0.15) return picks[Math.floor(r() * picks.length)];
    if (other !== undefined && u < 0.25) return other[i];
    return r() * 4 - 2;
  });
}

/** Compiles `make`'s graph twice on the native tier, waiting between for its C kernels: the second run is the C one. */
interface Made { readonly graph: Graph; readonly feeds: Feed[]; readonly seed?: { readonly node: Node<'input'>; readonly value: number } }

async function checkElementwise(what: string, make: (session: Session) => Made, expectC: boolean, options: { sharedMemory?: boolean; grow?: boolean } = {}): Promise<void> {
  const session = new Session({ seed: 3, sharedMemory: options.sharedMemory ?? true });
  const first = make(session);
  compareCompiled(first.graph, first.feeds, session, first.seed, 'native');
  // Every queued compile, not only this program's: a kernel of the same source another test asked
  // for first (mnist's bias-gradient sum, an optimizer group) may still be waiting its turn.
  await nativeCompilesSettled();
  const before = nativeStats.elementwiseCalls;
  const { graph, feeds, seed } = make(session);
  // Growing an unshared memory detaches its buffer: the C kernel must read the new one.
  if (options.grow === true) session.memory.alloc(4 * session.memory.bytes);
  const cmp = compareCompiled(graph, feeds, session, seed, 'native');
  assert.is(nativeStats.elementwiseCalls > before, expectC, `${what}: the C kernel ${expectC ? 'ran' : 'did not run'} (${cmp.names.join(', ')})`);
  assert.ok(cmp.maxRelError <= 1e-6, `${what}: max rel error ${cmp.maxRelError} at ${cmp.worst}`);
}

test('flat elementwise groups run as C once compiled: NaN, infinities, signed zeros, masks, casts, broadcast scalars', async () => {
  if (!usable) return;
  for (const n of [1, 3, 4, 103, 4099]) {
    await checkElementwise(`flat, ${n} elements`, () => {
      const r = rng(n);
      const x = B.input('x', [n]), y = B.input('y', [n]), s = B.input('s', [1]), m = B.input('m', [n], 'bool');
      const xd = specials(n, r), yd = specials(n, r, xd);
      const outputs = [
        B.maximum(x, y), B.minimum(x, y),
        B.where(B.greater(x, y), B.sqrt(B.abs(x)), B.negative(y)),
        B.cast(B.notEqual(x, 0), 'bool'), B.cast(B.lessEqual(x, y), 'float32'),
        B.add(B.multiply(B.reshape(x, [n]), s), B.fill(-0, [n])),
        B.divide(B.where(m, x, 0), B.add(B.abs(y), 0.5)),
      ];
      const mask = Uint8Array.from({ length: n }, () => (r() < 0.5 ? 1 : 0));
      return { graph: { outputs, updates: [] }, feeds: [{ node: x, data: xd }, { node: y, data: yd }, { node: s, data: [1.5] }, { node: m, data: mask }] };
    }, true);
  }
});

test('multi-tensor updates run as one C kernel, in place over their variables, on the pool when large', async () => {
  if (!usable) return;
  for (const shapes of [[[7], [3, 5], [16], [33, 3]], [[300, 37], [5], [64, 64]]]) {
    await checkElementwise(`group ${JSON.stringify(shapes)}`, (session) => {
      return rmspropGraph(session, shapes, rng(shapes.length));
    }, true);
  }
});

test('elementwise C over an unshared memory, and after it grows, reads and writes where the memory is', async () => {
  if (!usable) return;
  for (const grow of [false, true]) {
    await checkElementwise(`unshared, grow=${grow}`, (session) => {
      const r = rng(9);
      const w = makeVariable(session, 'w', [1000], r), g = B.input('g', [1000]);
      return { graph: { outputs: [B.sqrt(B.abs(g))], updates: [{ variable: w.node, value: B.subtract(w.node, B.multiply(0.1, g)) }] }, feeds: [{ node: g, data: randomData(1000, r) }] };
    }, true, { sharedMemory: false, grow });
  }
});

test('dropout\'s draws run as C and draw the interpreter\'s mask, for several seeds and sizes', async () => {
  if (!usable) return;
  for (const [n, value] of [[5, 0], [1029, -7], [70_001, 123456789]] as const) {
    await checkElementwise(`dropout over ${n}, seed ${value}`, () => {
      const x = B.input('x', [n]), seed = B.input('seed', [], 'int32');
      const keep = B.greaterEqual(B.randomUniform(seed, [n]), 0.3);
      return { graph: { outputs: [B.where(keep, B.divide(x, 0.7), 0), keep], updates: [] }, feeds: [{ node: x, data: randomData(n, rng(n)) }], seed: { node: seed, value } };
    }, true);
  }
});

/** The outputs of `made` compiled on `tier`, as float32 bits (bool outputs as bytes). */
function bitsOn(made: Made, session: Session, tier: 'wasm' | 'native'): Uint32Array[] {
  const program = compiledProgram({ name: 'bits', inputs: made.feeds.map((f) => f.node), graph: made.graph }, session, tier);
  made.feeds.forEach((f, i) => program.input(i).set(f.data));
  program.run(0);
  const out = made.graph.outputs.map((_, i) => {
    const o = program.output(i);
    return o instanceof Float32Array ? new Uint32Array(Float32Array.from(o).buffer) : Uint32Array.from(o);
  });
  program.dispose();
  return out;
}

/**
 * Runs `make` on the native tier until its C kernel ran, then holds it bit for bit to the wasm
 * kernel and, given a tolerance, to the interpreter.
 */
async function checkBits(what: string, make: () => Made, tolerance?: number): Promise<void> {
  const session = new Session({ seed: 3 });
  bitsOn(make(), session, 'native');
  // Every queued compile: as in checkElementwise.
  await nativeCompilesSettled();
  const before = nativeStats.elementwiseCalls;
  const native = bitsOn(make(), session, 'native');
  assert.ok(nativeStats.elementwiseCalls > before, `${what}: the C kernel ran`);
  const made0 = make();
  const wasm = bitsOn(made0, session, 'wasm');
  // NaN's sign and payload are not specified (wasm's are nondeterministic): any NaN equals any other.
  const isNaNBits = (b: number) => (b & 0x7f800000) === 0x7f800000 && (b & 0x007fffff) !== 0;
  native.forEach((o, i) => {
    const float = made0.graph.outputs[i].dtype === 'float32';
    const k = o.findIndex((b, j) => b !== wasm[i][j] && !(float && isNaNBits(b) && isNaNBits(wasm[i][j])));
    assert.is(k, -1, `${what}: output ${i} differs from the wasm kernel at ${k}: bits ${o[k]?.toString(16)} against ${wasm[i][k]?.toString(16)}`);
  });
  if (tolerance === undefined) return;
  const made = make();
  const cmp = compareCompiled(made.graph, made.feeds, session, undefined, 'native');
  assert.ok(cmp.maxRelError <= tolerance, `${what}: max rel error ${cmp.maxRelError} at ${cmp.worst}`);
}

test('exp, log, tanh, sigmoid and sign in C equal the wasm polynomials bit for bit, over special and ordinary values', async () => {
  if (!usable) return;
  const n = 20_003;
  await checkBits('transcendentals', () => {
    const r = rng(77);
    const x = B.input('x', [n]);
    // Ordinary values over a wide range, with the special ones and subnormals sprinkled in.
    const data = Float32Array.from({ length: n }, (_, i) => {
      const u = r();
      if (u < 0.1) return [NaN, Infinity, -Infinity, 0, -0, 1e-40, -1e-40, 88.7, -103.9, 0.625][i % 10];
      return (r() - 0.5) * 2 * 10 ** (r() * 6 - 3);
    });
    const outputs = [B.exp(x), B.log(B.abs(x)), B.log(x), B.tanh(x), B.sigmoid(x), B.sign(x)];
    return { graph: { outputs, updates: [] }, feeds: [{ node: x, data }] };
    // Bit for bit the wasm polynomials, whose ulp bounds against float64 tests/wasm-simd-math.test.ts asserts
    // (an interpreter comparison here would only measure float32 overflow against float64).
  });
});

test('an LSTM gate kernel (slices of the projection read as rows, sigmoid and tanh) runs as C, bit for bit the wasm kernel', async () => {
  if (!usable) return;
  for (const [batch, units] of [[32, 128], [3, 5]] as const) {
    await checkBits(`gates ${batch}x${units}`, () => {
      const r = rng(batch + units);
      const z = B.input('z', [batch, 4 * units]), cPrev = B.input('c', [batch, units]);
      const gate = (g: number) => B.slice(z, [0, g * units], [batch, (g + 1) * units]);
      const c = B.add(B.multiply(B.sigmoid(gate(1)), cPrev), B.multiply(B.sigmoid(gate(0)), B.tanh(gate(2))));
      const h = B.multiply(B.sigmoid(gate(3)), B.tanh(c));
      return { graph: { outputs: [h, c], updates: [] }, feeds: [{ node: z, data: randomData(batch * 4 * units, r, -4, 4) }, { node: cPrev, data: randomData(batch * units, r) }] };
    }, 1e-6);
  }
});

test('the bias gradient\'s sum over every axis but the last runs as C, bit for bit the wasm kernel\'s float64 sums', async () => {
  if (!usable) return;
  for (const shape of [[128, 512], [80, 32, 512], [7, 3, 20], [5, 1040]]) {
    await checkBits(`sum ${shape.join('x')}`, () => {
      const x = B.input('x', shape);
      const n = shape.reduce((p, d) => p * d, 1);
      return { graph: { outputs: [B.sum(x, shape.slice(0, -1).map((_, i) => i))], updates: [] }, feeds: [{ node: x, data: randomData(n, rng(n), -3, 3) }] };
    }, 1e-6);
  }
});

test('elementwise groups C does not cover (pads of the last axis) keep their WebAssembly kernel', async () => {
  if (!usable) return;
  await checkElementwise('pad', () => {
    const x = B.input('x', [6, 5]);
    return { graph: { outputs: [B.pad(B.multiply(x, 2), [[0, 0], [3, 0]])], updates: [] }, feeds: [{ node: x, data: randomData(30, rng(5)) }] };
  }, false);
});

test('KERAS_JIT_NATIVE_THREADS other than pool or addon is a clear error', () => {
  const saved = process.env.KERAS_JIT_NATIVE_THREADS;
  process.env.KERAS_JIT_NATIVE_THREADS = 'both';
  try {
    assert.throws(() => nativeThreadsNow(), /KERAS_JIT_NATIVE_THREADS='both' is not a choice; expected 'pool' or 'addon'/);
  } finally {
    if (saved === undefined) delete process.env.KERAS_JIT_NATIVE_THREADS;
    else process.env.KERAS_JIT_NATIVE_THREADS = saved;
  }
});

test('the C kernel reads the memory where it is after the memory grows', async () => {
  if (!usable) return;
  const session = new Session({ seed: 1, sharedMemory: false });
  const c: Case = { batch: 1, M: 20, K: 30, N: 40, ta: false, tb: false, epilogue: 'bias' };
  const first = build(c, session, 3);
  const mark = nativeKernelsCreated();
  compareCompiled(first.graph, first.feeds, session, undefined, 'native');
  await nativeCompilesSettled(mark);
  const { graph, feeds } = build(c, session, 4);
  // Growing a non-shared memory detaches its old buffer: the kernel must not keep the old base.
  const before = session.memory.bytes;
  session.memory.alloc(4 * before);
  assert.ok(session.memory.bytes > before);
  const cmp = compareCompiled(graph, feeds, session, undefined, 'native');
  assert.ok(cmp.maxRelError <= 1e-5, `max rel error ${cmp.maxRelError} at ${cmp.worst}`);
});


test('convolutions and their gradients match the interpreter; the strided input gradient runs its products as C kernels', async () => {
  if (!usable) return;
  const graphOf = (session: Session, seed: number) => {
    const r = rng(seed);
    // Big enough that each product is a matmul kernel (four columns or more), with a stride and
    // padding. The forward pass and the filter gradient run as chunk modules that gather and
    // multiply in one (no separate product to replace); the strided input gradient's phases bind
    // their products through the hook, so those become C.
    const x = B.input('x', [4, 12, 12, 6]);
    const w = makeVariable(session, 'w', [3, 3, 6, 16], r);
    const bias = makeVariable(session, 'bias', [16], r);
    const y = B.maximum(B.add(B.conv2d(x, w.node, [2, 2], [1, 1, 1, 1]), bias.node), 0);
    const dy = B.input('dy', y.shape as number[]);
    const dx = B.conv2dBackpropInput(dy, w.node, [12, 12], [2, 2], [1, 1, 1, 1]);
    const dw = B.conv2dBackpropFilter(x, dy, [3, 3], [2, 2], [1, 1, 1, 1]);
    const size = (s: readonly number[]) => s.reduce((p, q) => p * q, 1);
    return {
      graph: { outputs: [y, dx, dw], updates: [] } as Graph,
      feeds: [{ node: x, data: randomData(size(x.shape as number[]), r) }, { node: dy, data: randomData(size(dy.shape as number[]), r) }],
    };
  };
  for (const sharedMemory of [true, false]) {
    const session = new Session({ seed: 1, sharedMemory });
    const { cmp, ran } = await onceCompiled(session, (seed) => graphOf(session, seed), [5, 6], () => nativeStats.calls);
    assert.ok(ran > 0, `shared=${sharedMemory}: C kernels ran (${cmp.names.join(', ')})`);
    assert.ok(cmp.maxRelError <= 1e-5, `shared=${sharedMemory}: max rel error ${cmp.maxRelError} at ${cmp.worst}`);
  }
});

test('few-tap convolutions (a first layer over 1 to 3 channels) and their filter gradients run as C and match the interpreter', async () => {
  if (!usable) return;
  const cases = [
    { x: [8, 14, 14, 1], w: [3, 3, 1, 32], epilogue: 'bias_relu' },
    { x: [6, 11, 9, 3], w: [3, 3, 3, 8], epilogue: 'bias' },
    { x: [5, 10, 12, 2], w: [2, 3, 2, 6], epilogue: 'none' },
  ] as const;
  for (const c of cases) {
    const graphOf = (session: Session, seed: number) => {
      const r = rng(seed);
      const x = B.input('x', [...c.x]);
      const w = makeVariable(session, 'w', [...c.w], r);
      const bias = makeVariable(session, 'bias', [c.w[3]], r);
      const conv = B.conv2d(x, w.node, [1, 1], [0, 0, 0, 0]);
      const y = c.epilogue === 'bias_relu' ? B.maximum(B.add(conv, bias.node), 0) : c.epilogue === 'bias' ? B.add(conv, bias.node) : conv;
      const dy = B.input('dy', y.shape as number[]);
      const dw = B.conv2dBackpropFilter(x, dy, [c.w[0], c.w[1]], [1, 1], [0, 0, 0, 0]);
      const size = (s: readonly number[]) => s.reduce((p, q) => p * q, 1);
      return {
        graph: { outputs: [y, dw], updates: [] } as Graph,
        feeds: [{ node: x, data: randomData(size(x.shape as number[]), r) }, { node: dy, data: randomData(size(dy.shape as number[]), r) }],
      };
    };
    for (const sharedMemory of [true, false]) {
      const session = new Session({ seed: 1, sharedMemory });
      const { cmp, ran } = await onceCompiled(session, (seed) => graphOf(session, seed), [3, 4], () => nativeStats.convCalls);
      const what = `${JSON.stringify(c)} shared=${sharedMemory}`;
      assert.ok(ran >= 2, `${what}: the forward and the filter gradient ran as C (${cmp.names.join(', ')})`);
      assert.ok(cmp.maxRelError <= 1e-5, `${what}: max rel error ${cmp.maxRelError} at ${cmp.worst}`);
    }
  }
});

test('the C twin of Winograd F(2x2,3x3) is within the same float32 error bound, on one thread and two', () => {
  if (!usable) return;
  let seed = 11;
  for (const c of CASES) {
    for (const threads of [1, 2]) {
      const before = nativeStats.convCalls;
      checkWinogradBound(c, seed, (kernel, memory, scratch) => kernel.instantiate(memory, scratch, {
        threads: 2,
        bind: (product) => {
          const spec = kernel.winograd;
          assert.ok(spec !== undefined && product.panels === spec.chunks, `${c.what}: the hook binds the chunks`);
          const twin = nativeKernel(`${kernel.name}_c`, emitWinogradC(spec, kernel.epilogue).source, true);
          assert.ok(twin.index !== undefined, `${c.what}: the C twin loaded`);
          const wasmRan = () => assert.unreachable(`${c.what}: the WebAssembly chunks ran`);
          return swappingRange(() => wasmRan, twin, { get u8() { return new Uint8Array(memory.buffer); }, wasm: memory, shared: memory.buffer instanceof SharedArrayBuffer }, threads);
        },
      }), 2);
      assert.is(nativeStats.convCalls, before + 1, `${c.what}: the C twin ran once`);
    }
    seed++;
  }
});

test('the C twin of the Winograd filter gradient is within its float32 error bound, its partial sums by panel on one thread and two', () => {
  if (!usable) return;
  let seed = 31;
  for (const c of FILTER_CASES) {
    for (const threads of [1, 2]) {
      const before = nativeStats.convCalls;
      // The wasm kernel bound for two threads: two partial sums, which the C twin's two panels fill.
      checkWinogradFilterBound(c, seed, (kernel, memory, scratch) => kernel.instantiate(memory, scratch, {
        threads: 2,
        bind: (product, offset) => {
          const spec = kernel.winograd, partials = kernel.partials;
          assert.ok(spec !== undefined && partials !== undefined && product.panels === spec.chunks, `${c.what}: the hook binds the chunks`);
          const twin = nativeKernel(`${kernel.name}_c`, emitWinogradFilterC(spec, { panels: 2, ...partials }).source, true);
          assert.ok(twin.index !== undefined, `${c.what}: the C twin loaded`);
          const wasmRan = () => assert.unreachable(`${c.what}: the WebAssembly chunks ran`);
          const swapped = swappingRange(() => wasmRan, twin, { get u8() { return new Uint8Array(memory.buffer); }, wasm: memory, shared: memory.buffer instanceof SharedArrayBuffer }, threads);
          return (out, x, dy) => swapped(out, x, dy, offset);
        },
      }), 2);
      assert.is(nativeStats.convCalls, before + 1, `${c.what}: the C twin ran once`);
    }
    seed++;
  }
});

test('Winograd convolutions in a program run their chunks as C and match the interpreter', async () => {
  if (!usable) return;
  const graphOf = (session: Session, seed: number) => {
    const r = rng(seed);
    // Wide enough for the cost model to take Winograd (16 channels in and out), with padding and an odd size.
    const x = B.input('x', [2, 9, 9, 16]);
    const w = makeVariable(session, 'w', [3, 3, 16, 20], r);
    const bias = makeVariable(session, 'bias', [20], r);
    const y = B.maximum(B.add(B.conv2d(x, w.node, [1, 1], [1, 1, 1, 1]), bias.node), 0);
    const dy = B.input('dy', y.shape as number[]);
    const dx = B.conv2dBackpropInput(dy, w.node, [9, 9], [1, 1], [1, 1, 1, 1]);
    const size = (s: readonly number[]) => s.reduce((p, q) => p * q, 1);
    return {
      graph: { outputs: [y, dx], updates: [] } as Graph,
      feeds: [{ node: x, data: randomData(size(x.shape as number[]), r) }, { node: dy, data: randomData(size(dy.shape as number[]), r) }],
    };
  };
  for (const sharedMemory of [true, false]) {
    const session = new Session({ seed: 1, sharedMemory });
    const { first, cmp, ran } = await onceCompiled(session, (seed) => graphOf(session, seed), [5, 6], () => nativeStats.convCalls);
    assert.ok(first.names.filter((n) => /winograd2x2/.test(n)).length === 2, `both convolutions are Winograd: ${first.names.join(', ')}`);
    assert.is(ran, 2, `shared=${sharedMemory}: both convolutions ran as C`);
    assert.ok(cmp.maxRelError <= 1e-5, `shared=${sharedMemory}: max rel error ${cmp.maxRelError} at ${cmp.worst}`);
  }
});

test.run();
