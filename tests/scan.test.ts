/**
 * The scan primitive: forward against a plain float64 loop and the interpreter, compiled against
 * the interpreter (forward and its gradient program), gradients by finite differences, the
 * reverse direction, and its errors.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { grad } from '../src/ir/autodiff.js';
import * as B from '../src/ir/build.js';
import { fuse } from '../src/ir/fusion.js';
import { topoOrder } from '../src/ir/graph.js';
import type { Node } from '../src/ir/node.js';
import { scan } from '../src/ir/scan.js';
import { Session } from '../src/runtime/session.js';
import { compareCompiled, randomData } from './support/compiled.js';
import { evaluate, gen, gradCheck, rng, tensor } from './support/gradcheck.js';

const T = 5, BATCH = 2, U = 3;

/** h' = tanh(x_t + h W), y_t = 2 h' + x_t. */
function rnn(h0: Node, xs: Node, w: Node, reverse = false) {
  return scan(([h], [x], [k]) => {
    const h1 = B.tanh(B.add(x, B.matmul(h, k)));
    return { carries: [h1], ys: [B.add(B.multiply(h1, 2), x)] };
  }, [h0], [xs], [w], { reverse });
}

/** The same recurrence as plain loops in float64: the oracle the interpreter's scan is checked against. */
function rnnByHand(h0: Float64Array, xs: Float64Array, w: Float64Array, reverse: boolean): { h: Float64Array; ys: Float64Array } {
  let h = Float64Array.from(h0);
  const ys = new Float64Array(T * BATCH * U);
  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    const next = new Float64Array(BATCH * U);
    for (let b = 0; b < BATCH; b++) for (let j = 0; j < U; j++) {
      let z = xs[(t * BATCH + b) * U + j];
      for (let i = 0; i < U; i++) z += h[b * U + i] * w[i * U + j];
      next[b * U + j] = Math.tanh(z);
      ys[(t * BATCH + b) * U + j] = 2 * next[b * U + j] + xs[(t * BATCH + b) * U + j];
    }
    h = next;
  }
  return { h, ys };
}

for (const reverse of [false, true]) {
  const dir = reverse ? 'reverse' : 'forward';

  test(`scan ${dir}: the interpreter matches a hand-written loop`, () => {
    const r = rng(3);
    const data = { h: gen.uniform()(BATCH * U, r), x: gen.uniform()(T * BATCH * U, r), w: gen.uniform(-0.8, 0.8)(U * U, r) };
    const h0 = B.input('h0', [BATCH, U]), xs = B.input('xs', [T, BATCH, U]), w = B.input('w', [U, U]);
    const out = rnn(h0, xs, w, reverse);
    const [h, ys, saved] = evaluate([out.carries[0], out.ys[0], out.saved[0]], new Map([
      [h0, tensor([BATCH, U], data.h)], [xs, tensor([T, BATCH, U], data.x)], [w, tensor([U, U], data.w)],
    ]));
    const expected = rnnByHand(Float64Array.from(data.h), Float64Array.from(data.x), Float64Array.from(data.w), reverse);
    const worst = (a: Float64Array, b: Float64Array) => Math.max(...a.map((v, i) => Math.abs(v - b[i])));
    assert.ok(worst(h.data, expected.h) < 1e-12, `final carry differs by ${worst(h.data, expected.h)}`);
    assert.ok(worst(ys.data, expected.ys) < 1e-12, `stacked outputs differ by ${worst(ys.data, expected.ys)}`);
    // The carry entering the first step processed is the initial one.
    const first = reverse ? T - 1 : 0;
    assert.equal([...saved.data.slice(first * BATCH * U, (first + 1) * BATCH * U)], data.h);
  });

  test(`scan ${dir}: compiled forward matches the interpreter, the body compiled once`, () => {
    const session = new Session();
    const r = rng(5);
    const h0 = B.input('h0', [BATCH, U]), xs = B.input('xs', [T, BATCH, U]), w = B.input('w', [U, U]);
    const out = rnn(h0, xs, w, reverse);
    const result = compareCompiled({ outputs: [out.carries[0], out.ys[0]], updates: [] }, [
      { node: h0, data: randomData(BATCH * U, r) }, { node: xs, data: randomData(T * BATCH * U, r) }, { node: w, data: randomData(U * U, r, -0.8, 0.8) },
    ], session);
    assert.ok(result.maxRelError < 1e-5, `${result.worst}: ${result.maxRelError}`);
    // One call for the whole loop; its body is the matmul with tanh as epilogue, then the output.
    const loops = result.names.filter((n) => n.startsWith('scan'));
    assert.equal(loops, [`scan${T}_2k`]);
  });

  test(`scan ${dir}: gradients by finite differences`, () => {
    const report = gradCheck([{ shape: [BATCH, U] }, { shape: [T, BATCH, U] }, { shape: [U, U], gen: gen.uniform(-0.8, 0.8) }], (h0, xs, w) => {
      const out = rnn(h0, xs, w, reverse);
      return B.concatenate([B.reshape(out.carries[0], [-1]), B.reshape(out.ys[0], [-1])], 0);
    });
    assert.ok(report.checked === BATCH * U + T * BATCH * U + U * U, `checked ${report.checked}`);
  });

  test(`scan ${dir}: the compiled gradient program matches the interpreter`, () => {
    const session = new Session();
    const r = rng(9);
    const h0 = B.input('h0', [BATCH, U]), xs = B.input('xs', [T, BATCH, U]), w = B.input('w', [U, U]);
    const ct = B.input('ct', [T, BATCH, U]);
    const out = rnn(h0, xs, w, reverse);
    const loss = B.add(B.sum(B.multiply(out.ys[0], ct)), B.sum(B.multiply(out.carries[0], out.carries[0])));
    const grads = grad(loss, [h0, xs, w]);
    const result = compareCompiled({ outputs: grads, updates: [] }, [
      { node: h0, data: randomData(BATCH * U, r) }, { node: xs, data: randomData(T * BATCH * U, r) },
      { node: w, data: randomData(U * U, r, -0.8, 0.8) }, { node: ct, data: randomData(T * BATCH * U, r) },
    ], session);
    assert.ok(result.maxRelError < 1e-5, `${result.worst}: ${result.maxRelError}`);
    assert.equal(result.names.filter((n) => n.startsWith('scan')).length, 2, 'a forward and a reverse loop');
  });
}

test('scan: a bool sequence (a mask) is read per step and not differentiated', () => {
  const report = gradCheck([{ shape: [BATCH, U] }, { shape: [T, BATCH, U] }, { shape: [T, BATCH, 1], gen: gen.ints(0, 2) }], (h0, xs, keepF) => {
    const keep = B.greater(keepF, 0.5);
    const out = scan(([h], [x, k]) => {
      const h1 = B.where(B.broadcastTo(k, [BATCH, U]), B.tanh(B.add(x, h)), h);
      return { carries: [h1], ys: [h1] };
    }, [h0], [xs, keep]);
    return B.concatenate([B.reshape(out.carries[0], [-1]), B.reshape(out.ys[0], [-1])], 0);
  });
  assert.ok(report.checked > 0);
});

test('scan: a body that swaps its carries or passes one through keeps every step\'s values, compiled as interpreted', () => {
  const bodies = {
    // The new second carry is the old first one's buffer: copied in order, the first carry's new
    // value would overwrite it before the second is copied.
    swap: ([a, b]: readonly Node[], [x]: readonly Node[]) => ({ carries: [B.tanh(B.add(b, x)), a], ys: [B.add(a, b)] }),
    swapBack: ([a, b]: readonly Node[], [x]: readonly Node[]) => ({ carries: [b, B.tanh(B.add(a, x))], ys: [B.add(a, b)] }),
    // The first carry comes back unchanged, its parameter's own buffer.
    through: ([a, b]: readonly Node[], [x]: readonly Node[]) => ({ carries: [a, B.add(B.multiply(b, 0.5), B.multiply(a, x))], ys: [B.subtract(b, a)] }),
  };
  for (const [what, body] of Object.entries(bodies)) {
    for (const reverse of [false, true]) {
      const r = rng(11);
      const a0 = B.input('a0', [BATCH, U]), b0 = B.input('b0', [BATCH, U]), xs = B.input('xs', [T, BATCH, U]);
      const out = scan(body, [a0, b0], [xs], [], { reverse });
      const result = compareCompiled({ outputs: [...out.carries, out.ys[0]], updates: [] }, [
        { node: a0, data: randomData(BATCH * U, r) }, { node: b0, data: randomData(BATCH * U, r) }, { node: xs, data: randomData(T * BATCH * U, r) },
      ], new Session());
      assert.ok(result.maxRelError < 1e-5, `${what}, reverse ${reverse}: ${result.worst}: ${result.maxRelError}`);
    }
  }
});

test('scan: a body that reads a variable directly is refused', () => {
  const v = B.variable(990001, 'dense/kernel', [U, U]);
  const h0 = B.input('h0', [BATCH, U]), xs = B.input('xs', [T, BATCH, U]);
  assert.throws(() => scan(([h], [x]) => ({ carries: [B.tanh(B.add(x, B.matmul(h, v)))], ys: [] }), [h0], [xs]),
    /reads variable 'dense\/kernel' directly; pass it to the scan as a constant/);
});

test('scan: sequences of different lengths and a carry that changes shape are refused', () => {
  const h0 = B.input('h0', [BATCH, U]);
  const a = B.input('a', [T, BATCH, U]), b = B.input('b', [T + 1, BATCH, U]);
  assert.throws(() => scan(([h], [x]) => ({ carries: [B.add(h, x)], ys: [] }), [h0], [a, b]), /sequence 1 has 6 steps, expected 5/);
  assert.throws(() => scan(([h]) => ({ carries: [B.sum(h, [0])], ys: [] }), [h0], [a]), /new carry 0 has shape \(3,\) but its carry has \(2, 3\)/);
});


/** An LSTM-shaped step: gates i, f, c, o as column slices of one matmul, sigmoid and tanh. */
function lstm(h0: Node, c0: Node, xs: Node, w: Node) {
  const cols = (z: Node, from: number) => B.slice(z, [0, from], [BATCH, from + U]);
  return scan(([h, c], [x], [k]) => {
    const z = B.add(x, B.matmul(h, k));
    const c1 = B.add(B.multiply(B.sigmoid(cols(z, U)), c), B.multiply(B.sigmoid(cols(z, 0)), B.tanh(cols(z, 2 * U))));
    return { carries: [B.multiply(B.sigmoid(cols(z, 3 * U)), B.tanh(c1)), c1], ys: [] };
  }, [h0, c0], [xs], [w]);
}

test('scan: an LSTM-shaped gradient matches the interpreter and its body kernels write only what is read after them', () => {
  const session = new Session();
  const r = rng(11);
  const h0 = B.input('h0', [BATCH, U]), c0 = B.input('c0', [BATCH, U]), xs = B.input('xs', [T, BATCH, 4 * U]), w = B.input('w', [U, 4 * U]);
  const out = lstm(h0, c0, xs, w);
  const loss = B.add(B.sum(B.multiply(out.carries[0], out.carries[0])), B.sum(out.carries[1]));
  const grads = grad(loss, [h0, c0, xs, w]);
  const result = compareCompiled({ outputs: grads, updates: [] }, [
    { node: h0, data: randomData(BATCH * U, r) }, { node: c0, data: randomData(BATCH * U, r) },
    { node: xs, data: randomData(T * BATCH * 4 * U, r) }, { node: w, data: randomData(U * 4 * U, r, -0.8, 0.8) },
  ], session);
  assert.ok(result.maxRelError < 1e-5, `${result.worst}: ${result.maxRelError}`);
  const loops = topoOrder(grads).filter((n): n is Node<'scan'> => n.op === 'scan');
  assert.is(loops.length, 2, 'a forward and a reverse loop');
  for (const loop of loops) {
    const { body } = loop.attrs;
    const plan = fuse({ outputs: [...body.outputs], updates: [] });
    const read = new Set([...body.outputs, ...plan.kernels.flatMap((k) => k.inputs)]);
    for (const k of plan.kernels) for (const o of k.outputs) assert.ok(read.has(o), `${loop.attrs.reverse ? 'reverse' : 'forward'} body: a kernel stores ${o.op} that no other kernel reads`);
  }
});

test.run();
