/**
 * The SIMD loop's exp, log, tanh, sigmoid and sign (codegen/wasm/simd-math.ts) against float64
 * Math over a dense sweep of float32 inputs: every 4099th bit pattern (both signs, subnormals,
 * every binade) plus the edges (±0, the extreme subnormals and normals, ±Infinity, NaN, the
 * overflow and underflow thresholds, the branch points). The error is in units in the last
 * place of the float32 nearest the exact result (2^-149 for subnormal results), so it includes
 * the final rounding's half unit. Stated bounds, asserted (in brackets the largest error seen
 * over a sixteen times denser sweep, every 263rd bit pattern):
 *
 *   exp      <= 1 ulp (0.95)     log      <= 1 ulp (0.76)
 *   tanh     <= 1.5 ulp (1.27)   sigmoid  <= 2.5 ulp (2.13)     sign  exact
 *
 * Infinite, NaN and zero results must match Math's exactly (Object.is: -0 apart from +0).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as B from '../src/ir/build.js';
import type { Node } from '../src/ir/node.js';
import { compiledProgram } from '../src/runtime/compiled.js';
import { Session } from '../src/runtime/session.js';

const STRIDE = 4099;
const MIN_SUBNORMAL = 2 ** -149;
const MAX_FLOAT = (2 - 2 ** -23) * 2 ** 127;

function sweep(): Float32Array {
  const bits: number[] = [];
  for (let b = 0; b < 2 ** 32; b += STRIDE) bits.push(b);
  const xs = new Float32Array(new Uint32Array(bits).buffer);
  const edges = [
    0, -0, MIN_SUBNORMAL, -MIN_SUBNORMAL, 2 ** -126 - MIN_SUBNORMAL, -(2 ** -126 - MIN_SUBNORMAL), 2 ** -126, -(2 ** -126),
    MAX_FLOAT, -MAX_FLOAT, Infinity, -Infinity, NaN, 1, -1, Math.SQRT1_2, Math.SQRT2,
    88.72283, 88.72284, 88.7229, 89, 89.5, -87.33654, -87.3366, -103.2789, -103.9720, -104, -104.5, -150, 150,
    0.625, Math.fround(0.625) - 2 ** -24, -0.625, 9.01, -9.01, 44.36, 1e-8, -1e-8, 1e-30, -1e-30,
  ];
  const out = new Float32Array(xs.length + edges.length);
  out.set(xs);
  out.set(edges, xs.length);
  return out;
}

/** Spacing of float32 values at |y| (y finite), subnormal spacing at the bottom. */
function ulp(y: number): number {
  const a = Math.abs(y);
  if (a < 2 ** -126) return MIN_SUBNORMAL;
  return 2 ** (Math.floor(Math.log2(a)) - 23);
}

function runSimd(op: (x: Node) => Node, xs: Float32Array): Float32Array {
  const s = new Session({ seed: 1 });
  const x = B.input('x', [xs.length]);
  const p = compiledProgram({ name: 'simd-math', inputs: [x], graph: { outputs: [op(x)], updates: [] } }, s, 'wasm');
  const names = p.parts.calls.map((c) => c.name);
  assert.ok(names.length === 1 && names[0].endsWith('_simd'), `the SIMD loop runs it: ${names.join(', ')}`);
  p.input(0).set(xs);
  p.run(0);
  const got = Float32Array.from(p.output(0));
  p.dispose();
  return got;
}

/** The worst error in ulps over the sweep; exact agreement where the result is ±0, ±Infinity or NaN. */
function worst(name: string, got: Float32Array, xs: Float32Array, exact: (x: number) => number): { ulps: number; at: number } {
  let ulps = 0, at = NaN;
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i], want = exact(x), g = got[i];
    const rounded = Math.fround(want);
    if (Number.isNaN(want) || !Number.isFinite(rounded) || want === 0) {
      assert.ok(Object.is(g, rounded), `${name}(${x}): got ${g}, want ${rounded}`);
      continue;
    }
    assert.ok(Number.isFinite(g), `${name}(${x}): got ${g}, want ${want}`);
    const e = Math.abs(g - want) / ulp(want);
    if (e > ulps) { ulps = e; at = x; }
  }
  return { ulps, at };
}

const sigmoid = (x: number) => (x < 0 ? Math.exp(x) / (1 + Math.exp(x)) : 1 / (1 + Math.exp(-x)));

const CASES: readonly [string, (x: Node) => Node, (x: number) => number, number][] = [
  ['exp', B.exp, Math.exp, 1],
  ['log', B.log, Math.log, 1],
  ['tanh', B.tanh, Math.tanh, 1.5],
  ['sigmoid', B.sigmoid, sigmoid, 2.5],
  ['sign', B.sign, Math.sign, 0],
];

const xs = sweep();
for (const [name, op, exact, bound] of CASES) {
  test(`${name}: within ${bound} ulp of float64 over ${xs.length} float32 inputs, specials exact`, () => {
    const { ulps, at } = worst(name, runSimd(op, xs), xs, exact);
    assert.ok(ulps <= bound, `${name}: ${ulps.toFixed(3)} ulp at x = ${at} (bound ${bound})`);
    if (process.env.KERAS_JIT_SIMD_MATH_REPORT !== undefined) console.log(`${name}: max ${ulps.toFixed(3)} ulp at ${at}`);
  });
}

test.run();
