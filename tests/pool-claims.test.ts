/**
 * The worker pool's claim protocol under back-to-back jobs of different chunk counts, the pattern
 * of a training step (a two-panel matmul, then an eight-chunk pass, ...). A worker still in its
 * claim loop when the next job is being written must never claim a chunk of the finished job
 * against the new job's chunk count: that runs a range twice and counts a chunk the new job
 * never posted. Every job here increments each element of its ranges by one, so after all jobs
 * every element's count must equal the number of jobs that covered it. Before the fix this
 * failed (or hung) in most runs; the pool now also fails loudly when it counts more chunks done
 * than it posted, rather than waiting forever.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { WebAssemblyApi as WA, type WasmMemory } from '../src/codegen/wasm/engine.js';
import { ThreadPool } from '../src/runtime/threads/pool.js';

/**
 * `count(r0, r1)`: i32 element i += 1 for i in [r0, r1), over an imported shared memory of one
 * page. Written out byte by byte so the test depends on nothing but the pool.
 */
const COUNT_MODULE = Uint8Array.from([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x06, 0x01, 0x60, 0x02, 0x7f, 0x7f, 0x00, // type 0: (i32, i32) -> ()
  0x02, 0x10, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x03, 0x01, 0x01, // import env.memory, shared, 1..1 pages
  0x03, 0x02, 0x01, 0x00, // function 0 of type 0
  0x07, 0x09, 0x01, 0x05, 0x63, 0x6f, 0x75, 0x6e, 0x74, 0x00, 0x00, // export "count"
  0x0a, 0x2d, 0x01, 0x2b, 0x00,
  0x02, 0x40, 0x03, 0x40, // block, loop
  0x20, 0x00, 0x20, 0x01, 0x4f, 0x0d, 0x01, // if r0 >= r1, leave
  0x20, 0x00, 0x41, 0x02, 0x74, // address r0 * 4
  0x20, 0x00, 0x41, 0x02, 0x74, 0x28, 0x02, 0x00, 0x41, 0x01, 0x6a, 0x36, 0x02, 0x00, // mem[r0] += 1
  0x20, 0x00, 0x41, 0x01, 0x6a, 0x21, 0x00, // r0 += 1
  0x0c, 0x00, 0x0b, 0x0b, 0x0b,
]);

const ELEMENTS = 4096;

/** `n` elements split into `chunks` nearly equal ranges. */
function ranges(n: number, chunks: number): [number, number][] {
  return Array.from({ length: chunks }, (_, i) => [Math.floor((i * n) / chunks), Math.floor(((i + 1) * n) / chunks)]);
}

test('back-to-back jobs of 1, 2, 3 and 8 chunks: every range runs exactly once', async () => {
  const memory: WasmMemory = new WA.Memory({ initial: 1, maximum: 1, shared: true });
  const module = new WA.Module(COUNT_MODULE);
  const count = new WA.Instance(module, { env: { memory } }).exports.count as (r0: number, r1: number) => void;
  const pool = new ThreadPool(4);
  try {
    const id = pool.register(module, 'count', memory, [0, 0, 0, 0], count);
    // Jobs written in advance and run back to back, on more threads than this machine may have
    // cores: a worker preempted in its claim loop while the next job is written is the race.
    const pattern = [2, 8, 1, 3, 8, 2];
    const jobs = Array.from({ length: 60 }, (_, j) => ranges(16 + ((j * 37) % 240), pattern[j % pattern.length]));
    const expected = new Int32Array(ELEMENTS);
    const rounds = 2000;
    for (const job of jobs) for (let i = 0; i < job[job.length - 1][1]; i++) expected[i] += rounds;
    const own = count as (...args: number[]) => void;
    for (let r = 0; r < rounds; r++) for (const job of jobs) pool.run(id, [], job, own, 4);
    const counts = new Int32Array(memory.buffer, 0, ELEMENTS);
    let wrong = 0, first = -1;
    for (let i = 0; i < ELEMENTS; i++) if (counts[i] !== expected[i]) { wrong++; if (first < 0) first = i; }
    assert.is(wrong, 0, `${wrong} elements counted wrong, the first at ${first}: ${first < 0 ? '' : `${counts[first]} for ${expected[first]}`}`);
  } finally {
    await pool.terminate();
  }
});

test.run();
