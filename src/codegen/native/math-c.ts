/**
 * exp, log, tanh, sigmoid and sign in C for the native tier's elementwise kernels: the wasm SIMD
 * loop's float32 range reductions and polynomials (codegen/wasm/simd-math.ts, whose constants
 * these are), operation for operation, as scalar code the compiler vectorises. With contraction
 * off each lane rounds as the wasm lane does, so both tiers hold the same ulp bounds
 * (tests/wasm-simd-math.test.ts states them); libm's expf and friends would not vectorise.
 */
import { EXP_MAX, EXP_MIN, EXP_POLY, LN2_HI, LN2_LO, LOG2E, LOG_POLY, TANH_POLY, TANH_SMALL } from '../wasm/simd-math.js';
import { cFloat } from './float-c.js';

/** ((c0 x + c1) x + ...) + cn, in the wasm loop's order. */
function horner(x: string, coeffs: readonly number[]): string {
  let e = `${x} * ${cFloat(coeffs[0])}`;
  for (let i = 1; i < coeffs.length; i++) {
    e = `${e} + ${cFloat(coeffs[i])}`;
    if (i < coeffs.length - 1) e = `(${e}) * ${x}`;
  }
  return e;
}

export const C_MATH = String.raw`
static inline float kjit_exp(float x) {
  float xc = kjit_min(kjit_max(x, ${cFloat(EXP_MIN)}), ${cFloat(EXP_MAX)});
  float n = rintf(xc * ${cFloat(LOG2E)});
  float r = (xc - n * ${cFloat(LN2_HI)}) - n * ${cFloat(LN2_LO)};
  float p = ${horner('r', EXP_POLY)};
  float er = (p * (r * r) + r) + 1.0f;
  /* n in [-150, 129] (0 for NaN, whose product stays NaN): 2^n as 2^h 2^(n-h), both normal. */
  int32_t ni = (int32_t)(n == n ? n : 0.0f), half = ni >> 1;
  return er * kjit_float((uint32_t)(half + 127) << 23) * kjit_float((uint32_t)(ni - half + 127) << 23);
}
static inline float kjit_log(float x) {
  int sub = x < 0x1p-126f;
  float xs = sub ? x * 0x1p23f : x;
  int32_t e = (int32_t)(kjit_bits(xs) >> 23) - 126 - (sub ? 23 : 0);
  float m = kjit_float((kjit_bits(xs) & 0x007fffffu) | 0x3f000000u);
  int lt = m < ${cFloat(Math.SQRT1_2)};
  float fe = (float)(e - (lt ? 1 : 0));
  m = (m + (lt ? m : 0.0f)) - 1.0f;
  float z = m * m;
  float p = ${horner('m', LOG_POLY)};
  float y = ((((p * m) * z + fe * ${cFloat(LN2_LO)}) + z * -0.5f) + m) + fe * ${cFloat(LN2_HI)};
  y = x < INFINITY ? y : x;
  y = x >= 0.0f ? y : NAN;
  return x != 0.0f ? y : -INFINITY;
}
static inline float kjit_tanh(float x) {
  float z = x * x;
  float p = ${horner('z', TANH_POLY)};
  float small = (p * z) * x + x;
  float a = fabsf(x);
  float e = kjit_exp(a + a);
  float big = 1.0f - 2.0f / (e + 1.0f);
  float t = a < ${cFloat(TANH_SMALL)} ? small : big;
  /* x's sign on both: the polynomial's own sign is x's except at -0, where it rounds to +0. */
  return kjit_float(kjit_bits(t) | (kjit_bits(x) & 0x80000000u));
}
static inline float kjit_sigmoid(float x) {
  float e = kjit_exp(-fabsf(x));
  return (x >= 0.0f ? 1.0f : e) / (e + 1.0f);
}
static inline float kjit_sign(float x) {
  return fabsf(x) > 0.0f ? kjit_float((kjit_bits(x) & 0x80000000u) | 0x3f800000u) : x;
}
`;
