import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as b from '../src/ir/build.js';
import { fuse, type FusedKernel } from '../src/ir/fusion.js';
import { interpret, refContext } from '../src/ir/interpret.js';
import type { Node } from '../src/ir/node.js';
import type { RefTensor } from '../src/ir/ops/rule.js';
import { WebAssemblyApi as WA, pagesFor } from '../src/codegen/wasm/engine.js';
import { matchNativeEpilogue } from '../src/codegen/wasm/epilogue-match.js';
import { compileWasmMatmul } from '../src/codegen/wasm/matmul-kernel.js';

/** The one contraction kernel of a graph's fusion plan. */
function contraction(...outputs: Node[]): FusedKernel {
  const ks = fuse({ outputs, updates: [] }).kernels.filter((k) => k.kind === 'contraction');
  assert.is(ks.length, 1);
  return ks[0];
}

const dense = (ta = false, tb = false) => {
  const x = b.input('x', ta ? [7, 5] : [5, 7]);
  const w = b.input('w', tb ? [9, 7] : [7, 9]);
  return { x, w, bias: b.input('bias', [9]), y: b.matmul(x, w, ta, tb) };
};

test('matches identity, bias, relu and bias then relu', () => {
  const { y, bias } = dense();
  assert.equal(matchNativeEpilogue(contraction(y)), { epilogue: { bias: false, relu: false } });
  assert.equal(matchNativeEpilogue(contraction(b.add(y, bias))), { epilogue: { bias: true, relu: false }, bias });
  assert.equal(matchNativeEpilogue(contraction(b.add(bias, y))), { epilogue: { bias: true, relu: false }, bias });
  assert.equal(matchNativeEpilogue(contraction(b.maximum(y, 0))), { epilogue: { bias: false, relu: true } });
  assert.equal(matchNativeEpilogue(contraction(b.maximum(b.add(y, bias), 0))), { epilogue: { bias: true, relu: true }, bias });
  const t = dense(true, true);
  assert.equal(matchNativeEpilogue(contraction(b.maximum(b.add(t.y, t.bias), 0)))?.epilogue, { bias: true, relu: true });
});

test('leaves everything else to the JS pass', () => {
  const { y, bias } = dense();
  const cases: Node[][] = [
    [b.add(b.maximum(y, 0), bias)],            // relu before bias
    [b.tanh(b.add(y, bias))],                   // another activation
    [b.maximum(y, 0.5)],                        // not relu
    [b.add(y, b.input('full', [5, 9]))],        // not a row vector
    [b.add(y, b.input('col', [5, 1]))],         // a column vector
    [b.multiply(y, bias)],                      // a scale, not a bias
  ];
  for (const outputs of cases) assert.is(matchNativeEpilogue(contraction(...outputs)), undefined, outputs[0].op);
  // A group that stores more than its final value (fusion splits such groups today; the
  // matcher must not rely on it).
  const k = contraction(b.maximum(b.add(y, bias), 0));
  assert.is(matchNativeEpilogue({ ...k, outputs: [k.epilogue[0], ...k.outputs] }), undefined);
  // Split by fusion: the pre-activation group keeps its bias, the relu becomes its own kernel.
  const pre = b.add(y, bias);
  assert.equal(matchNativeEpilogue(contraction(pre, b.maximum(pre, 0)))?.epilogue, { bias: true, relu: false });
});

test('a matched group runs natively and agrees with the reference interpreter', () => {
  for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
    const { x, w, bias, y } = dense(ta, tb);
    const out = b.maximum(b.add(y, bias), 0);
    const match = matchNativeEpilogue(contraction(out));
    assert.ok(match !== undefined && match.bias === bias);
    const values = new Map<Node, RefTensor>();
    let seed = 1;
    for (const n of [x, w, bias]) {
      const shape = n.shape as number[];
      const data = Float64Array.from({ length: shape.reduce((p, q) => p * q, 1) }, () => Math.fround(Math.sin(seed++) * 2));
      values.set(n, { shape, data });
    }
    const want = interpret({ outputs: [out], updates: [] }, refContext(values)).outputs[0].data;
    const kernel = compileWasmMatmul(y, { epilogue: match.epilogue });
    const memory = new WA.Memory({ initial: pagesFor(4096 + kernel.scratchBytes) });
    const F = new Float32Array(memory.buffer);
    const [c, a, bb, bi, scratch] = [0, 64, 128, 256, 1024];
    F.set(values.get(x)!.data, a);
    F.set(values.get(w)!.data, bb);
    F.set(values.get(bias)!.data, bi);
    kernel.instantiate(memory, scratch * 4)(c * 4, a * 4, bb * 4, bi * 4);
    const got = F.subarray(c, c + want.length);
    for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i] - want[i]) <= 1e-5 * Math.max(1, Math.abs(want[i])), `element ${i}: ${got[i]} vs ${want[i]}`);
  }
});

test.run();
