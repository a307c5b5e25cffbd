/**
 * The 4 GiB WebAssembly memory limit: a model or program that cannot fit fails before anything
 * is allocated or trained, with the bytes needed and the limit, not a raw Memory.grow() error.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Input, Sequential, backend, layers } from '../src/index.js';
import { Memory, MemoryLimitError, MEMORY_LIMIT_BYTES } from '../src/runtime/memory.js';
import { Session } from '../src/runtime/session.js';

test('a Dense layer whose weights alone exceed 4 GiB fails at build with the bytes needed and the limit', () => {
  backend.setSession(new Session({ seed: 1 }));
  let error: unknown;
  try {
    new Sequential([Input({ shape: [70000] }), new layers.Dense(20000)]);
  } catch (e) {
    error = e;
  }
  assert.instance(error, Error);
  const message = (error as Error).message;
  assert.match(message, /needs 5600000000 bytes \(5\.22 GiB\)/);
  assert.match(message, new RegExp(`limited to ${MEMORY_LIMIT_BYTES} bytes \\(4\\.00 GiB\\)`));
  assert.match(message, /variable 'dense(_\d+)?\/kernel' of shape \(70000, 20000\)/);
  assert.not.match(message, /Memory\.grow/i);
});

test('an allocation past the limit throws MemoryLimitError and leaves the memory as it was', () => {
  const memory = new Memory();
  const before = memory.bytes;
  const small = memory.alloc(1000);
  assert.throws(() => memory.alloc(MEMORY_LIMIT_BYTES), (e: unknown) => e instanceof MemoryLimitError && e.neededBytes > MEMORY_LIMIT_BYTES && e.limitBytes === MEMORY_LIMIT_BYTES);
  assert.is(memory.bytes, before);
  // Still usable: the failed request took nothing.
  assert.is(memory.alloc(1000), small + 1024);
});

test.run();
