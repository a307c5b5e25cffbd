/**
 * Gradient checking for tests: autodiff gradients evaluated by the reference interpreter against
 * central finite differences, all in float64.
 */
import { grad } from '../../src/ir/autodiff.js';
import * as B from '../../src/ir/build.js';
import { interpret, refContext } from '../../src/ir/interpret.js';
import type { Node } from '../../src/ir/node.js';
import type { RefTensor } from '../../src/ir/ops/rule.js';
import { sizeOf, type DType } from '../../src/ir/types.js';

export type Rng = () => number;

/** mulberry32: small, seeded, good enough to pick test values. */
export function rng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Gen = (n: number, r: Rng) => number[];
const many = (f: (r: Rng, i: number) => number): Gen => (n, r) => Array.from({ length: n }, (_, i) => f(r, i));

export const gen = {
  uniform: (lo = -1.5, hi = 1.5): Gen => many((r) => lo + (hi - lo) * r()),
  /** Positive values, for log, sqrt and power's base. */
  positive: many((r) => 0.5 + 1.5 * r()),
  /** Values of either sign but away from zero, where abs, sign and division have kinks or poles. */
  awayFromZero: (lo = 0.2, hi = 1.5): Gen => many((r) => (r() < 0.5 ? -1 : 1) * (lo + (hi - lo) * r())),
  /** Distinct values at least ~0.08 apart, so max and pooling have a unique winner. */
  distinct: ((n, r) => {
    const perm = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [perm[i], perm[j]] = [perm[j], perm[i]];
    }
    return perm.map((p) => (p - n / 2) * 0.1 + 0.01 * r());
  }) as Gen,
  /** A grid offset from `gridB`'s, so elementwise maximum and minimum never tie. */
  gridA: many((r) => 0.1 * Math.floor(r() * 30 - 15) + 0.03),
  gridB: many((r) => 0.1 * Math.floor(r() * 30 - 15) - 0.02),
  /** Values away from integers, where casting to int32 is locally constant. */
  nonInteger: many((r) => Math.floor(r() * 6 - 3) + 0.2 + 0.6 * r()),
  ints: (lo: number, hi: number): Gen => many((r) => lo + Math.floor(r() * (hi - lo))),
};

export interface InputSpec {
  readonly shape: readonly number[];
  readonly dtype?: DType;
  readonly gen?: Gen;
  /** Whether to differentiate with respect to this input (default: when float32). */
  readonly diff?: boolean;
}

export function tensor(shape: readonly number[], values: readonly number[]): RefTensor {
  return { shape, data: Float64Array.from(values) };
}

export function evaluate(outputs: readonly Node[], sources: Map<Node, RefTensor>): RefTensor[] {
  return interpret({ outputs, updates: [] }, refContext(sources)).outputs;
}

export interface GradReport {
  readonly checked: number;
  readonly maxError: number;
  readonly worst: string;
}

export interface GradOptions {
  readonly seed?: number;
  readonly h?: number;
  readonly atol?: number;
  readonly rtol?: number;
  /** Values of inputs the function closes over (labels, masks): held fixed, not differentiated. */
  readonly extraSources?: ReadonlyMap<Node, RefTensor>;
}

/**
 * Checks d/dx sum(f(x...) * c) for a random cotangent c: autodiff (through each op's VJP rule)
 * against central differences on the interpreter. Throws with the worst element on failure.
 */
export function gradCheck(specs: readonly InputSpec[], f: (...xs: Node[]) => Node, opts: GradOptions = {}): GradReport {
  const { seed = 1, h = 1e-5, atol = 1e-6, rtol = 1e-5 } = opts;
  const r = rng(seed);
  const sources = new Map<Node, RefTensor>(opts.extraSources ?? []);
  const nodes = specs.map((s, i) => {
    const dtype = s.dtype ?? 'float32';
    const node = B.input(`x${i}`, s.shape, dtype);
    sources.set(node, tensor(s.shape, (s.gen ?? gen.uniform())(sizeOf(s.shape), r)));
    return node;
  });
  const y = f(...nodes);
  if (y.dtype !== 'float32') throw new Error(`gradCheck: the function returns ${y.dtype}, expected float32`);
  const concreteY = y.shape.map((d) => d!);
  const ct = B.input('cotangent', concreteY);
  sources.set(ct, tensor(concreteY, gen.uniform(-1, 1)(sizeOf(concreteY), r)));
  const loss = B.sum(B.multiply(y, ct));
  const wrt = nodes.filter((n, i) => specs[i].diff ?? n.dtype === 'float32');
  const grads = grad(loss, wrt);
  grads.forEach((g, i) => {
    if (g.shape.join() !== wrt[i].shape.join() || g.dtype !== wrt[i].dtype) {
      throw new Error(`gradCheck: gradient ${i} has type ${g.dtype}[${g.shape}], expected ${wrt[i].dtype}[${wrt[i].shape}]`);
    }
  });
  const [, ...analytic] = evaluate([loss, ...grads], sources);

  let checked = 0;
  let maxError = 0;
  let worst = '';
  wrt.forEach((x, k) => {
    const base = sources.get(x)!;
    for (let i = 0; i < base.data.length; i++) {
      const at = (delta: number): number => {
        const data = Float64Array.from(base.data);
        data[i] += delta;
        sources.set(x, { shape: base.shape, data });
        return evaluate([loss], sources)[0].data[0];
      };
      const numeric = (at(h) - at(-h)) / (2 * h);
      sources.set(x, base);
      const a = analytic[k].data[i];
      const err = Math.abs(a - numeric);
      const excess = err - (atol + rtol * Math.max(Math.abs(a), Math.abs(numeric)));
      checked++;
      if (err > maxError) maxError = err;
      if (!(excess <= 0)) {
        worst = `input ${k} (${x.shape}) element ${i}: autodiff ${a}, finite differences ${numeric}, error ${err}`;
        throw new Error(`gradient mismatch: ${worst}`);
      }
    }
  });
  return { checked, maxError, worst };
}
