/**
 * Scalar functions shared by the reference interpreter and generated kernels, so both compute the
 * same numbers: the definition lives here once.
 */

/** erf with fractional error below 1.2e-7 (Numerical Recipes' Chebyshev fit of erfc). */
export function erf(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
    t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? 1 - r : r - 1;
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}

/**
 * The key of one random stream in one step: a program's random ops each have a stream number,
 * and the session passes a fresh seed every step, so draws never repeat across ops or steps.
 */
export function streamKey(seed: number, stream: number): number {
  return fmix32((seed ^ Math.imul(stream + 1, 0x9e3779b1)) | 0);
}

/** Counter-based uniform draw in [0, 1) for element `index` of a stream: exact in float32. */
export function uniformAt(key: number, index: number): number {
  const h = fmix32((fmix32((index ^ key) | 0) + key) | 0);
  return (h >>> 8) / 16777216;
}
