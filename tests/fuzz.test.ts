/**
 * Differential fuzzing: seeded random graphs (unary and broadcasting binary ops, reductions with
 * keepDims broadcast back, matmul, movement ops, comparisons and where, shared subexpressions,
 * variables updated by SGD or momentum steps through autodiff) compiled and run against the
 * reference interpreter. FUZZ_SEED picks the base seed (graph i uses base + i), FUZZ_COUNT the
 * number of graphs. A failure prints the seed and the graph so it can be replayed alone.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { grad } from '../src/ir/autodiff.js';
import * as B from '../src/ir/build.js';
import { dumpGraph } from '../src/ir/dump.js';
import type { Graph, Update } from '../src/ir/graph.js';
import type { Node } from '../src/ir/node.js';
import { sizeOf } from '../src/ir/types.js';
import { Session } from '../src/runtime/session.js';
import { compareCompiled, type Feed } from './support/compiled.js';
import { rng, type Rng } from './support/gradcheck.js';

const BASE_SEED = process.env.FUZZ_SEED !== undefined && process.env.FUZZ_SEED !== '' ? Number(process.env.FUZZ_SEED) : 1337;
const COUNT = process.env.FUZZ_COUNT !== undefined && process.env.FUZZ_COUNT !== '' ? Number(process.env.FUZZ_COUNT) : 500;
const TOL = 1e-5;
/** Keeps tensors small so the interpreter stays fast. */
const MAX_ELEMENTS = 256;

/** A value of the graph and a bound on its magnitude, so values stay in safe ranges. */
interface Val { readonly node: Node; readonly bound: number }

class GraphGen {
  readonly pool: Val[] = [];
  readonly feeds: Feed[] = [];
  readonly variables: Node<'variable'>[] = [];
  readonly used = new Map<string, number>();

  constructor(readonly r: Rng, readonly session: Session, readonly varChance: number) {}

  int(lo: number, hi: number): number { return lo + Math.floor(this.r() * (hi - lo + 1)); }
  chance(p: number): boolean { return this.r() < p; }
  choose<T>(xs: readonly T[]): T { return xs[Math.floor(this.r() * xs.length)]; }
  note(op: string): void { this.used.set(op, (this.used.get(op) ?? 0) + 1); }

  randomShape(): number[] {
    const rank = this.choose([1, 2, 2, 2, 3, 3]);
    const dims = Array.from({ length: rank }, () => this.choose([1, 2, 3, 4, 5, 6, 7]));
    while (sizeOf(dims) > MAX_ELEMENTS) dims[dims.indexOf(Math.max(...dims))] = 1;
    return dims;
  }

  /** A fresh leaf: an input, or sometimes a variable of the session. */
  leaf(shape: readonly number[]): Val {
    const data = Float32Array.from({ length: sizeOf(shape) }, () => -1 + 2 * this.r());
    let node: Node;
    if (this.chance(this.varChance)) {
      const v = this.session.createVariable(`v${this.variables.length}`, shape, 'float32', data);
      this.variables.push(v.node);
      node = v.node;
    } else {
      const input = B.input(`x${this.feeds.length}`, shape);
      this.feeds.push({ node: input, data });
      node = input;
    }
    const val = { node, bound: 1 };
    this.pool.push(val);
    return val;
  }

  push(node: Node, bound: number, op: string): Val {
    this.note(op);
    const val = { node, bound };
    this.pool.push(val);
    return val;
  }

  /** Any float value of the pool; later values a bit more likely, earlier ones still shared. */
  pick(): Val {
    const floats = this.pool.filter((v) => v.node.dtype === 'float32');
    return floats[Math.floor(floats.length * Math.sqrt(this.r()))];
  }

  /** Rescales a value whose bound got large back to magnitude ≤ 1. */
  tame(v: Val, limit = 8): Val {
    if (v.bound <= limit) return v;
    return this.push(B.multiply(v.node, 1 / v.bound), 1, 'multiply(tame)');
  }

  dims(v: Val): number[] { return v.node.shape.map((d) => d!); }

  /** A shape that broadcasts with `shape`: some dims set to 1, leading dims dropped or added. */
  broadcastPartnerShape(shape: readonly number[]): number[] {
    let s = shape.map((d) => (this.chance(0.3) ? 1 : d));
    if (s.length > 1 && this.chance(0.3)) s = s.slice(this.int(1, s.length - 1));
    if (s.length >= shape.length && this.chance(0.15) && sizeOf(s) * 3 <= MAX_ELEMENTS && sizeOf(shape) * 3 <= MAX_ELEMENTS) s = [this.int(2, 3), ...s];
    return s;
  }

  broadcastsWith(a: readonly number[], b: readonly number[]): boolean {
    const rank = Math.max(a.length, b.length);
    let out = 1;
    for (let i = 0; i < rank; i++) {
      const x = a[a.length - rank + i] ?? 1, y = b[b.length - rank + i] ?? 1;
      if (x !== y && x !== 1 && y !== 1) return false;
      out *= Math.max(x, y);
    }
    return out <= MAX_ELEMENTS;
  }

  /** A partner for a binary op: an existing value that broadcasts (shared subexpressions), or a fresh leaf. */
  partner(a: Val, shape: readonly number[] = this.dims(a)): Val {
    if (this.chance(0.5)) {
      const options = this.pool.filter((v) => v !== a && v.node.dtype === 'float32' && this.broadcastsWith(shape, this.dims(v)));
      if (options.length > 0) return this.choose(options);
    }
    return this.leaf(this.broadcastPartnerShape(shape));
  }

  unary(): Val {
    const x = this.pick();
    switch (this.int(0, 8)) {
      case 0: return this.push(B.tanh(x.node), 1, 'tanh');
      case 1: return this.push(B.negative(x.node), x.bound, 'negative');
      case 2: return this.push(B.abs(x.node), x.bound, 'abs');
      case 3: { const t = this.tame(x, 1); return this.push(B.erf(t.node), 1, 'erf'); }
      case 4: return this.push(B.sign(x.node), 1, 'sign');
      case 5: { const t = this.tame(x, 3); return this.push(B.exp(t.node), Math.exp(t.bound), 'exp'); }
      case 6: return this.push(B.log(B.add(B.abs(x.node), 1)), Math.log(x.bound + 1), 'log(abs+1)');
      case 7: return this.push(B.sqrt(B.add(B.abs(x.node), 1)), Math.sqrt(x.bound + 1), 'sqrt(abs+1)');
      default: return this.push(B.maximum(x.node, 0), x.bound, 'relu');
    }
  }

  binary(): Val {
    const a = this.pick();
    const b = this.partner(a);
    const [p, q] = this.chance(0.5) ? [a, b] : [b, a];
    switch (this.int(0, 5)) {
      case 0: return this.push(B.add(p.node, q.node), p.bound + q.bound, 'add');
      case 1: return this.push(B.subtract(p.node, q.node), p.bound + q.bound, 'subtract');
      case 2: { const s = this.tame(p, 3), t = this.tame(q, 3); return this.push(B.multiply(s.node, t.node), s.bound * t.bound, 'multiply'); }
      case 3: return this.push(B.divide(p.node, B.add(B.multiply(q.node, q.node), 1)), p.bound, 'divide(x*x+1)');
      case 4: return this.push(B.maximum(p.node, q.node), Math.max(p.bound, q.bound), 'maximum');
      default: return this.push(B.minimum(p.node, q.node), Math.max(p.bound, q.bound), 'minimum');
    }
  }

  reduce(): Val {
    const x = this.pick();
    const shape = this.dims(x);
    if (shape.length === 0) return this.unary();
    let axes = shape.map((_, i) => i).filter(() => this.chance(0.5));
    if (axes.length === 0) axes = [this.int(0, shape.length - 1)];
    const count = axes.reduce((n, a) => n * shape[a], 1);
    const keepDims = this.chance(0.6);
    const isSum = this.chance(0.5);
    const red = isSum ? B.sum(x.node, axes, keepDims) : B.max(x.node, axes, keepDims);
    const v = this.push(red, isSum ? x.bound * count : x.bound, `${isSum ? 'sum' : 'max'}${keepDims ? '(keepDims)' : ''}`);
    if (keepDims && this.chance(0.7)) {
      // broadcast back over the reduced axes, as softmax and normalisation do
      const t = this.tame(v);
      return this.choose([
        () => this.push(B.subtract(x.node, t.node), x.bound + t.bound, 'subtract(reduced)'),
        () => this.push(B.divide(x.node, B.add(B.abs(t.node), 1)), x.bound, 'divide(reduced)'),
        () => this.push(B.exp(B.subtract(this.tame(x, 2).node, B.max(this.tame(x, 2).node, axes, true))), 1, 'exp(x-max)'),
      ])();
    }
    return v;
  }

  matmul(): Val {
    let x = this.pick();
    let shape = this.dims(x);
    if (shape.length <= 1 || shape.length > 3) {
      const to = shape.length === 0 ? [1, 1] : shape.length === 1 ? [1, shape[0]] : [shape[0], sizeOf(shape) / shape[0]];
      x = this.push(B.reshape(x.node, to), x.bound, 'reshape(for matmul)');
      shape = this.dims(x);
    }
    const r = shape.length;
    const ta = this.chance(0.3), tb = this.chance(0.3);
    const k = ta ? shape[r - 2] : shape[r - 1];
    const n = this.int(1, 7);
    const batch = r === 3 ? [shape[0]] : [];
    const want = [...batch, ...(tb ? [n, k] : [k, n])];
    const existing = this.pool.filter((v) => v.node.dtype === 'float32' && v.node.shape.join() === want.join());
    const other = existing.length > 0 && this.chance(0.5) ? this.choose(existing) : this.leaf(want);
    const a = this.tame(x, 2), b = this.tame(other, 2);
    return this.push(B.matmul(a.node, b.node, ta, tb), a.bound * b.bound * k, `matmul${r === 3 ? '(batched)' : ''}`);
  }

  randomFactorisation(size: number): number[] {
    const primes: number[] = [];
    let m = size;
    for (let p = 2; p <= m; p++) while (m % p === 0) { primes.push(p); m /= p; }
    const rank = this.int(1, 3);
    const dims = new Array<number>(rank).fill(1);
    for (const p of primes) dims[this.int(0, rank - 1)] *= p;
    return dims;
  }

  movement(): Val {
    const x = this.pick();
    const shape = this.dims(x);
    if (shape.length === 0) return this.push(B.reshape(x.node, [1]), x.bound, 'reshape');
    switch (this.int(0, 5)) {
      case 0: return this.push(B.reshape(x.node, this.randomFactorisation(sizeOf(shape))), x.bound, 'reshape');
      case 1: {
        if (shape.length < 2) return this.push(B.reshape(x.node, [...shape, 1]), x.bound, 'reshape');
        const perm = shape.map((_, i) => i);
        for (let i = perm.length - 1; i > 0; i--) { const j = this.int(0, i); [perm[i], perm[j]] = [perm[j], perm[i]]; }
        return this.push(B.transpose(x.node, perm), x.bound, 'transpose');
      }
      case 2: {
        const begin = shape.map((d) => this.int(0, d - 1));
        const end = shape.map((d, i) => this.int(begin[i] + 1, d));
        return this.push(B.slice(x.node, begin, end), x.bound, 'slice');
      }
      case 3: {
        const widths = shape.map(() => [this.int(0, 2), this.int(0, 2)] as const);
        if (sizeOf(shape.map((d, i) => d + widths[i][0] + widths[i][1])) > MAX_ELEMENTS) return this.push(B.negative(x.node), x.bound, 'negative');
        const value = this.choose([0, 0.5, -1]);
        return this.push(B.pad(x.node, widths, value), Math.max(x.bound, 1), 'pad');
      }
      case 4: {
        const axis = this.int(0, shape.length - 1);
        const pieces: Val[] = [x];
        const extra = this.int(1, 2);
        for (let i = 0; i < extra; i++) {
          const size = this.int(1, 4);
          const s = shape.map((d, j) => (j === axis ? size : d));
          if (sizeOf(shape) * 3 > MAX_ELEMENTS) break;
          pieces.push(this.chance(0.4) ? { node: B.tanh(x.node), bound: 1 } : this.leaf(s));
        }
        return this.push(B.concatenate(pieces.map((p) => p.node), axis), Math.max(...pieces.map((p) => p.bound)), 'concatenate');
      }
      default: {
        let target = shape.map((d) => (d === 1 ? this.int(1, 4) : d));
        if (this.chance(0.5)) target = [this.int(2, 3), ...target];
        if (sizeOf(target) > MAX_ELEMENTS) return this.push(B.abs(x.node), x.bound, 'abs');
        return this.push(B.broadcastTo(x.node, target), x.bound, 'broadcastTo');
      }
    }
  }

  select(): Val {
    const a = this.pick();
    const b = this.chance(0.4) ? null : this.partner(a);
    const cmps = [B.less, B.lessEqual, B.greater, B.greaterEqual, B.notEqual] as const;
    const cmp = this.choose(cmps);
    const threshold = this.choose([0, 0.25, -0.5]);
    const cond = b === null ? cmp(a.node, threshold) : cmp(a.node, b.node);
    const cname = `${cmp === B.less ? 'less' : cmp === B.lessEqual ? 'lessEqual' : cmp === B.greater ? 'greater' : cmp === B.greaterEqual ? 'greaterEqual' : 'notEqual'}`;
    if (this.chance(0.3)) {
      return this.push(B.multiply(B.cast(cond, 'float32'), a.node), a.bound, `${cname}+cast mask`);
    }
    const y = this.chance(0.5) ? this.partner(a, cond.shape.map((d) => d!)) : null;
    const yb = y === null ? 1 : y.bound;
    const node = B.where(cond, a.node, y === null ? this.choose([0, 1, -0.5]) : y.node);
    return this.push(node, Math.max(a.bound, yb), `${cname}+where`);
  }

  step(): Val {
    const u = this.r();
    if (u < 0.2) return this.unary();
    if (u < 0.45) return this.binary();
    if (u < 0.58) return this.reduce();
    if (u < 0.68) return this.matmul();
    if (u < 0.86) return this.movement();
    return this.select();
  }
}

interface Built { graph: Graph; feeds: Feed[]; used: Map<string, number> }

function buildGraph(seed: number, session: Session): Built {
  const r = rng(seed);
  const gen = new GraphGen(r, session, r() < 0.3 ? 0.35 : 0);
  const nLeaves = gen.int(1, 3);
  for (let i = 0; i < nLeaves; i++) gen.leaf(gen.randomShape());
  const steps = gen.int(3, 12);
  let last: Val = gen.pool[0];
  for (let i = 0; i < steps; i++) last = gen.step();
  const computed = gen.pool.filter((v) => v.node.op !== 'input' && v.node.op !== 'variable');
  const outputs = new Set<Node>([last.node]);
  const extra = gen.int(0, 2);
  for (let i = 0; i < extra && computed.length > 0; i++) outputs.add(gen.choose(computed).node);
  if (r() < 0.15) {
    // a bool output
    const f = gen.pick();
    outputs.add(B.greater(f.node, 0.1));
  }

  const updates: Update[] = [];
  if (gen.variables.length > 0) {
    // an SGD step (or momentum) from the gradient of a loss of the last value
    const out = gen.tame(last, 2).node;
    const loss = B.multiply(B.sum(B.multiply(out, out)), 0.5 / sizeOf(out.shape.map((d) => d!)));
    outputs.add(loss);
    const grads = grad(loss, gen.variables);
    gen.variables.forEach((v, i) => {
      const g = grads[i];
      if (r() < 0.3) {
        const shape = v.shape.map((d) => d!);
        const m = session.createVariable(`m${i}`, shape, 'float32', Float32Array.from({ length: sizeOf(shape) }, () => 0.1 * (r() - 0.5)));
        const mNew = B.add(B.multiply(m.node, 0.9), g);
        updates.push({ variable: m.node, value: mNew });
        updates.push({ variable: v, value: B.subtract(v, B.multiply(mNew, 0.05)) });
        gen.note('momentum update');
      } else {
        updates.push({ variable: v, value: B.subtract(v, B.multiply(g, 0.05)) });
        gen.note('sgd update');
      }
    });
  }
  return { graph: { outputs: [...outputs], updates }, feeds: gen.feeds, used: gen.used };
}

test(`${COUNT} random graphs compiled match the interpreter (FUZZ_SEED=${BASE_SEED})`, () => {
  const started = performance.now();
  const failures: string[] = [];
  const opCounts = new Map<string, number>();
  let kernels = 0, nodes = 0, withUpdates = 0;
  const session = new Session({ seed: 3 });
  for (let i = 0; i < COUNT; i++) {
    const seed = BASE_SEED + i;
    let built: Built | undefined;
    try {
      built = buildGraph(seed, session);
      for (const [op, n] of built.used) opCounts.set(op, (opCounts.get(op) ?? 0) + n);
      if (built.graph.updates.length > 0) withUpdates++;
      const c = compareCompiled(built.graph, built.feeds, session);
      kernels += c.kernels;
      nodes += built.used.size;
      if (!(c.maxRelError <= TOL)) {
        failures.push(`seed ${seed}: max rel error ${c.maxRelError} at ${c.worst}\n${dumpGraph(built.graph)}`);
      }
    } catch (e) {
      const dump = built !== undefined ? dumpGraph(built.graph) : '(the generator itself failed)';
      failures.push(`seed ${seed}: threw ${e instanceof Error ? e.stack ?? e.message : String(e)}\n${dump}`);
    }
    if (i % 50 === 49) session.clear();
  }
  const ms = performance.now() - started;
  console.log(`\n  fuzz: ${COUNT} graphs (seeds ${BASE_SEED}..${BASE_SEED + COUNT - 1}), ${withUpdates} with variable updates, ${kernels} kernels, ${failures.length} mismatches, ${ms.toFixed(0)} ms`);
  console.log(`  ops generated: ${[...opCounts.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  const shown = failures.slice(0, 5);
  assert.ok(failures.length === 0,
    `${failures.length} of ${COUNT} graphs mismatched (replay one with FUZZ_SEED=<seed> FUZZ_COUNT=1):\n\n${shown.join('\n\n')}${failures.length > shown.length ? `\n... and ${failures.length - shown.length} more:\n${failures.slice(shown.length).map((f) => f.split('\n')[0]).join('\n')}` : ''}`);
});

test.run();
