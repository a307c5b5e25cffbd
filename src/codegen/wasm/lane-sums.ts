/**
 * What the two forms of a few-tap input gradient share (few-taps-input.ts, few-taps-columns.ts):
 * each output value accumulates in its own vector, lanes partial sums over channel groups, and is
 * stored as the sum of its four lanes, four values a store.
 */
import type { FuncBuilder, LocalRef } from './builder.js';

/**
 * XMM registers a function can keep values in (V8 keeps one of the 16 for itself): V8 loads every
 * vector a loop body reads before its first multiply-add, so a body's loads and accumulators
 * share them, and each form sizes its strips by them.
 */
export const REGISTERS = 15;

/** i8x16.shuffle's byte indices for four float lanes (0-3 of the first operand, 4-7 of the second). */
const lanes = (...floats: number[]): number[] => floats.flatMap((l) => [0, 1, 2, 3].map((b) => l * 4 + b));

/** into += x · b. */
export function emitFma(f: FuncBuilder, x: LocalRef, b: LocalRef, into: LocalRef, relaxed: boolean): void {
  if (relaxed) f.get(x).get(b).get(into).op('f32x4.relaxed_madd').set(into);
  else f.get(x).get(b).op('f32x4.mul').get(into).op('f32x4.add').set(into);
}

/** Scratch vectors the lane sums use. */
export interface LaneSumTemps {
  readonly t1: LocalRef;
  readonly t2: LocalRef;
  readonly sum: LocalRef;
}

export function laneSumTemps(f: FuncBuilder): LaneSumTemps {
  return { t1: f.local('t1', 'v128'), t2: f.local('t2', 'v128'), sum: f.local('sum', 'v128') };
}

/**
 * Stores value e of `values` (each the sum of its lanes, then max(·, 0) with relu) at byte
 * `at + 4e` past `base`: four values a v128.store, the last one to three by lanes. Four
 * accumulators a, b, c, d become [Σa, Σb, Σc, Σd] in two rounds of shuffles and adds.
 */
export function storeLaneSums(f: FuncBuilder, values: readonly LocalRef[], base: LocalRef, at: number, temps: LaneSumTemps, relu: boolean): void {
  const { t1, t2, sum } = temps;
  const pairs = (a: LocalRef, b: LocalRef, into: LocalRef) =>
    f.get(a).get(b).op('i8x16.shuffle', ...lanes(0, 4, 2, 6)).get(a).get(b).op('i8x16.shuffle', ...lanes(1, 5, 3, 7)).op('f32x4.add').set(into);
  for (let e = 0; e < values.length; e += 4) {
    const left = Math.min(4, values.length - e);
    const [a, b, c, d] = [0, 1, 2, 3].map((j) => values[e + Math.min(j, left - 1)]);
    pairs(a, b, t1);
    pairs(c, d, t2);
    f.get(t1).get(t2).op('i8x16.shuffle', ...lanes(0, 1, 4, 5)).get(t1).get(t2).op('i8x16.shuffle', ...lanes(2, 3, 6, 7)).op('f32x4.add');
    if (relu) f.op('v128.const', ...new Array<number>(16).fill(0)).op('f32x4.max');
    f.set(sum);
    const to = at + e * 4;
    if (left === 4) f.get(base).get(sum).mem('v128.store', to);
    if (left === 2 || left === 3) f.get(base).get(sum).mem('v128.store64_lane', to, 0);
    if (left === 1) f.get(base).get(sum).mem('v128.store32_lane', to, 0);
    if (left === 3) f.get(base).get(sum).mem('v128.store32_lane', to + 8, 2);
  }
}

/** Each accumulator's starting value: the bias of its channel (`channel(e)`) in lane 0, or zero. */
export function startAccumulators(f: FuncBuilder, values: readonly LocalRef[], bias: LocalRef | undefined, channel: (e: number) => number): void {
  values.forEach((acc, e) => {
    if (bias !== undefined) f.get(bias).mem('v128.load32_zero', channel(e) * 4).set(acc);
    else f.op('v128.const', ...new Array<number>(16).fill(0)).set(acc);
  });
}
