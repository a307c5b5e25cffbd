import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { grad } from '../src/ir/autodiff.js';
import * as B from '../src/ir/build.js';
import type { Graph } from '../src/ir/graph.js';
import { wasmFeatures } from '../src/codegen/wasm/features.js';
import { IDENTITY, type NativeEpilogue } from '../src/codegen/wasm/matmul-emit.js';
import { compileWasmMatmul } from '../src/codegen/wasm/matmul-kernel.js';
import type { MatmulShape } from '../src/codegen/matmul-shape.js';
import { Memory } from '../src/runtime/memory.js';
import { Session } from '../src/runtime/session.js';
import { defaultPool } from '../src/runtime/threads/default-pool.js';
import { defaultTier } from '../src/runtime/tiers/index.js';
import { bindMatmul, matmulThreads, parallelThreads, PARALLEL_MIN_FLOPS, splitPanels } from '../src/runtime/threads/parallel-matmul.js';
import { compileWasmConv } from '../src/codegen/wasm/conv-kernel.js';
import type { Node } from '../src/ir/node.js';
import { ThreadPool } from '../src/runtime/threads/pool.js';
import { compareCompiled, makeVariable, randomData } from './support/compiled.js';
import { rng } from './support/gradcheck.js';

const usable = wasmFeatures().simd && wasmFeatures().sharedMemory;
/**
 * Whether large products run as WebAssembly on the pool: not on the JavaScript tier, nor on the
 * native tier, whose C kernels (once cached) replace them and split over the addon's own threads.
 */
const wasmProducts = () => defaultTier() === 'wasm';
const pool = usable ? new ThreadPool(3) : undefined;

interface Placed {
  readonly memory: Memory;
  readonly c: number; readonly a: number; readonly b: number; readonly bias: number;
  readonly scratch: number;
}

/** C, A, B and bias in a shared memory, filled with deterministic data; scratch for `threads` panels. */
function place(s: MatmulShape, scratchBytes: number, threads: number, memory = new Memory(1 << 16, true)): Placed {
  const r = rng(s.M * 31 + s.N);
  const floats = (n: number) => memory.alloc(n * 4);
  const c = floats(s.batch * s.M * s.N), a = floats(s.batch * s.M * s.K), b = floats(s.batch * s.K * s.N), bias = floats(s.N);
  const scratch = memory.alloc(scratchBytes * threads);
  memory.f32.set(randomData(s.batch * s.M * s.K, r), a / 4);
  memory.f32.set(randomData(s.batch * s.K * s.N, r), b / 4);
  memory.f32.set(randomData(s.N, r), bias / 4);
  return { memory, c, a, b, bias, scratch };
}

const SHAPES: readonly MatmulShape[] = [
  { batch: 1, M: 128, K: 784, N: 512, transposeA: false, transposeB: false },
  { batch: 1, M: 37, K: 65, N: 101, transposeA: false, transposeB: false },
  { batch: 1, M: 64, K: 130, N: 77, transposeA: false, transposeB: true },
  { batch: 1, M: 50, K: 33, N: 95, transposeA: true, transposeB: false },
  { batch: 3, M: 9, K: 600, N: 41, transposeA: false, transposeB: false },
  { batch: 1, M: 5, K: 7, N: 3, transposeA: false, transposeB: false },
];

test('split panels: contiguous, covering, near-equal', () => {
  for (const [panels, threads] of [[43, 2], [5, 3], [1, 1], [7, 7], [100, 3]]) {
    const ranges = splitPanels(panels, threads);
    assert.is(ranges.length, threads);
    assert.is(ranges[0][0], 0);
    assert.is(ranges[threads - 1][1], panels);
    for (let t = 1; t < threads; t++) assert.is(ranges[t][0], ranges[t - 1][1]);
    const sizes = ranges.map(([a, b]) => b - a);
    assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `${panels} over ${threads}: ${sizes}`);
  }
});

test('a panel range computes those columns of C and no others', () => {
  if (!usable) return;
  const s: MatmulShape = { batch: 1, M: 9, K: 20, N: 29, transposeA: false, transposeB: false };
  const kernel = compileWasmMatmul(s, { shared: true, tile: { rows: 2, vecs: 4 } });
  assert.is(kernel.panels, 2); // 16 + 13 columns
  const p = place(s, kernel.scratchBytes, 1);
  const full = new Float32Array(s.M * s.N);
  kernel.instantiate(p.memory.wasm, p.scratch)(p.c, p.a, p.b);
  full.set(p.memory.f32.subarray(p.c / 4, p.c / 4 + s.M * s.N));
  const ranged = kernel.instantiatePanels(p.memory.wasm, p.scratch);
  for (const [p0, p1, from, to] of [[0, 1, 0, 16], [1, 2, 16, 29], [2, 2, 0, 0]]) {
    p.memory.f32.fill(NaN, p.c / 4, p.c / 4 + s.M * s.N);
    ranged(p.c, p.a, p.b, 0, p0, p1);
    for (let i = 0; i < s.M; i++) {
      for (let j = 0; j < s.N; j++) {
        const got = p.memory.f32[p.c / 4 + i * s.N + j];
        if (j >= from && j < to) assert.is(got, full[i * s.N + j], `[${i}, ${j}] of panels ${p0}..${p1}`);
        else assert.ok(Number.isNaN(got), `[${i}, ${j}] outside panels ${p0}..${p1} was written`);
      }
    }
  }
});

function epilogues(): NativeEpilogue[] {
  return [IDENTITY, { bias: true, relu: false }, { bias: true, relu: true }];
}

test('threaded matmul equals the single-threaded kernel bit for bit (odd N, transposes, batches, epilogues)', () => {
  if (pool === undefined) return;
  for (const s of SHAPES) {
    for (const epilogue of epilogues()) {
      const kernel = compileWasmMatmul(s, { shared: true, epilogue });
      for (const threads of [2, 3]) {
        const p = place(s, kernel.scratchBytes, threads);
        const size = s.batch * s.M * s.N;
        bindMatmul(kernel, p.memory, p.scratch, 1, pool)(p.c, p.a, p.b, p.bias);
        const want = p.memory.f32.slice(p.c / 4, p.c / 4 + size);
        p.memory.f32.fill(NaN, p.c / 4, p.c / 4 + size);
        const jobs = pool.jobs;
        bindMatmul(kernel, p.memory, p.scratch, threads, pool)(p.c, p.a, p.b, p.bias);
        if (kernel.panels > 1) assert.is(pool.jobs, jobs + 1, 'went to the pool');
        const got = p.memory.f32.subarray(p.c / 4, p.c / 4 + size);
        for (let i = 0; i < size; i++) {
          if (!Object.is(got[i], want[i])) assert.unreachable(`${kernel.name} on ${threads} threads: element ${i} is ${got[i]}, want ${want[i]}`);
        }
      }
    }
  }
});

test('thousands of back-to-back small jobs, stolen or not, each compute every column once', () => {
  if (pool === undefined) return;
  // Small products end before a sleeping worker wakes, so the calling thread steals some ranges
  // and workers wake late into later jobs: the races the claim words are there for. The
  // accumulating kernel (C += A·B) would count a range run twice.
  const s: MatmulShape = { batch: 1, M: 4, K: 8, N: 40, transposeA: false, transposeB: false };
  const kernel = compileWasmMatmul(s, { shared: true, accumulate: true, tile: { rows: 2, vecs: 2 } });
  const p = place(s, kernel.scratchBytes, 3);
  const once = new Float32Array(s.M * s.N);
  p.memory.f32.fill(0, p.c / 4, p.c / 4 + s.M * s.N);
  kernel.instantiate(p.memory.wasm, p.scratch)(p.c, p.a, p.b);
  once.set(p.memory.f32.subarray(p.c / 4, p.c / 4 + s.M * s.N));
  const runs = [bindMatmul(kernel, p.memory, p.scratch, 2, pool), bindMatmul(kernel, p.memory, p.scratch, 3, pool)];
  const jobs = 3000;
  p.memory.f32.fill(0, p.c / 4, p.c / 4 + s.M * s.N);
  for (let j = 0; j < jobs; j++) runs[j % 2](p.c, p.a, p.b);
  const got = p.memory.f32.subarray(p.c / 4, p.c / 4 + s.M * s.N);
  // Sums of equal small integers-times-once are exact enough to compare within float rounding.
  for (let i = 0; i < got.length; i++) {
    if (Math.abs(got[i] - jobs * once[i]) > 1e-3 * Math.max(1, Math.abs(jobs * once[i]))) assert.unreachable(`element ${i}: ${got[i]}, want about ${jobs * once[i]}`);
  }
});

test('workers see buffers placed after the memory grew', () => {
  if (pool === undefined) return;
  const s = SHAPES[1];
  const kernel = compileWasmMatmul(s, { shared: true });
  const memory = new Memory(1 << 16, true);
  const scratch = memory.alloc(kernel.scratchBytes * 2);
  const run = bindMatmul(kernel, memory, scratch, 2, pool);
  const before = memory.bytes;
  memory.alloc(before);
  const p = place(s, kernel.scratchBytes, 1, memory);
  assert.ok(p.c >= before && p.a >= before, 'the buffers lie in the grown part');
  run(p.c, p.a, p.b);
  const got = memory.f32.slice(p.c / 4, p.c / 4 + s.M * s.N);
  kernel.instantiate(memory.wasm, p.scratch)(p.c, p.a, p.b);
  assert.equal(got, memory.f32.slice(p.c / 4, p.c / 4 + s.M * s.N));
});

test('a trap in a range is reported as an error, and the pool keeps working', () => {
  if (pool === undefined) return;
  // Large, so the worker is awake and claims its range long before the calling thread is done.
  const s = SHAPES[0];
  const kernel = compileWasmMatmul(s, { shared: true });
  const p = place(s, kernel.scratchBytes, 2);
  const run = bindMatmul(kernel, p.memory, p.scratch, 2, pool);
  // C ends 8 bytes past the memory: only the last panel's last row, a worker's, is out of bounds
  // (or the calling thread's, when it ran that range because the worker was not awake yet).
  const c = p.memory.bytes - s.M * s.N * 4 + 8;
  assert.throws(() => run(c, p.a, p.b), /out of bounds/);
  run(p.c, p.a, p.b);
});

test('ranges no worker claims run on the calling thread (a dead worker cannot hang a job)', async () => {
  if (!usable) return;
  let warned: (message: string) => void = () => {};
  const warning = new Promise<string>((resolve) => { warned = resolve; });
  // This worker's script is empty: it starts, ends, and never claims a range.
  const dead = new ThreadPool(2, { entry: new URL('data:text/javascript,'), warn: (m) => warned(m) });
  const s = SHAPES[1];
  const kernel = compileWasmMatmul(s, { shared: true });
  const p = place(s, kernel.scratchBytes, 2);
  const run = bindMatmul(kernel, p.memory, p.scratch, 2, dead);
  run(p.c, p.a, p.b);
  const got = p.memory.f32.slice(p.c / 4, p.c / 4 + s.M * s.N);
  kernel.instantiate(p.memory.wasm, p.scratch)(p.c, p.a, p.b);
  assert.equal(got, p.memory.f32.slice(p.c / 4, p.c / 4 + s.M * s.N));
  // The pool's worker is unref'd: a timer keeps this process alive until the warning comes.
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => { timer = setTimeout(() => resolve('no warning within 5 s'), 5000); });
  assert.match(await Promise.race([warning, timeout]), /worker thread exited/);
  clearTimeout(timer);
  run(p.c, p.a, p.b);
  assert.is(dead.jobs, 2);
  assert.equal(p.memory.f32.slice(p.c / 4, p.c / 4 + s.M * s.N), got);
});

test('only large products go parallel, and KERAS_JIT_THREADS=1 disables the pool', () => {
  if (!usable) return;
  const saved = process.env.KERAS_JIT_THREADS;
  try {
    process.env.KERAS_JIT_THREADS = '2';
    const big = compileWasmMatmul(SHAPES[0], { shared: true });
    const small = compileWasmMatmul(SHAPES[1], { shared: true });
    assert.is(matmulThreads(big), 2);
    assert.is(matmulThreads(small), 1);
    assert.is(matmulThreads(compileWasmMatmul(SHAPES[0], { shared: false })), 1, 'a private memory cannot be shared with workers');
    process.env.KERAS_JIT_THREADS = '1';
    assert.is(defaultPool(), undefined);
    assert.is(matmulThreads(big), 1);
    process.env.KERAS_JIT_THREADS = 'lots';
    assert.throws(() => defaultPool(), /KERAS_JIT_THREADS/);
  } finally {
    if (saved === undefined) delete process.env.KERAS_JIT_THREADS;
    else process.env.KERAS_JIT_THREADS = saved;
  }
});

/** One SGD step of a dense relu layer and a softmax head, sized so both big matmuls go parallel. */
function trainGraph(session: Session) {
  const r = rng(5);
  const [n, d, hidden, classes] = [64, 400, 1000, 10];
  const x = B.input('x', [n, d]), y = B.input('y', [n, classes]);
  const w1 = makeVariable(session, 'w1', [d, hidden], r, -0.05, 0.05), b1 = makeVariable(session, 'b1', [hidden], r, -0.1, 0.1);
  const w2 = makeVariable(session, 'w2', [hidden, classes], r, -0.05, 0.05);
  const h = B.maximum(B.add(B.matmul(x, w1.node), b1.node), 0);
  const z = B.matmul(h, w2.node);
  const shifted = B.subtract(z, B.max(z, 1, true));
  const logp = B.subtract(shifted, B.log(B.sum(B.exp(shifted), 1, true)));
  const loss = B.divide(B.negative(B.sum(B.multiply(y, logp))), n);
  const params = [w1, b1, w2];
  const grads = grad(loss, params.map((p) => p.node));
  const graph: Graph = { outputs: [loss], updates: params.map((p, i) => ({ variable: p.node, value: B.subtract(p.node, B.multiply(grads[i], 0.1)) })) };
  const yData = new Float32Array(n * classes);
  for (let i = 0; i < n; i++) yData[i * classes + (i % classes)] = 1;
  return { graph, feeds: [{ node: x, data: randomData(n * d, r) }, { node: y, data: yData }] };
}

test('a training step on two threads matches the interpreter', () => {
  if (!usable) return;
  const saved = process.env.KERAS_JIT_THREADS;
  process.env.KERAS_JIT_THREADS = '2';
  try {
    const session = new Session({ seed: 3 });
    const { graph, feeds } = trainGraph(session);
    const jobs = defaultPool()?.jobs ?? 0;
    const c = compareCompiled(graph, feeds, session);
    if (wasmProducts()) assert.ok((defaultPool()?.jobs ?? 0) > jobs, 'some matmul ran on the pool');
    assert.ok(c.maxRelError <= 1e-5, `max rel error ${c.maxRelError} at ${c.worst}`);
  } finally {
    if (saved === undefined) delete process.env.KERAS_JIT_THREADS;
    else process.env.KERAS_JIT_THREADS = saved;
  }
});

/**
 * Convolutions above PARALLEL_MIN_FLOPS, one per op and path: the bias+relu epilogue in the
 * kernel, the relu gradient's mask as a SIMD pass over the raw product, a tanh as the JS pass,
 * the strided input gradient's scatter (split by column panels), and an SGD update fused into
 * the filter gradient (split by chunks of patches, each thread summing into its own partial dw).
 * conv2d and the stride-1 input gradient here are Winograd kernels, split by chunks of tiles.
 */
test('large convolutions on two threads match the interpreter and run on the pool', () => {
  if (!usable) return;
  const saved = process.env.KERAS_JIT_THREADS;
  process.env.KERAS_JIT_THREADS = '2';
  try {
    const size = (shape: readonly number[]) => shape.reduce((p, q) => p * q, 1);
    const cases: { what: string; build: (s: Session, r: () => number) => { graph: Graph; inputs: Node<'input'>[] } }[] = [
      { what: 'conv2d, bias+relu in the kernel', build: (s, r) => {
        const x = B.input('x', [4, 20, 20, 32]);
        const w = makeVariable(s, 'w', [3, 3, 32, 64], r), b = makeVariable(s, 'b', [64], r);
        return { graph: { outputs: [B.maximum(B.add(B.conv2d(x, w.node, [1, 1], [1, 1, 1, 1]), b.node), 0)], updates: [] }, inputs: [x] };
      } },
      { what: 'conv2d, tanh epilogue (JS pass)', build: (s, r) => {
        const x = B.input('x', [4, 22, 22, 32]);
        const w = makeVariable(s, 'w', [3, 3, 32, 64], r), b = makeVariable(s, 'b', [64], r);
        return { graph: { outputs: [B.subtract(B.multiply(B.conv2d(x, w.node, [1, 1], [0, 0, 0, 0]), 0.5), B.tanh(b.node))], updates: [] }, inputs: [x] };
      } },
      { what: 'conv2dBackpropInput, relu mask (SIMD pass)', build: (s, r) => {
        const dy = B.input('dy', [4, 20, 20, 64]), mask = B.input('mask', [4, 20, 20, 32]);
        const w = makeVariable(s, 'w', [3, 3, 32, 64], r);
        const dx = B.where(B.greater(mask, 0), B.conv2dBackpropInput(dy, w.node, [20, 20], [1, 1], [1, 1, 1, 1]), 0);
        return { graph: { outputs: [dx], updates: [] }, inputs: [dy, mask] };
      } },
      { what: 'conv2dBackpropInput, stride 2 (scatter)', build: (s, r) => {
        const dy = B.input('dy', [8, 16, 16, 64]);
        const w = makeVariable(s, 'w', [3, 3, 32, 64], r);
        return { graph: { outputs: [B.conv2dBackpropInput(dy, w.node, [32, 32], [2, 2], [0, 1, 0, 1])], updates: [] }, inputs: [dy] };
      } },
      { what: 'conv2dBackpropFilter', build: () => {
        const x = B.input('x', [4, 20, 20, 32]), dy = B.input('dy', [4, 20, 20, 64]);
        return { graph: { outputs: [B.conv2dBackpropFilter(x, dy, [3, 3], [1, 1], [1, 1, 1, 1])], updates: [] }, inputs: [x, dy] };
      } },
      { what: 'conv2dBackpropFilter with an in-place SGD update', build: (s, r) => {
        const x = B.input('x', [4, 22, 22, 32]), dy = B.input('dy', [4, 20, 20, 64]);
        const w = makeVariable(s, 'w', [3, 3, 32, 64], r);
        const dw = B.conv2dBackpropFilter(x, dy, [3, 3], [1, 1], [0, 0, 0, 0]);
        return { graph: { outputs: [], updates: [{ variable: w.node, value: B.subtract(w.node, B.multiply(dw, 0.1)) }] }, inputs: [x, dy] };
      } },
    ];
    let seed = 20;
    for (const c of cases) {
      const r = rng(seed);
      const session = new Session({ seed: seed++ });
      const { graph, inputs } = c.build(session, r);
      const feeds = inputs.map((n) => ({ node: n, data: randomData(size(n.shape as number[]), r) }));
      const jobs = defaultPool()?.jobs ?? 0;
      const cmp = compareCompiled(graph, feeds, session);
      if (wasmProducts()) assert.ok((defaultPool()?.jobs ?? 0) > jobs, `${c.what}: ran on the pool`);
      assert.ok(cmp.maxRelError <= 1e-5, `${c.what}: max rel error ${cmp.maxRelError} at ${cmp.worst}`);
    }
  } finally {
    if (saved === undefined) delete process.env.KERAS_JIT_THREADS;
    else process.env.KERAS_JIT_THREADS = saved;
  }
});

test('only large convolutions go parallel, and KERAS_JIT_THREADS=1 keeps them on one thread', () => {
  if (!usable) return;
  const saved = process.env.KERAS_JIT_THREADS;
  try {
    process.env.KERAS_JIT_THREADS = '2';
    const big = compileWasmConv(B.conv2d(B.input('x', [4, 20, 20, 32]), B.input('w', [3, 3, 32, 64]), [1, 1], [1, 1, 1, 1]), { shared: true });
    const small = compileWasmConv(B.conv2d(B.input('x', [2, 8, 8, 3]), B.input('w', [3, 3, 3, 8]), [1, 1], [1, 1, 1, 1]), { shared: true });
    assert.ok(big.flops >= PARALLEL_MIN_FLOPS && big.panels > 1, `${big.name}: ${big.flops} FLOPs, ${big.panels} panels`);
    assert.is(parallelThreads(big.flops, big.panels, big.shared), 2);
    assert.is(parallelThreads(small.flops, small.panels, small.shared), 1);
    assert.is(big.scratchBytesFor(1), big.scratchBytes, 'one thread: the single-threaded layout');
    assert.ok(big.scratchBytesFor(2) > big.scratchBytes, 'a B panel per thread');
    process.env.KERAS_JIT_THREADS = '1';
    assert.is(parallelThreads(big.flops, big.panels, big.shared), 1);
  } finally {
    if (saved === undefined) delete process.env.KERAS_JIT_THREADS;
    else process.env.KERAS_JIT_THREADS = saved;
  }
});

/** Runs a script in a child node with `env`; resolves with its output and ms from its last line to its exit. */
function child(script: string, env: Record<string, string>): Promise<{ code: number | null; out: string; lingerMs: number }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    let doneAt = 0;
    proc.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('done')) doneAt ||= performance.now();
    });
    proc.on('error', reject);
    proc.on('exit', (code) => resolve({ code, out, lingerMs: doneAt === 0 ? Infinity : performance.now() - doneAt }));
  });
}

const INDEX = fileURLToPath(new URL('../src/index.js', import.meta.url));
const POOL = fileURLToPath(new URL('../src/runtime/threads/default-pool.js', import.meta.url));

/** Trains one step of an MLP whose first layer is big enough for the pool, then reports the pool's jobs. */
const TRAIN_AND_EXIT = `
  const { backend, layers, optimizers, Sequential, Session, tensor } = await import(${JSON.stringify(INDEX)});
  const { defaultPool } = await import(${JSON.stringify(POOL)});
  backend.setSession(new Session({ seed: 1 }));
  const model = new Sequential([new layers.Dense(512, { activation: 'relu', inputShape: [784] }), new layers.Dense(10, { activation: 'softmax' })]);
  model.compile({ optimizer: new optimizers.SGD(), loss: 'categorical_crossentropy' });
  const x = tensor(new Float32Array(128 * 784).fill(0.5), [128, 784]), y = tensor(new Float32Array(128 * 10).fill(0.1), [128, 10]);
  await model.fit(x, y, { batchSize: 128, epochs: 1, verbose: 0 });
  console.log(\`jobs \${defaultPool()?.jobs ?? 0} done\`);
`;

test('a process that trained on the pool exits promptly when its code is done', async () => {
  if (!usable) return;
  const r = await child(TRAIN_AND_EXIT, { KERAS_JIT_THREADS: '2' });
  assert.is(r.code, 0, r.out);
  if (wasmProducts()) assert.ok(Number(/jobs (\d+)/.exec(r.out)?.[1]) > 0, `the pool ran jobs: ${r.out}`);
  assert.ok(r.lingerMs < 2000, `exited ${r.lingerMs.toFixed(0)} ms after its last line`);
});

test('with KERAS_JIT_THREADS=1 a process trains without a pool', async () => {
  if (!usable) return;
  const r = await child(TRAIN_AND_EXIT, { KERAS_JIT_THREADS: '1' });
  assert.is(r.code, 0, r.out);
  assert.match(r.out, /jobs 0 done/);
});

test.after(async () => {
  await pool?.terminate();
});

test.run();
