/**
 * What every SIMD loop shares, whatever walks the elements (the flat elementwise loop of
 * elementwise-emit.ts, the row kernels of row-emit.ts): each elementwise op as f32x4
 * instructions, and how float32 and bool values are loaded, stored and made constant. Values live
 * in v128 locals: float32 as f32x4, bool as lane masks (all ones or zero), the form f32x4
 * comparisons produce and v128.bitselect consumes. Bool buffers hold one byte per element,
 * widened to masks on load and narrowed back to 0/1 bytes on store.
 */
import type { Node } from '../../ir/node.js';
import type { FuncBuilder, LocalRef } from './builder.js';
import type { SimdElementwiseOp } from './elementwise-match.js';
import type { OpName } from './opcodes.js';
import type { SimdMath } from './simd-math.js';

/** Elements per loop iteration: a main loop's four lanes, or a tail's one (lane 0). */
export type Lanes = 4 | 1;

/** What an op's emitter may ask of the loop that runs it. */
export interface SimdOpContext {
  readonly f: FuncBuilder;
  readonly math: SimdMath;
  /** The all-zero vector: +0.0 lanes, false masks. */
  zero(): LocalRef;
  /** Four float32 ones. */
  oneF32(): LocalRef;
  /** Pushes the random draw `n` for the current lanes. */
  draw(n: Node<'randomUniform'>): void;
}

type OpEmit = (e: SimdOpContext, args: readonly LocalRef[], node: Node) => void;
const binary = (op: OpName): OpEmit => (e, [a, b]) => { e.f.get(a).get(b).op(op); };
const unary = (op: OpName): OpEmit => (e, [a]) => { e.f.get(a).op(op); };

/**
 * Each op as f32x4 instructions leaving its value on the stack. f32x4.max and min propagate NaN
 * and order -0 below +0, as Math.max and Math.min do in the JavaScript tier.
 */
export const SIMD_OPS: { readonly [K in Exclude<SimdElementwiseOp, 'fill'>]: OpEmit } = {
  add: binary('f32x4.add'),
  subtract: binary('f32x4.sub'),
  multiply: binary('f32x4.mul'),
  divide: binary('f32x4.div'),
  maximum: binary('f32x4.max'),
  minimum: binary('f32x4.min'),
  sqrt: unary('f32x4.sqrt'),
  negative: unary('f32x4.neg'),
  abs: unary('f32x4.abs'),
  exp: (e, [a]) => e.math.exp(a),
  log: (e, [a]) => e.math.log(a),
  tanh: (e, [a]) => e.math.tanh(a),
  sigmoid: (e, [a]) => e.math.sigmoid(a),
  sign: (e, [a]) => e.math.sign(a),
  // Row-major order is the same before and after a reshape: the flat element index carries over.
  reshape: (e, [a]) => { e.f.get(a); },
  slice: () => { throw new Error('wasm: a slice is loaded from its input, not computed'); },
  pad: () => { throw new Error('wasm: a pad is its input or its constant, by column segment'); },
  less: binary('f32x4.lt'),
  lessEqual: binary('f32x4.le'),
  greater: binary('f32x4.gt'),
  greaterEqual: binary('f32x4.ge'),
  equal: binary('f32x4.eq'),
  notEqual: binary('f32x4.ne'),
  // bitselect(x, y, mask) takes x's bits where the mask is set, y's elsewhere.
  where: (e, [c, x, y]) => { e.f.get(x).get(y).get(c).op('v128.bitselect'); },
  randomUniform: (e, _args, node) => e.draw(node as Node<'randomUniform'>),
  cast: (e, [a], node) => {
    const from = node.inputs[0].dtype, to = node.dtype;
    if (from === to) e.f.get(a);
    else if (to === 'bool') e.f.get(a).get(e.zero()).op('f32x4.ne'); // x !== 0, true for NaN, false for -0
    else e.f.get(a).get(e.oneF32()).op('v128.and'); // mask bits & 1.0f: 1 or +0
  },
};

/** Pushes the value of elementwise op `n` from its operands' locals. */
export function emitSimdOp(e: SimdOpContext, n: Node, args: readonly LocalRef[]): void {
  SIMD_OPS[n.op as Exclude<SimdElementwiseOp, 'fill'>](e, args, n);
}

/** Whether a loop needs the zero vector (bool loads and stores, casts to bool) and the ones (casts to float32). */
export function constantsNeeded(buffers: readonly Node[], computed: readonly Node[]): { zero: boolean; one: boolean } {
  const casts = computed.filter((n) => n.op === 'cast' && n.dtype !== n.inputs[0].dtype);
  return {
    zero: buffers.some((b) => b.dtype === 'bool') || casts.some((n) => n.dtype === 'bool'),
    one: casts.some((n) => n.dtype === 'float32'),
  };
}

/**
 * With the byte address on the stack, loads `lanes` elements of a buffer of `dtype` as a value,
 * `offset` elements further on: float32 lanes, or bool bytes widened to masks (`zero` is the
 * zero vector).
 */
export function loadValue(f: FuncBuilder, dtype: Node['dtype'], lanes: Lanes, offset: number, zero: () => LocalRef): void {
  const toMask = () => f.get(zero()).op('i32x4.ne');
  if (dtype === 'float32') f.mem(lanes === 4 ? 'v128.load' : 'v128.load32_zero', offset * 4);
  else if (lanes === 4) { f.mem('v128.load32_zero', offset).op('i16x8.extend_low_i8x16_u').op('i32x4.extend_low_i16x8_u'); toMask(); }
  else { f.mem('i32.load8_u', offset).op('i32x4.splat'); toMask(); }
}

/** With the byte address on the stack, loads one element and splats it over the lanes (a value every lane shares). */
export function loadSplat(f: FuncBuilder, dtype: Node['dtype'], zero: () => LocalRef): void {
  // float32 values and the int32 seed splat as they are; bools become masks.
  if (dtype !== 'bool') f.mem('v128.load32_splat', 0);
  else f.mem('i32.load8_u', 0).op('i32x4.splat').get(zero()).op('i32x4.ne');
}

/** With the byte address and then the value on the stack, stores its first `lanes` lanes (masks as 0/1 bytes). */
export function storeValue(f: FuncBuilder, dtype: Node['dtype'], lanes: Lanes, zero: () => LocalRef): void {
  if (dtype === 'float32') { f.mem(lanes === 4 ? 'v128.store' : 'v128.store32_lane', 0, ...(lanes === 4 ? [] : [0])); return; }
  // Masks (-1 or 0 per i32 lane) narrow with saturation to -1/0 bytes in lanes 0..3; negated, 1/0.
  f.get(zero()).op('i16x8.narrow_i32x4_s').get(zero()).op('i8x16.narrow_i16x8_s').op('i8x16.neg');
  f.mem(lanes === 4 ? 'v128.store32_lane' : 'v128.store8_lane', 0, 0);
}

/** One local per distinct constant, keyed by dtype and value (-0 apart from +0). */
export const constKey = (n: Node<'fill'>): string => `${n.dtype}:${Object.is(n.attrs.value, -0) ? '-0' : String(n.attrs.value)}`;

/** Pushes a fill's value in every lane: float32, or a bool mask. */
export function pushConstant(f: FuncBuilder, n: Node<'fill'>): void {
  if (n.dtype === 'bool') f.i32(n.attrs.value !== 0 ? -1 : 0).op('i32x4.splat');
  else f.op('f32.const', n.attrs.value).op('f32x4.splat');
}
