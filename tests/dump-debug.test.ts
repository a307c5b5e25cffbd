/**
 * KERAS_JIT_DEBUG / backend.setDebug: each level prints what it promises on stderr, and level 0
 * prints nothing at all.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { backend, tensor } from '../src/index.js';
import { smallModel } from './support/dump-model.js';

const x = tensor(new Float32Array([0.1, 0.2, 0.3, -0.4, 0.5, -0.6, 0.7, 0.8, -0.9, 1, -1.1, 1.2]), [4, 3]);
const y = tensor(new Float32Array([1, 0, 0, 1, 1, 0, 0, 1]), [4, 2]);

/** Trains, evaluates, predicts and dumps a fresh model at a debug level; returns what went to stderr. */
async function stderrAt(level: number | undefined, epochs = 1): Promise<string> {
  const chunks: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = ((chunk: string | Uint8Array): boolean => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  }) as typeof process.stderr.write;
  backend.setDebug(level);
  try {
    const model = smallModel({ dropout: true });
    await model.fit(x, y, { epochs, batchSize: 4, verbose: 0 });
    model.evaluate(x, y, { batchSize: 4, verbose: 0 });
    model.predict(x, { batchSize: 4, verbose: 0 });
    model.dump({ stage: 'code', batchSize: 2 });
  } finally {
    backend.setDebug(undefined);
    process.stderr.write = write;
  }
  return chunks.join('');
}

const COMPILED = /^\[keras-jit\] compiled (train|evaluate|predict) batch (\d+) (\[[\d,]*\] ?)+: (\d+) kernels, arena (\d+) bytes \([\d.]+ KiB\), [\d.]+ ms$/;

test('level 0 prints nothing', async () => {
  assert.is(await stderrAt(0), '');
});

test('KERAS_JIT_DEBUG unset or 0 prints nothing; setDebug overrides the variable', async () => {
  const saved = process.env.KERAS_JIT_DEBUG;
  try {
    delete process.env.KERAS_JIT_DEBUG;
    assert.is(await stderrAt(undefined), '');
    process.env.KERAS_JIT_DEBUG = '1';
    assert.match(await stderrAt(undefined), /\[keras-jit\] compiled train batch 4 /);
    assert.is(await stderrAt(0), '', 'setDebug(0) silences KERAS_JIT_DEBUG=1');
  } finally {
    if (saved === undefined) delete process.env.KERAS_JIT_DEBUG;
    else process.env.KERAS_JIT_DEBUG = saved;
  }
});

test('level 1: one line per compiled program (graph, batch size, kernels, arena bytes, compile ms)', async () => {
  const lines = (await stderrAt(1)).trimEnd().split('\n');
  for (const line of lines) assert.match(line, COMPILED);
  // train and evaluate at batch 4, predict at batch 4, the dumped train program at batch 2.
  assert.equal(lines.map((l) => COMPILED.exec(l)!.slice(1, 3).join(' ')), ['train 4', 'evaluate 4', 'predict 4', 'train 2']);
  for (const l of lines) assert.ok(Number(COMPILED.exec(l)![4]) > 0);
});

test('level 2: a per-kernel profile after each epoch, slowest first', async () => {
  const text = await stderrAt(2, 2);
  assert.not.match(text, /traced IR/);
  const tables = text.split(/(?=\[keras-jit\] )/).filter((s) => s.startsWith('[keras-jit] profile'));
  assert.equal(tables.map((t) => t.split(':')[0]), ['[keras-jit] profile epoch 1/2', '[keras-jit] profile epoch 2/2']);
  for (const table of tables) {
    const [title, header, ...rows] = table.trimEnd().split('\n');
    assert.match(title, /^\[keras-jit\] profile epoch \d\/2: train batch 4: 1 steps, [\d.]+ ms\/step in kernels$/);
    assert.match(header, /^ {2}kernel +calls +total ms +share +rate$/);
    assert.ok(rows.length > 5);
    let previous = Infinity;
    let share = 0;
    for (const row of rows) {
      const m = /^ {2}(\w+) +(\d+) +([\d.]+) +([\d.]+)% +([\d.]+) (GFLOP\/s|GB\/s)$/.exec(row);
      assert.ok(m, `unexpected row: ${row}`);
      const [, name, calls, ms, pct, , unit] = m;
      assert.ok(Number(ms) <= previous, 'rows are slowest first');
      previous = Number(ms);
      share += Number(pct);
      assert.ok(Number(calls) >= 1);
      assert.is(unit, /^(matmul|gemv)_/.test(name) ? 'GFLOP/s' : 'GB/s', `${name}'s rate`);
    }
    assert.ok(Math.abs(share - 100) < 2, `shares add up to ${share}%`);
  }
});

test('levels 0 and 1 time nothing: no profile is recorded', async () => {
  await stderrAt(1);
  assert.is(backend.getSession().takeProfileReport('after level 1'), '');
});

test('level 3: the IR after each pass, but no kernel source', async () => {
  const text = await stderrAt(3);
  for (const title of ['traced IR (with gradients and updates)', 'after the graph passes (constant folding, identities, no-op updates dropped)', 'after fusion and memory planning']) {
    assert.ok(text.includes(`[keras-jit] train ${title}:\n`), title);
  }
  assert.match(text, /\n {2}[a-z]+:f32\[4,4\] = randomUniform\[stream=0\] /);
  // The JS tier names the fused epilogue's ops; the wasm tier names its tile and native epilogue
  // (a GEMV at this batch of 4 rows).
  assert.match(text, /\nkernel 0 (matmul_4x3x4_(add(_maximum)?|\d+x\d+_bias(_relu)?)|gemv_4x3x4_bias(_relu)?) \(contraction\)\n/);
  assert.not.match(text, /kernel source/);
  assert.not.match(text, /function matmul_/);
});

test('level 4: also the source of every kernel', async () => {
  const text = await stderrAt(4);
  assert.ok(text.includes('[keras-jit] train kernel source:\n'));
  assert.match(text, /\nfunction matmul_4x3x4_add(_maximum)?\(F, I, U, o0, o1, o2, o3\) \{\n|\(func \$(matmul_4x3x4_\d+x\d+|gemv_4x3x4)_bias(_relu)? /);
  assert.ok(text.includes('[keras-jit] train after fusion and memory planning:\n'), 'level 4 keeps level 3');
});

test('setDebug checks its argument', () => {
  assert.throws(() => backend.setDebug(-1), /setDebug: expected a non-negative integer or undefined, got -1/);
  assert.throws(() => backend.setDebug(1.5), /non-negative integer/);
  backend.setDebug(3);
  assert.is(backend.getDebug(), 3);
  backend.setDebug(undefined);
});

test.run();
