/**
 * Memory-bound WebAssembly passes on the worker pool (runtime/threads/parallel-pass.ts): each
 * kind of kernel, sized past PARALLEL_MIN_BYTES with odd sizes (uneven ranges, the SIMD tail),
 * compiled once with KERAS_JIT_THREADS=1 and once with 2 must give the same bytes, and the
 * threaded one must have handed jobs to the pool. Each threaded result is also checked against
 * the float64 reference interpreter, so both cannot be wrong alike. A dead worker must not
 * stall a pass.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Padding2D, Pair } from '../src/ir/attrs.js';
import * as B from '../src/ir/build.js';
import type { Graph } from '../src/ir/graph.js';
import type { Node } from '../src/ir/node.js';
import { sizeOf } from '../src/ir/types.js';
import { kernelBytes, kernelWork } from '../src/ir/cost.js';
import { compileWasmElementwise } from '../src/codegen/wasm/elementwise-kernel.js';
import { wasmFeatures } from '../src/codegen/wasm/features.js';
import { compiledProgram } from '../src/runtime/compiled.js';
import { Memory } from '../src/runtime/memory.js';
import { Session } from '../src/runtime/session.js';
import { defaultPool } from '../src/runtime/threads/default-pool.js';
import { bindPass, PARALLEL_MIN_BYTES, passThreads } from '../src/runtime/threads/parallel-pass.js';
import { ThreadPool, type RangeFn } from '../src/runtime/threads/pool.js';
import { compileWasmPool } from '../src/codegen/wasm/pool-kernel.js';
import { compareCompiled, makeVariable, randomData, rmspropGraph, type Feed } from './support/compiled.js';
import { rng } from './support/gradcheck.js';

const usable = wasmFeatures().simd && wasmFeatures().sharedMemory;

interface Built {
  readonly graph: Graph;
  readonly feeds: readonly Feed[];
  readonly seed?: { readonly node: Node<'input'>; readonly value: number };
}

/** `build` makes the graph and its data from a fixed seed, so two calls build the same thing. */
type Build = (session: Session) => Built;

function withThreads<T>(threads: string, f: () => T): T {
  const saved = process.env.KERAS_JIT_THREADS;
  process.env.KERAS_JIT_THREADS = threads;
  try {
    return f();
  } finally {
    if (saved === undefined) delete process.env.KERAS_JIT_THREADS;
    else process.env.KERAS_JIT_THREADS = saved;
  }
}

const bytesOf = (a: ArrayBufferView): Uint8Array => Uint8Array.from(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));

/** The graph compiled and run on `threads`: its kernels, the bytes of its outputs and updated variables, the pool's jobs. */
function runOn(threads: string, build: Build): { names: readonly string[]; results: readonly Uint8Array[]; jobs: number } {
  return withThreads(threads, () => {
    const session = new Session({ seed: 7 });
    const { graph, feeds, seed } = build(session);
    const before = defaultPool()?.jobs ?? 0;
    const program = compiledProgram({ name: 'passes', inputs: feeds.map((f) => f.node), graph, seed: seed?.node }, session, 'wasm');
    feeds.forEach((f, i) => program.input(i).set(f.data));
    program.run(seed?.value ?? 0);
    const results = [
      ...graph.outputs.map((_, i) => bytesOf(program.output(i))),
      ...graph.updates.map((u) => bytesOf(session.view(session.variableOf(u.variable)))),
    ];
    const jobs = (defaultPool()?.jobs ?? 0) - before;
    const names = program.parts.calls.map((c) => c.name);
    session.clear();
    return { names, results, jobs };
  });
}

/** One thread and two give the same bytes; two used the pool for `kernel`; two match the interpreter. */
function identical(what: string, build: Build, kernel: RegExp, tol: number): void {
  if (!usable) return;
  const one = runOn('1', build), two = runOn('2', build);
  assert.ok(two.names.some((n) => kernel.test(n)), `${what}: expected a kernel like ${kernel}, got ${two.names.join(', ')}`);
  assert.is(one.jobs, 0, `${what}: KERAS_JIT_THREADS=1 ran jobs on a pool`);
  assert.ok(two.jobs > 0, `${what}: nothing ran on the pool (${two.names.join(', ')})`);
  assert.is(one.results.length, two.results.length);
  one.results.forEach((a, i) => {
    const b = two.results[i];
    const at = a.findIndex((v, j) => v !== b[j]);
    assert.ok(a.length === b.length && at < 0, `${what}: result ${i} differs at byte ${at} (of ${a.length})`);
  });
  withThreads('2', () => {
    const session = new Session({ seed: 7 });
    const { graph, feeds, seed } = build(session);
    const c = compareCompiled(graph, feeds, session, seed, 'wasm');
    assert.ok(c.maxRelError <= tol, `${what}: max rel error ${c.maxRelError} at ${c.worst}`);
    session.clear();
  });
}

test('a large pass goes parallel, a small one does not, and only over a shared memory', () => {
  if (!usable) return;
  withThreads('2', () => {
    assert.is(passThreads(PARALLEL_MIN_BYTES, 1000, true), 2);
    assert.is(passThreads(PARALLEL_MIN_BYTES - 1, 1000, true), 1);
    assert.is(passThreads(PARALLEL_MIN_BYTES, 1, true), 1, 'one unit cannot be split');
    assert.is(passThreads(PARALLEL_MIN_BYTES, 1000, false), 1, 'a private memory cannot be shared with workers');
  });
  withThreads('1', () => { assert.is(passThreads(1e9, 1000, true), 1); });
});

test('a pass of few bytes but costly elements (dropout\'s draws, tanh) counts as more work than its bytes, a scaling pass as its bytes', () => {
  if (!usable) return;
  const kernelOf = (build: (x: Node, seed: Node) => Node) => {
    const session = new Session({ seed: 7 });
    const x = B.input('x', [128, 512]), seed = B.input('seed', [], 'int32');
    const program = compiledProgram({ name: 'work', inputs: [x, seed], graph: { outputs: [build(x, seed)], updates: [] } }, session, 'wasm');
    assert.is(program.parts.calls.length, 1);
    return program.parts.calls[0].kernel;
  };
  const scale = kernelOf((x) => B.multiply(x, 2));
  assert.is(kernelWork(scale), kernelBytes(scale));
  assert.ok(kernelWork(scale) < PARALLEL_MIN_BYTES, 'a 128x512 scaling pass stays on one thread');
  for (const [what, build] of [
    ['dropout', (x: Node, seed: Node) => B.where(B.greaterEqual(B.randomUniform(seed, x.shape), 0.2), B.divide(x, 0.8), 0)],
    ['tanh', (x: Node) => B.tanh(x)],
  ] as const) {
    const k = kernelOf(build);
    assert.ok(kernelWork(k) > kernelBytes(k) && kernelWork(k) >= PARALLEL_MIN_BYTES, `${what}: work ${kernelWork(k)} for ${kernelBytes(k)} bytes`);
  }
});

test('elementwise: float and bool outputs, a random draw and the SIMD tail split bit for bit', () => {
  const n = 300_001;
  identical('elementwise', () => {
    const r = rng(21);
    const seed = B.input('seed', [], 'int32'), x = B.input('x', [n]), y = B.input('y', [n]);
    const keep = B.greaterEqual(B.randomUniform(seed, [n]), 0.3);
    const mixed = B.where(B.greater(x, y), B.multiply(x, y), B.sqrt(B.abs(y)));
    const dropped = B.where(keep, B.divide(mixed, 0.7), 0);
    return {
      graph: { outputs: [dropped, keep], updates: [] },
      feeds: [{ node: x, data: randomData(n, r) }, { node: y, data: randomData(n, r) }],
      seed: { node: seed, value: 987 },
    };
  }, /_simd$/, 1e-5);
});

test('a multi-tensor update (members of odd sizes, split by their blocks laid end to end) splits bit for bit', () => {
  const shapes = [[300_001], [513, 517], [3], [1000, 301]];
  identical('group', (session) => {
    const r = rng(22);
    return rmspropGraph(session, shapes, r);
  }, /^group.*_simd$/, 1e-5);
});

test('the epilogue pass after a raw product splits bit for bit', () => {
  const [m, k, n] = [257, 300, 1201];
  identical('product epilogue', () => {
    const r = rng(23);
    const x = B.input('x', [m, k]), w = B.input('w', [k, n]), mask = B.input('mask', [m, n]);
    const z = B.matmul(x, w);
    const out = B.divide(B.where(B.greater(mask, 0), z, 0), 0.8);
    return {
      graph: { outputs: [out], updates: [] },
      feeds: [{ node: x, data: randomData(m * k, r) }, { node: w, data: randomData(k * n, r) }, { node: mask, data: randomData(m * n, r) }],
    };
  }, /^matmul.*_simd$/, 1e-5);
});

/** The SIMD elementwise kernels `build`'s graph compiles to, with their units (two threads). */
function simdUnits(build: Build): number[] {
  return withThreads('2', () => {
    const session = new Session({ seed: 7 });
    const { graph, feeds, seed } = build(session);
    const program = compiledProgram({ name: 'units', inputs: feeds.map((f) => f.node), graph, seed: seed?.node }, session, 'wasm');
    const units = program.parts.calls.filter((c) => /_simd$/.test(c.name)).map((c) => compileWasmElementwise(c.kernel)?.units ?? -1);
    session.clear();
    return units;
  });
}

// Row mode (slices read as rows, pads by column segment): the units are rows, each computed
// whole by one thread. Odd sizes: rows whose columns end in a SIMD tail, uneven row ranges.
test('an LSTM gate kernel reading column slices, c updated in place, splits by rows bit for bit', () => {
  const [batch, units] = [2001, 131];
  const build: Build = (session) => {
    const r = rng(27);
    const z = B.input('z', [batch, 4 * units]);
    const c = makeVariable(session, 'c', [batch, units], r);
    const gate = (k: number) => B.slice(z, [0, k * units], [batch, (k + 1) * units]);
    const c1 = B.add(B.multiply(B.sigmoid(gate(1)), c.node), B.multiply(B.sigmoid(gate(0)), B.tanh(gate(2))));
    const h = B.multiply(B.sigmoid(gate(3)), B.tanh(c1));
    return { graph: { outputs: [h], updates: [{ variable: c.node, value: c1 }] }, feeds: [{ node: z, data: randomData(batch * 4 * units, r, -5, 5) }] };
  };
  if (usable) assert.equal(simdUnits(build), [batch], 'one SIMD kernel in row mode, its rows as units');
  identical('lstm gates', build, /_simd$/, 1e-5);
});

test('LSTM gate gradients concatenated by last-axis pads split by rows bit for bit', () => {
  const [batch, units] = [3001, 67];
  const build: Build = () => {
    const r = rng(28);
    const parts = [0, 1, 2, 3].map((k) => B.input(`g${k}`, [batch, units]));
    const ys = [0, 1, 2, 3].map((k) => B.input(`y${k}`, [batch, units]));
    const gate = (k: number) => B.pad(B.multiply(B.multiply(parts[k], ys[k]), B.subtract(1, ys[(k + 1) % 4])), [[0, 0], [k * units, (3 - k) * units]]);
    const dz = B.add(B.add(gate(0), gate(1)), B.add(gate(2), gate(3)));
    return { graph: { outputs: [dz], updates: [] }, feeds: [...parts, ...ys].map((node) => ({ node, data: randomData(batch * units, r) })) };
  };
  if (usable) assert.equal(simdUnits(build), [batch], 'one SIMD kernel in row mode, its rows as units');
  identical('gate gradients', build, /_simd$/, 1e-5);
});

test('the epilogue pass after a convolution\'s raw product (Winograd, split by tiles) splits bit for bit', () => {
  const [n, h, w, c, f] = [6, 30, 30, 16, 32];
  identical('conv epilogue', () => {
    const r = rng(29);
    const x = B.input('x', [n, h, w, c]), k = B.input('k', [3, 3, c, f]);
    const y = B.conv2d(x, k, [1, 1], [1, 1, 1, 1]);
    const mask = B.input('mask', y.shape as number[]);
    const out = B.divide(B.where(B.greater(mask, 0), y, 0), 0.8);
    return {
      graph: { outputs: [out], updates: [] },
      feeds: [{ node: x, data: randomData(n * h * w * c, r) }, { node: k, data: randomData(9 * c * f, r) }, { node: mask, data: randomData(sizeOf(y.shape as number[]), r) }],
    };
  }, /^conv2d.*winograd.*_simd$/, 1e-5);
});

interface PoolCase { readonly n: number; readonly h: number; readonly w: number; readonly c: number; readonly window: Pair; readonly strides: Pair; readonly padding: Padding2D }
const POOLS: readonly PoolCase[] = [
  { n: 9, h: 26, w: 26, c: 64, window: [2, 2], strides: [2, 2], padding: [0, 0, 0, 0] },
  // Overlapping, padded windows: the gradient adds into dx, within each image.
  { n: 7, h: 25, w: 27, c: 32, window: [3, 3], strides: [2, 2], padding: [1, 1, 1, 1] },
];

for (const p of POOLS) {
  const label = `${p.n}x${p.h}x${p.w}x${p.c} window ${p.window} strides ${p.strides}`;
  test(`max pooling and its gradient (${label}) split by images bit for bit`, () => {
    identical(`pool ${label}`, () => {
      const r = rng(24);
      const x = B.input('x', [p.n, p.h, p.w, p.c]);
      const y = B.maxPool2d(x, p.window, p.strides, p.padding);
      const dy = B.input('dy', y.shape as number[]);
      const dx = B.maxPool2dGrad(x, dy, p.window, p.strides, p.padding);
      // Few distinct values: many ties, so the first maximum must win in every range.
      const xs = Float32Array.from({ length: p.n * p.h * p.w * p.c }, () => Math.floor(r() * 5));
      return { graph: { outputs: [y, dx], updates: [] }, feeds: [{ node: x, data: xs }, { node: dy, data: randomData(sizeOf(y.shape as number[]), r) }] };
    }, /^maxPool2dGrad.*_simd$/, 1e-6);
  });
}

for (const shape of [[16, 24, 24, 64], [2000, 516]]) {
  test(`the sum over every axis but the last of [${shape}] splits by channel groups bit for bit`, () => {
    identical(`sum [${shape}]`, () => {
      const r = rng(25);
      const x = B.input('x', shape);
      return { graph: { outputs: [B.sum(x, shape.slice(0, -1).map((_, i) => i))], updates: [] }, feeds: [{ node: x, data: randomData(sizeOf(shape), r) }] };
    }, /^sum.*_simd$/, 1e-6);
  });
}

test('a pass whose worker is dead runs on the calling thread (it cannot stall)', () => {
  if (!usable) return;
  // This worker's script is empty: it starts, ends, and never claims a range.
  const dead = new ThreadPool(2, { entry: new URL('data:text/javascript,'), warn: () => {} });
  const n = 100_003;
  const session = new Session({ seed: 1 });
  const x = B.input('x', [n]);
  const program = compiledProgram({ name: 'pass', inputs: [x], graph: { outputs: [B.sqrt(B.abs(x))], updates: [] } }, session, 'wasm');
  const k = program.parts.calls[0].kernel;
  const kernel = compileWasmElementwise(k);
  assert.ok(kernel !== undefined);
  assert.ok(kernelBytes(k) > 0);
  const memory = new Memory(1 << 16, true);
  const [out, input] = [memory.alloc(n * 4), memory.alloc(n * 4)];
  memory.f32.set(randomData(n, rng(26)), input / 4);
  const call = bindPass(kernel, memory, [out, input], 2, dead);
  call.run(...call.args);
  const got = memory.f32.slice(out / 4, out / 4 + n);
  memory.f32.fill(0, out / 4, out / 4 + n);
  const single = bindPass(kernel, memory, [out, input], 1, dead);
  single.run(...single.args);
  assert.equal(got, memory.f32.slice(out / 4, out / 4 + n));
  assert.is(dead.jobs, 1);
  session.clear();
});

/** A pool that records the ranges of each job and runs them on the calling thread. */
class RecordingPool extends ThreadPool {
  readonly ranges: (readonly (readonly [number, number])[])[] = [];
  override run(_id: number, args: readonly number[], chunks: readonly (readonly [number, number])[], own: RangeFn): void {
    this.ranges.push(chunks);
    for (const [r0, r1] of chunks) own(...args, r0, r1);
  }
}

test('a sum over leading axes gives each thread one range (every range sweeps all rows); an elementwise pass several', () => {
  if (!usable) return;
  const pool = new RecordingPool(2, { entry: new URL('data:text/javascript,'), warn: () => {} });
  const session = new Session({ seed: 1 });
  const shape = [96, 7, 64];
  const x = B.input('x', shape);
  const program = compiledProgram({ name: 'sums', inputs: [x], graph: { outputs: [B.sum(x, [0, 1]), B.sqrt(B.abs(x))], updates: [] } }, session, 'wasm');
  const kernels = program.parts.calls.map((c) => c.kernel);
  const sum = kernels.map(compileWasmPool).find((k) => k !== undefined);
  const flat = kernels.map(compileWasmElementwise).find((k) => k !== undefined);
  assert.ok(sum !== undefined && flat !== undefined, 'a SIMD sum and a SIMD elementwise kernel');
  assert.ok(sum.units >= 4, `the sum has ${sum.units} channel groups to split`);
  const n = sizeOf(shape);
  const memory = new Memory(1 << 16, true);
  const [sumOut, flatOut, input] = [memory.alloc(64 * 4), memory.alloc(n * 4), memory.alloc(n * 4)];
  const data = randomData(n, rng(27));
  memory.f32.set(data, input / 4);
  const summed = bindPass(sum, memory, [sumOut, input], 2, pool);
  summed.run(...summed.args);
  const flatCall = bindPass(flat, memory, [flatOut, input], 2, pool);
  flatCall.run(...flatCall.args);
  assert.is(pool.ranges.length, 2);
  assert.ok(pool.ranges[1].length > 2, `the elementwise pass in ${pool.ranges[1].length} ranges, several per thread`);
  assert.equal(pool.ranges[0], [[0, sum.units / 2], [sum.units / 2, sum.units]]);
  // The split still sums every channel's rows: against float64 sums of the same data.
  for (let c = 0; c < 64; c++) {
    let want = 0;
    for (let r = c; r < n; r += 64) want += data[r];
    assert.ok(Math.abs(memory.f32[sumOut / 4 + c] - want) <= 1e-5 * (1 + Math.abs(want)), `channel ${c}`);
  }
  session.clear();
});

test.run();
