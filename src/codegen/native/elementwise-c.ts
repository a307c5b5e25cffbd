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
 * Covered: arithmetic, sqrt, negative, abs, comparisons, where, casts between float32 and bool,
 * fills, reshapes and random draws (the same counter hash as every tier), over rows of one (no
 * slices or pads). Groups with transcendentals (whose wasm forms are polynomials, simd-math.ts)
 * stay WebAssembly: undefined.
 */
import type { Node } from '../../ir/node.js';
import type { FlatElementwise } from '../wasm/elementwise-match.js';

const C_OPS: ReadonlySet<string> = new Set([
  'add', 'subtract', 'multiply', 'divide', 'maximum', 'minimum', 'sqrt', 'negative', 'abs',
  'less', 'lessEqual', 'greater', 'greaterEqual', 'equal', 'notEqual', 'where', 'cast', 'fill', 'reshape',
  'randomUniform',
]);

/** The addon passes at most this many byte offsets (addon-source.ts). */
export const MAX_C_BUFFERS = 64;

const BINARY: Readonly<Record<string, string>> = {
  add: '+', subtract: '-', multiply: '*', divide: '/',
  less: '<', lessEqual: '<=', greater: '>', greaterEqual: '>=', equal: '==', notEqual: '!=',
};

/** A float32 constant as a C literal that reads back as the same float. */
export function cFloat(v: number): string {
  const f = Math.fround(v);
  if (Number.isNaN(f)) return 'NAN';
  if (f === Infinity) return 'INFINITY';
  if (f === -Infinity) return '(-INFINITY)';
  if (Object.is(f, -0)) return '(-0.0f)';
  return `${f.toPrecision(9)}f`;
}

/** Whether C covers the plan. */
function covered(plan: FlatElementwise): boolean {
  return plan.rows === 1 && plan.slices.size === 0 && plan.pads.size === 0 && plan.order.every((n) => C_OPS.has(n.op));
}

const cType = (n: Node) => (n.dtype === 'bool' ? 'uint8_t' : n.dtype === 'int32' ? 'uint32_t' : 'float');

/** One member's loop over elements [i0, i1), reading the group's offsets by `slot`. */
function emitMember(plan: FlatElementwise, fn: string, slot: (b: Node) => number): string {
  const lines: string[] = [];
  const name = new Map<Node, string>();
  const pointers: string[] = [];
  for (const b of plan.buffers) {
    const s = slot(b);
    pointers.push(`  ${cType(b)} *b${s} = (${cType(b)} *)(base + o[${s}]);`);
  }
  // One-element inputs read once, before the loop.
  const before: string[] = [];
  for (const b of plan.buffers) {
    if (plan.outputs.includes(b)) continue;
    if (plan.uniform.has(b)) {
      before.push(`  const ${cType(b)} u${slot(b)} = b${slot(b)}[0];`);
      name.set(b, `u${slot(b)}`);
    } else {
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
      lines.push(`    const float ${v} = kjit_draw(k${t}, i);`);
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
  return [
    `__attribute__((optimize("fp-contract=off")))`,
    `static void ${fn}(char *base, const uint32_t *o, uint32_t i0, uint32_t i1) {`,
    ...pointers, ...before,
    '#pragma GCC ivdep',
    '  for (uint32_t i = i0; i < i1; i++) {',
    ...lines,
    '  }',
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
#pragma STDC FP_CONTRACT OFF
/* f32x4.max and min: NaN if either is NaN, -0 below +0. */
static inline float kjit_max(float a, float b) { return a != a ? a : b != b ? b : a > b ? a : b > a ? b : signbit(a) ? b : a; }
static inline float kjit_min(float a, float b) { return a != a ? a : b != b ? b : a < b ? a : b < a ? b : signbit(a) ? a : b; }
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
    const units = Math.ceil(p.size / 4);
    // The units of member i are [base, base + units) of the kernel's; its elements four to a unit.
    dispatch.push(`  { uint32_t lo = p0 > ${base}u ? p0 - ${base}u : 0u, hi = p1 > ${base}u ? p1 - ${base}u : 0u;`,
      `    if (hi > ${units}u) hi = ${units}u;`,
      `    if (lo < hi) member${i}(base, offsets, 4u * lo, hi == ${units}u ? ${p.size}u : 4u * hi); }`);
    base += units;
  });
  const source = [
    PRELUDE,
    ...members,
    `uint32_t kjit_panels(void) { return ${base}u; }`,
    'void kjit_run(char *base, const uint32_t *offsets, uint32_t p0, uint32_t p1) {',
    ...dispatch,
    '}',
    '',
  ].join('\n');
  return { source, units: base };
}
