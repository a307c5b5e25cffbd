/**
 * What issue 10 asks of a compiled recurrent training step, checked on the dump of what fit() runs
 * for Input(T x 32) -> LSTM(128) -> Dense(1) at batch 32, for T = 50, 100 and 200:
 * - the program is the same list of kernels whatever T is (the step's kernels are generated once
 *   and the loop runs them T times), with backpropagation through time inside it (a reverse loop);
 * - the input projection of all time steps is one matmul of (T * batch) rows;
 * - a forward step is the recurrent matmul and one fused gate kernel;
 * - the arena grows linearly with T and nothing else grows (its second difference is zero).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { backend, layers, Sequential, Session } from '../src/index.js';

const BATCH = 32, FEATURES = 32, UNITS = 128;

interface StepDump { readonly kernels: readonly string[]; readonly arenaBytes: number }

function trainStep(steps: number): StepDump {
  backend.setSession(new Session({ seed: 1 }));
  const model = new Sequential([new layers.LSTM(UNITS, { inputShape: [steps, FEATURES] }), new layers.Dense(1)]);
  model.compile({ optimizer: 'adam', loss: 'mse' });
  const dump = model.dump({ graph: 'train', stage: 'fused', batchSize: BATCH });
  backend.getSession().clear();
  const arena = /^arena: (\d+) bytes$/m.exec(dump);
  assert.ok(arena !== null, dump);
  return { kernels: [...dump.matchAll(/^kernel \d+ (\S+) \(\w+\)$/gm)].map((m) => m[1]), arenaBytes: Number(arena[1]) };
}

const LENGTHS = [50, 100, 200] as const;
const dumps = LENGTHS.map(trainStep);

/** A kernel name's text between its numbers, and its numbers. */
function parts(name: string): { skeleton: string; numbers: number[] } {
  return { skeleton: name.replace(/\d+/g, '#'), numbers: [...name.matchAll(/\d+/g)].map((m) => Number(m[0])) };
}

test('LSTM training step: the same kernels for every sequence length, a forward and a reverse loop', () => {
  const [short, middle, long] = dumps.map((d) => d.kernels.map(parts));
  assert.is(middle.length, short.length, `T=100 and T=50 compile different kernel counts`);
  assert.is(long.length, short.length, `T=200 and T=50 compile different kernel counts`);
  for (const [i, s] of short.entries()) {
    const m = middle[i], l = long[i];
    const names = `${dumps[0].kernels[i]}, ${dumps[1].kernels[i]}, ${dumps[2].kernels[i]}`;
    assert.ok(s.skeleton === m.skeleton && s.skeleton === l.skeleton, `kernel ${i} differs in kind: ${names}`);
    // Every size in a kernel's name is a + b * T (the same kernel, over longer stacks).
    for (const [j, n] of s.numbers.entries()) assert.is(l.numbers[j] - m.numbers[j], 2 * (m.numbers[j] - n), `kernel ${i}: ${names}`);
  }
  for (const [i, d] of dumps.entries()) {
    const loops = d.kernels.filter((k) => k.startsWith(`scan${LENGTHS[i]}_`));
    assert.is(loops.length, 2, `T=${LENGTHS[i]}: ${d.kernels.join(' ')}`);
  }
});

test('LSTM training step: the input projection of every step is one matmul, a forward step two kernels', () => {
  for (const [i, d] of dumps.entries()) {
    const T = LENGTHS[i];
    const list = d.kernels.join(' ');
    const projection = d.kernels.filter((k) => k.startsWith(`matmul_${T * BATCH}x${FEATURES}x${4 * UNITS}`));
    assert.is(projection.length, 1, list);
    // The forward loop is the first: its body is the recurrent matmul and the fused gates.
    const forward = d.kernels.find((k) => k.startsWith(`scan${T}_`));
    assert.is(forward, `scan${T}_2k`, list);
  }
});

test('LSTM training step: the arena grows linearly with the sequence length and nothing else grows', () => {
  const [a, b, c] = dumps.map((d) => d.arenaBytes);
  // T = 50, 100, 200: equal growth per step from 50 to 100 and from 100 to 200.
  assert.is((c - b) / 100, (b - a) / 50, `arena bytes ${a}, ${b}, ${c}`);
  assert.ok(b > a, `arena bytes ${a}, ${b}, ${c}`);
});

test.run();
