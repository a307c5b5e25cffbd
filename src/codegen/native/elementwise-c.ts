/**
 * C for flat elementwise groups (codegen/wasm/elementwise-match.ts) and multi-tensor groups of
 * them: the native tier's twin of the WebAssembly SIMD loop, with the same kernel ABI as the
 * matmuls (codegen/native/matmul-c.ts): `kjit_run(base, offsets, p0, p1)` computes units
 * [p0, p1), `kjit_panels()` says how many there are. A unit is the SIMD loop's (four elements,
 * members' units end to end in a group), so one call splits over threads exactly as the wasm
 * kernel's does, and the offsets are the wasm kernel's: one per buffer, outputs then inputs.
 *
 * The loops are scalar C that the compiler vectorises at the machine's width: `ivdep` because an
 * output written in place over an input (a variable update) is the only overlap, element for
 * element, and every element's loads and arithmetic come before its stores. Contraction into FMA
 * is off so every element rounds as the wasm loop rounds it; maximum and minimum propagate NaN and
 * order -0 below +0 as f32x4.max and min do. Bool values are bytes of 0 or 1, as in memory.
 *
 * Covered: everything the SIMD loop runs but pads of the last axis: arithmetic, sqrt, negative,
 * abs, comparisons, where, casts between float32 and bool, fills, reshapes, random draws (the
 * same counter hash as every tier), exp, log, tanh, sigmoid and sign (the wasm loop's polynomials,
 * math-c.ts), and slices of inputs read as rows (an LSTM's gates). Groups with pads (the gate
 * gradients' concatenation) stay WebAssembly: undefined.
 */
import type { Node } from '../../ir/node.js';
import type { FlatElementwise } from '../wasm/elementwise-match.js';
import { cFloat } from './float-c.js';
import { C_MATH } from './math-c.js';

const C_OPS: ReadonlySet<string> = new Set([
  'add', 'subtract', 'multiply', 'divide', 'maximum', 'minimum', 'sqrt', 'negative', 'abs',
  'less', 'lessEqual', 'greater', 'greaterEqual', 'equal', 'notEqual', 'where', 'cast', 'fill', 'reshape',
  'randomUniform', 'exp', 'log', 'tanh', 'sigmoid', 'sign', 'slice',
]);

/** Ops computed by a function of math-c.ts. */
const MATH: Readonly<Record<string, string>> = { exp: 'kjit_exp', log: 'kjit_log', tanh: 'kjit_tanh', sigmoid: 'kjit_sigmoid', sign: 'kjit_sign' };

/** The addon passes at most this many byte offsets (addon-source.ts). */
export const MAX_C_BUFFERS = 64;

const BINARY: Readonly<Record<string, string>> = {
  add: '+', subtract: '-', multiply: '*', divide: '/',
  less: '<', lessEqual: '<=', greater: '>', greaterEqual: '>=', equal: '==', notEqual: '!=',
};

/** Whether C covers the plan: anything the SIMD loop runs but pads of the last axis. */
function covered(plan: FlatElementwise): boolean {
  return plan.pads.size === 0 && plan.order.every((n) => C_OPS.has(n.op));
}

const cType = (n: Node) => (n.dtype === 'bool' ? 'uint8_t' : n.dtype === 'int32' ? 'uint32_t' : 'float');

/** The member's units: blocks of four elements, or rows when it reads slices (elementwiseUnits). */
const unitsOf = (plan: FlatElementwise) => (plan.rows > 1 ? plan.rows : Math.ceil(plan.size / 4));

/**
 * One member's loop over its units [u0, u1), reading the group's offsets by `slot`. Element i of
 * every full-size value is row r, column c (i = r cols + c); a slice reads its input at
 * offset + r stride + c (slice-rows.ts).
 */
function emitMember(plan: FlatElementwise, fn: string, slot: (b: Node) => number, range: 'units' | 'elements' = 'units'): string {
  const lines: string[] = [];
  const name = new Map<Node, string>();
  const pointers: string[] = [];
  for (const b of plan.buffers) {
    const s = slot(b);
    pointers.push(`  ${cType(b)} *b${s} = (${cType(b)} *)(base + o[${s}]);`);
  }
  // One-element inputs read once, before the loop; the rest where a computed node other than a slice reads them.
  const before: string[] = [];
  const readDirectly = (b: Node) => plan.order.some((n) => n.op !== 'slice' && n.inputs.includes(b));
  for (const b of plan.buffers) {
    if (plan.outputs.includes(b)) continue;
    if (plan.uniform.has(b)) {
      before.push(`  const ${cType(b)} u${slot(b)} = b${slot(b)}[0];`);
      name.set(b, `u${slot(b)}`);
    } else if (readDirectly(b)) {
      lines.push(`    const ${cType(b)} x${slot(b)} = b${slot(b)}[i];`);
      name.set(b, `x${slot(b)}`);
    }
  }
  plan.order.forEach((n, t) => {
    const v = `t${t}`;
    if (n.op === 'randomUniform') {
      // The stream's key from the step's seed, once: streamKey in ir/math.ts.
      const seed = name.get(n.inputs[0]);
      const stream = Math.imul((n as Node<'randomUniform'>).attrs.stream + 1, 0x9e3779b1) >>> 0;
      before.push(`  const uint32_t k${t} = kjit_fmix32(${seed} ^ ${stream}u);`);
      lines.push(`    const float ${v} = kjit_draw(k${t}, (uint32_t)i);`);
      name.set(n, v);
      return;
    }
    const rows = plan.slices.get(n);
    if (rows !== undefined) {
      const input = n.inputs[0];
      const at = plan.rows > 1 ? `${rows.offset} + r * ${rows.stride} + c` : `${rows.offset} + i`;
      lines.push(`    const ${cType(n)} ${v} = b${slot(input)}[${at}];`);
      name.set(n, v);
      return;
    }
    const a = n.inputs.map((i) => {
      const s = name.get(i);
      if (s === undefined) throw new Error(`native: ${n.op}'s operand ${i.op} is neither a buffer nor computed before it`);
      return s;
    });
    lines.push(`    const ${cType(n)} ${v} = ${expression(n, a)};`);
    name.set(n, v);
  });
  for (const o of plan.outputs) {
    const v = name.get(o);
    if (v === undefined) throw new Error('native: an output was not computed');
    lines.push(`    b${slot(o)}[i] = ${v};`);
  }
  // Blocks of four elements when flat (the last block holds the tail); rows of cols elements with slices.
  // size_t indices: uint32_t arithmetic may wrap, which keeps the vectoriser from analysing them.
  const loop = range === 'elements' ? ['#pragma GCC ivdep', '  for (size_t i = e0; i < e1; i++) {']
    : plan.rows > 1
      ? [`  for (size_t r = u0; r < u1; r++) {`, '#pragma GCC ivdep', `  for (size_t c = 0; c < ${plan.cols}; c++) {`, `    const size_t i = r * ${plan.cols} + c;`]
      : [`  const size_t i0 = 4 * (size_t)u0, i1 = u1 == ${unitsOf(plan)}u ? ${plan.size} : 4 * (size_t)u1;`, '#pragma GCC ivdep', '  for (size_t i = i0; i < i1; i++) {'];
  return [
    `__attribute__((optimize("fp-contract=off")))`,
    range === 'elements'
      // Not inlined: inside the matmul, whose products contract into FMA, GCC would contract the
      // epilogue's arithmetic too, and it would round otherwise than the wasm pass.
      ? `static __attribute__((noinline)) void ${fn}(char *base, const uint32_t *o, size_t e0, size_t e1) {`
      : `static void ${fn}(char *base, const uint32_t *o, uint32_t u0, uint32_t u1) {`,
    ...pointers, ...before,
    ...loop,
    ...lines,
    '  }',
    ...(plan.rows > 1 ? ['  }'] : []),
    '}',
  ].join('\n');
}

function expression(n: Node, a: readonly string[]): string {
  const op = BINARY[n.op];
  if (op !== undefined) return `${a[0]} ${op} ${a[1]}`;
  switch (n.op) {
    case 'maximum': return `kjit_max(${a[0]}, ${a[1]})`;
    case 'minimum': return `kjit_min(${a[0]}, ${a[1]})`;
    case 'sqrt': return `sqrtf(${a[0]})`;
    case 'negative': return `-${a[0]}`;
    case 'abs': return `fabsf(${a[0]})`;
    case 'where': return `${a[0]} ? ${a[1]} : ${a[2]}`;
    case 'reshape': return a[0];
    case 'exp': case 'log': case 'tanh': case 'sigmoid': case 'sign': return `${MATH[n.op]}(${a[0]})`;
    case 'fill': {
      const value = (n as Node<'fill'>).attrs.value;
      return n.dtype === 'bool' ? (value !== 0 ? '1' : '0') : cFloat(value);
    }
    case 'cast': {
      const from = n.inputs[0].dtype, to = n.dtype;
      if (from === to) return a[0];
      // x != 0: true for NaN, false for -0, as the wasm loop's f32x4.ne against zero.
      if (to === 'bool') return `${a[0]} != 0.0f`;
      return `${a[0]} ? 1.0f : 0.0f`;
    }
    default: throw new Error(`native: no C for ${n.op}`);
  }
}

// FP_CONTRACT for clang, the optimize attribute on each loop for GCC (each ignores the other's).
const PRELUDE = String.raw`#include <math.h>
#include <stdint.h>
#include <stddef.h>
#include <string.h>
#pragma STDC FP_CONTRACT OFF
/*
 * f32x4.max and min: NaN if either is NaN, -0 below +0. Written as selects (equal values: the AND
 * of their bits is +0 for max(-0, +0), the OR -0 for min) so that loops using them vectorise.
 */
static inline uint32_t kjit_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static inline float kjit_float(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static inline float kjit_max(float a, float b) {
  float m = a > b ? a : b;
  m = a == b ? kjit_float(kjit_bits(a) & kjit_bits(b)) : m;
  return a != a || b != b ? a + b : m;
}
static inline float kjit_min(float a, float b) {
  float m = a < b ? a : b;
  m = a == b ? kjit_float(kjit_bits(a) | kjit_bits(b)) : m;
  return a != a || b != b ? a + b : m;
}
/* uniformAt (ir/math.ts): a counter-based draw in [0, 1), exact in float32. */
static inline uint32_t kjit_fmix32(uint32_t h) { h ^= h >> 16; h *= 0x85ebca6bu; h ^= h >> 13; h *= 0xc2b2ae35u; h ^= h >> 16; return h; }
static inline float kjit_draw(uint32_t key, uint32_t i) { return (float)(kjit_fmix32(kjit_fmix32(i ^ key) + key) >> 8) * (1.0f / 16777216.0f); }
`;

export interface ElementwiseC {
  readonly source: string;
  /** Units, as the wasm kernel's. */
  readonly units: number;
}

/**
 * C for the members' plans (one plan for a lone elementwise kernel), over `buffers` (the kernel's,
 * in the wasm kernel's parameter order), or undefined when a member is not one C covers.
 */
export function emitElementwiseC(plans: readonly FlatElementwise[], buffers: readonly Node[]): ElementwiseC | undefined {
  if (buffers.length > MAX_C_BUFFERS || !plans.every(covered)) return undefined;
  const slot = (b: Node) => {
    const s = buffers.indexOf(b);
    if (s < 0) throw new Error('native: a member buffer is not one of the kernel\'s');
    return s;
  };
  const members = plans.map((p, i) => emitMember(p, `member${i}`, slot));
  const dispatch: string[] = [];
  let base = 0;
  plans.forEach((p, i) => {
    const units = unitsOf(p);
    // The units of member i are [base, base + units) of the kernel's.
    dispatch.push(`  { uint32_t lo = p0 > ${base}u ? p0 - ${base}u : 0u, hi = p1 > ${base}u ? p1 - ${base}u : 0u;`,
      `    if (hi > ${units}u) hi = ${units}u;`,
      `    if (lo < hi) member${i}(base, offsets, lo, hi); }`);
    base += units;
  });
  const source = [
    PRELUDE,
    C_MATH,
    ...members,
    `uint32_t kjit_panels(void) { return ${base}u; }`,
    'void kjit_run(char *base, const uint32_t *offsets, uint32_t p0, uint32_t p1) {',
    ...dispatch,
    '}',
    '',
  ].join('\n');
  return { source, units: base };
}

/**
 * A matmul's epilogue as C (matmul-c.ts): `kjit_epilogue(base, o, e0, e1)` computes the flat
 * group `plan` (the product is one of its inputs) over elements [e0, e1) of the output, its
 * buffers' byte offsets at o[slot]. The same loop, rounding and random counters as the
 * elementwise kernel's, so it computes what the WebAssembly pass over the raw product computes.
 * The text holds the prelude and math functions too; undefined when C does not cover the plan.
 */
export function emitEpilogueC(plan: FlatElementwise, buffers: readonly Node[]): string | undefined {
  if (plan.rows > 1 || buffers.length > MAX_C_BUFFERS - 4 || !covered(plan)) return undefined;
  return [PRELUDE, C_MATH, emitMember(plan, 'kjit_epilogue', (b) => buffers.indexOf(b), 'elements')].join('\n');
}
