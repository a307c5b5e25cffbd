/**
 * memory.copy as the scan's byte copy (codegen/wasm/memory-copy.ts): the same bytes as
 * copyWithin for disjoint and overlapping ranges in both directions, on shared and unshared
 * memories, and after the memory grows.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { memoryCopy } from '../src/codegen/wasm/memory-copy.js';
import { Memory } from '../src/runtime/memory.js';
import { rng } from './support/gradcheck.js';

const CASES: readonly [to: number, from: number, bytes: number][] = [
  [4096, 0, 1000], [0, 4096, 1000], // disjoint
  [10, 0, 3000], [0, 10, 3000], // overlapping, forward and backward
  [7, 3, 1], [100, 100, 50], [5, 9, 0],
];

for (const shared of [true, false]) {
  test(`memory.copy equals copyWithin, overlapping or not (${shared ? 'shared' : 'own'} memory)`, () => {
    const memory = new Memory(1 << 16, shared);
    const r = rng(shared ? 1 : 2);
    const copy = memoryCopy(memory.wasm);
    for (const [to, from, bytes] of CASES) {
      for (let i = 0; i < 8192; i++) memory.u8[i] = Math.floor(r() * 256);
      const expected = memory.u8.slice(0, 8192);
      expected.copyWithin(to, from, from + bytes);
      copy(to, from, bytes);
      assert.equal(memory.u8.slice(0, 8192), expected, `to ${to} from ${from} bytes ${bytes}`);
    }
    // Growing the memory keeps the function working over the whole of it.
    const before = memory.bytes;
    const far = memory.alloc(4 * before);
    memory.u8.fill(42, far, far + 64);
    copy(0, far, 64);
    assert.ok(memory.u8.subarray(0, 64).every((b) => b === 42));
  });
}

test.run();
