/**
 * exp, log, tanh, sigmoid and sign on f32x4 lanes, for the SIMD elementwise loop: WebAssembly has
 * no transcendental instructions, so each is range reduction plus a polynomial in float32 (the
 * Cephes single-precision coefficients), with the special values Math.exp, Math.log, Math.tanh
 * and Math.sign give handled by lane selects rather than branches:
 *
 * - exp: x = n ln2 + r, |r| <= ln2 / 2 (ln2 in two parts, so n ln2 is exact), e^r by a degree-6
 *   polynomial, times 2^n as two factors 2^(n/2) so that results down to the smallest subnormal
 *   come out (one rounding, in the last factor) and 2^128 overflows to Infinity. NaN stays NaN.
 * - log: x = 2^e m with m in [sqrt(1/2), sqrt(2)), subnormals scaled by 2^23 first; log(m) by a
 *   degree-9 polynomial in m - 1. log(0) = -Infinity, log(x < 0) = NaN, log(Infinity) = Infinity.
 * - tanh: an odd polynomial for |x| < 0.625 (no cancellation near 0), else
 *   1 - 2 / (e^(2|x|) + 1); then x's sign bit (so -0 stays -0). e^(2|x|) overflowing gives ±1.
 * - sigmoid: e^-|x| / (1 + e^-|x|) for x < 0, 1 / (1 + e^-|x|) otherwise: e^-|x| <= 1 never
 *   overflows, so sigmoid of a very negative x is its tiny (subnormal) value, not 0 / Infinity.
 *
 * tests/wasm-simd-math.test.ts states each one's largest error against float64 over a dense sweep
 * of float32 inputs and asserts it.
 */
import type { FuncBuilder, LocalRef } from './builder.js';

/** The sixteen bytes of a v128 constant holding `value` in each lane, as float32 or int32. */
function lanes(value: number, kind: 'f32' | 'i32'): number[] {
  const v = kind === 'f32' ? new Float32Array(4).fill(value) : new Int32Array(4).fill(value);
  return Array.from(new Uint8Array(v.buffer));
}

// The constants are shared with the native tier's C twins (codegen/native/math-c.ts).
export const LOG2E = 1.44269504088896341;
/** ln 2 = LN2_HI + LN2_LO; LN2_HI has 9 significant bits, so n * LN2_HI is exact for |n| < 2^15. */
export const LN2_HI = 0.693359375;
export const LN2_LO = -2.12194440e-4;
export const EXP_POLY = [1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1];
export const LOG_POLY = [7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1];
export const TANH_POLY = [-5.70498872745e-3, 2.06390887954e-2, -5.37397155531e-2, 1.33314422036e-1, -3.33332819422e-1];
/** Below this |x|, tanh's polynomial; above, the exp form (Cephes's split). */
export const TANH_SMALL = 0.625;
/** exp's argument is clamped to this range first: outside it the result is already 0 or Infinity. */
export const EXP_MIN = -104;
export const EXP_MAX = 89;
const SIGN_BIT = -0x80000000;

export class SimdMath {
  private readonly temps = new Map<string, LocalRef>();

  constructor(private readonly f: FuncBuilder) {}

  /** A scratch v128 local, declared on first use; each function's names are its own. */
  private t(name: string): LocalRef {
    let l = this.temps.get(name);
    if (l === undefined) { l = this.f.local(`m_${name}`, 'v128'); this.temps.set(name, l); }
    return l;
  }

  private fc(value: number): FuncBuilder { return this.f.op('v128.const', ...lanes(value, 'f32')); }
  private ic(value: number): FuncBuilder { return this.f.op('v128.const', ...lanes(value, 'i32')); }

  /** Horner's rule: pushes ((c0 x + c1) x + ...) + cn for the local x. */
  private horner(x: LocalRef, coeffs: readonly number[]): void {
    const f = this.f;
    f.get(x);
    this.fc(coeffs[0]).op('f32x4.mul');
    for (let i = 1; i < coeffs.length; i++) {
      this.fc(coeffs[i]).op('f32x4.add');
      if (i < coeffs.length - 1) f.get(x).op('f32x4.mul');
    }
  }

  /** Pushes e^x. */
  exp(x: LocalRef): void {
    const f = this.f;
    const xc = this.t('exp_x'), n = this.t('exp_n'), r = this.t('exp_r'), ni = this.t('exp_ni'), half = this.t('exp_half');
    f.get(x);
    this.fc(EXP_MIN).op('f32x4.max');
    this.fc(EXP_MAX).op('f32x4.min').tee(xc);
    this.fc(LOG2E).op('f32x4.mul').op('f32x4.nearest').set(n);
    f.get(xc).get(n);
    this.fc(LN2_HI).op('f32x4.mul').op('f32x4.sub').get(n);
    this.fc(LN2_LO).op('f32x4.mul').op('f32x4.sub').set(r);
    // e^r = 1 + r + r^2 P(r)
    this.horner(r, EXP_POLY);
    f.get(r).get(r).op('f32x4.mul').op('f32x4.mul').get(r).op('f32x4.add');
    this.fc(1).op('f32x4.add');
    // n is in [-150, 129]: 2^n as 2^h 2^(n-h), h = n >> 1, both normal.
    f.get(n).op('i32x4.trunc_sat_f32x4_s').tee(ni).i32(1).op('i32x4.shr_s').tee(half);
    this.ic(127).op('i32x4.add').i32(23).op('i32x4.shl').op('f32x4.mul');
    f.get(ni).get(half).op('i32x4.sub');
    this.ic(127).op('i32x4.add').i32(23).op('i32x4.shl').op('f32x4.mul');
  }

  /** Pushes ln x. */
  log(x: LocalRef): void {
    const f = this.f;
    const sub = this.t('log_sub'), xs = this.t('log_xs'), e = this.t('log_e'), m = this.t('log_m'), lt = this.t('log_lt'), fe = this.t('log_fe'), z = this.t('log_z');
    // Subnormals (and what the selects below replace anyway) times 2^23, so the exponent field is exact.
    f.get(x);
    this.fc(2 ** -126).op('f32x4.lt').set(sub);
    f.get(x);
    this.fc(2 ** 23).op('f32x4.mul').get(x).get(sub).op('v128.bitselect').tee(xs);
    f.i32(23).op('i32x4.shr_u');
    this.ic(126).op('i32x4.sub');
    this.ic(23).get(sub).op('v128.and').op('i32x4.sub').set(e);
    // m in [0.5, 1); below sqrt(1/2) it doubles and e drops by one (the mask is -1).
    f.get(xs);
    this.ic(0x007fffff).op('v128.and');
    this.ic(0x3f000000).op('v128.or').tee(m);
    this.fc(Math.SQRT1_2).op('f32x4.lt').tee(lt).get(e).op('i32x4.add').op('f32x4.convert_i32x4_s').set(fe);
    f.get(m).get(m).get(lt).op('v128.and').op('f32x4.add');
    this.fc(1).op('f32x4.sub').tee(m).get(m).op('f32x4.mul').set(z);
    // ln m = m - z/2 + m z P(m), with e ln2 added in two parts.
    this.horner(m, LOG_POLY);
    f.get(m).op('f32x4.mul').get(z).op('f32x4.mul').get(fe);
    this.fc(LN2_LO).op('f32x4.mul').op('f32x4.add').get(z);
    this.fc(-0.5).op('f32x4.mul').op('f32x4.add').get(m).op('f32x4.add').get(fe);
    this.fc(LN2_HI).op('f32x4.mul').op('f32x4.add');
    // Infinity and NaN give themselves, negatives NaN, ±0 -Infinity.
    f.get(x).get(x);
    this.fc(Infinity).op('f32x4.lt').op('v128.bitselect');
    this.fc(NaN);
    f.get(x);
    this.fc(0).op('f32x4.ge').op('v128.bitselect');
    this.fc(-Infinity);
    f.get(x);
    this.fc(0).op('f32x4.ne').op('v128.bitselect');
  }

  /** Pushes tanh x. */
  tanh(x: LocalRef): void {
    const f = this.f;
    const a = this.t('tanh_a'), z = this.t('tanh_z'), e = this.t('tanh_e');
    // The polynomial: x + x z P(z), z = x^2.
    f.get(x).get(x).op('f32x4.mul').set(z);
    this.horner(z, TANH_POLY);
    f.get(z).op('f32x4.mul').get(x).op('f32x4.mul').get(x).op('f32x4.add');
    // The exp form.
    f.get(x).op('f32x4.abs').tee(a).get(a).op('f32x4.add').set(e);
    this.exp(e);
    f.set(e);
    this.fc(1);
    this.fc(2);
    f.get(e);
    this.fc(1).op('f32x4.add').op('f32x4.div').op('f32x4.sub');
    f.get(a);
    this.fc(TANH_SMALL).op('f32x4.lt').op('v128.bitselect');
    // x's sign on both: the polynomial's own sign is x's except at -0, where it rounds to +0.
    f.get(x);
    this.ic(SIGN_BIT).op('v128.and').op('v128.or');
  }

  /** Pushes 1 / (1 + e^-x). */
  sigmoid(x: LocalRef): void {
    const f = this.f;
    const e = this.t('sig_e');
    f.get(x).op('f32x4.abs').op('f32x4.neg').set(e);
    this.exp(e);
    f.set(e);
    this.fc(1);
    f.get(e).get(x);
    this.fc(0).op('f32x4.ge').op('v128.bitselect').get(e);
    this.fc(1).op('f32x4.add').op('f32x4.div');
  }

  /** Pushes Math.sign(x): ±1 with x's sign, and x itself for ±0 and NaN. */
  sign(x: LocalRef): void {
    const f = this.f;
    f.get(x);
    this.ic(SIGN_BIT).op('v128.and');
    this.fc(1).op('v128.or').get(x).get(x).op('f32x4.abs');
    this.fc(0).op('f32x4.gt').op('v128.bitselect');
  }
}
