/**
 * Emits the WebAssembly module of a matrix-vector product C = A·B for a few rows of A (M ≤
 * GEMV_MAX_ROWS, neither operand transposed, unbatched), every shape a constant. This is the
 * latency path: a single-sample or small-batch predict of a Dense layer.
 *
 * The GEMM kernel (matmul-emit.ts) copies each panel of B into scratch before its row tiles use
 * it, which pays when many row tiles read the panel and doubles the traffic over B when one row
 * tile does. Here B is read in place and never packed, so nothing has to be re-packed when the
 * weights change: the k loop is blocked by `kb` rows of B, and for each block the n loop walks
 * the block's rows side by side, one vector of each, so B is read as `kb` sequential streams
 * (prefetch-friendly, every byte once) while C's row stays in L1 and is loaded and stored once
 * per block. A's values of the block are splatted into registers once per block.
 *
 * The first block starts from the bias (or zero) instead of C, the last applies relu, so the
 * epilogue costs nothing extra. The export takes the GEMM kernel's arguments `(c, a, b, bias)`
 * as byte offsets; bias is ignored without the bias epilogue.
 */
import { FuncBuilder, type LocalRef } from './builder.js';
import type { MatmulShape } from '../matmul-shape.js';
import type { NativeEpilogue } from './matmul-emit.js';
import { envMemory, type WasmModule } from './module.js';

/** Rows of A the GEMV path takes: one register tile of the rows' accumulators. */
export const GEMV_MAX_ROWS = 4;

/** Whether a matmul of this shape runs as a GEMV. */
export function isGemvShape(s: MatmulShape): boolean {
  return s.batch === 1 && s.M <= GEMV_MAX_ROWS && !s.transposeA && !s.transposeB;
}

/** Rows of B per k block: the block's A values, rows × kb splats, stay within 8 registers. */
export function gemvKBlock(rows: number): number {
  return Math.max(1, Math.floor(8 / rows));
}

/**
 * Column vectors per step of the n loop: each (row, vector) accumulates a chain of kb dependent
 * multiply-adds, so about four independent chains keep the adder busy; rows·vecs accumulators
 * plus the splats stay within the 16 vector registers.
 */
export function gemvVecs(rows: number): number {
  return Math.max(1, Math.floor(4 / rows));
}

export interface GemvEmitOptions {
  readonly name: string;
  readonly relaxed: boolean;
  readonly epilogue: NativeEpilogue;
  readonly shared: boolean;
}

type Phase = { readonly first: boolean; readonly last: boolean };

class GemvEmitter {
  readonly f: FuncBuilder;
  private readonly c: LocalRef; private readonly a: LocalRef; private readonly b: LocalRef; private readonly bias: LocalRef;
  private readonly pA: LocalRef; private readonly pB: LocalRef; private readonly kb: LocalRef;
  private readonly pBn: LocalRef; private readonly pC: LocalRef; private readonly pBias: LocalRef; private readonly n: LocalRef;
  private readonly splat: readonly (readonly LocalRef[])[];
  private readonly acc: readonly (readonly LocalRef[])[];
  private readonly w: LocalRef;
  private readonly V: number;
  private readonly zero: LocalRef;
  private readonly KB: number;

  constructor(readonly s: MatmulShape, readonly o: GemvEmitOptions) {
    const params = ['c', 'a', 'b', 'bias'].map((name) => ({ name, type: 'i32' as const }));
    const f = new FuncBuilder(o.name, params);
    this.f = f;
    [this.c, this.a, this.b, this.bias] = [0, 1, 2, 3].map((i) => f.param(i));
    const i32 = (name: string) => f.local(name, 'i32');
    const v128 = (name: string) => f.local(name, 'v128');
    this.pA = i32('pA'); this.pB = i32('pB'); this.kb = i32('kb');
    this.pBn = i32('pBn'); this.pC = i32('pC'); this.pBias = i32('pBias'); this.n = i32('n');
    this.KB = gemvKBlock(s.M);
    this.splat = Array.from({ length: s.M }, (_, r) => Array.from({ length: this.KB }, (_, j) => v128(`a${r}_${j}`)));
    this.V = gemvVecs(s.M);
    this.acc = Array.from({ length: s.M }, (_, r) => Array.from({ length: this.V }, (_, v) => v128(`acc${r}_${v}`)));
    this.w = v128('w');
    this.zero = v128('zero');
  }

  emit(): WasmModule {
    const { f, s, KB } = this;
    f.op('v128.const', ...new Array<number>(16).fill(0)).set(this.zero);
    f.get(this.a).set(this.pA).get(this.b).set(this.pB);
    const blocks = Math.ceil(s.K / KB);
    const lastRows = s.K - (blocks - 1) * KB;
    const next = () => f.addTo(this.pA, KB * 4).addTo(this.pB, KB * s.N * 4);
    if (blocks === 1) this.block(lastRows, { first: true, last: true });
    else {
      this.block(KB, { first: true, last: false });
      next();
      if (blocks > 2) {
        f.i32(1).set(this.kb);
        f.doWhile(this.kb, 1, blocks - 1, () => { this.block(KB, { first: false, last: false }); next(); });
      }
      this.block(lastRows, { first: false, last: true });
    }
    return { memory: envMemory(this.o.shared), globals: [], funcs: [f.func()] };
  }

  /** One k block of `rows` rows of B (starting at pB, A's values at pA) over every column of C. */
  private block(rows: number, phase: Phase): void {
    const { f, s } = this;
    for (let r = 0; r < s.M; r++) for (let j = 0; j < rows; j++) f.get(this.pA).mem('v128.load32_splat', (r * s.K + j) * 4).set(this.splat[r][j]);
    f.get(this.pB).set(this.pBn).get(this.c).set(this.pC);
    if (phase.first && this.o.epilogue.bias) f.get(this.bias).set(this.pBias);
    const { V } = this;
    const vectors = Math.floor(s.N / 4);
    const step = (count: number) => {
      f.addTo(this.pBn, 16 * count).addTo(this.pC, 16 * count);
      if (phase.first && this.o.epilogue.bias) f.addTo(this.pBias, 16 * count);
    };
    const groups = Math.floor(vectors / V);
    if (groups > 0) {
      f.i32(0).set(this.n);
      f.doWhile(this.n, 1, groups, () => { this.columns(rows, phase, V, 4); step(V); });
    }
    const rest = vectors - groups * V;
    if (rest > 0) { this.columns(rows, phase, rest, 4); step(rest); }
    if (s.N % 4 > 0) this.columns(rows, phase, 1, s.N % 4);
  }

  /**
   * `vecs` vectors of C's columns (at pC; the last has `lanes` real ones) for every row, over the
   * block's rows of B. The multiply-adds go round the accumulators, so neighbours are independent.
   */
  private columns(rows: number, phase: Phase, vecs: number, lanes: number): void {
    const { f, s } = this;
    const { bias, relu } = this.o.epilogue;
    const lanesOf = (v: number) => (v === vecs - 1 ? lanes : 4);
    for (let r = 0; r < s.M; r++) {
      for (let v = 0; v < vecs; v++) {
        const acc = this.acc[r][v];
        if (!phase.first) this.load(acc, this.pC, r * s.N * 4 + v * 16, lanesOf(v));
        else if (bias) this.load(acc, this.pBias, v * 16, lanesOf(v));
        else f.get(this.zero).set(acc);
      }
    }
    // Each vector of B is loaded once and used by every row.
    for (let j = 0; j < rows; j++) {
      for (let v = 0; v < vecs; v++) {
        this.load(this.w, this.pBn, j * s.N * 4 + v * 16, lanesOf(v));
        for (let r = 0; r < s.M; r++) {
          const acc = this.acc[r][v];
          if (this.o.relaxed) f.get(this.splat[r][j]).get(this.w).get(acc).op('f32x4.relaxed_madd').set(acc);
          else f.get(this.splat[r][j]).get(this.w).op('f32x4.mul').get(acc).op('f32x4.add').set(acc);
        }
      }
    }
    for (let r = 0; r < s.M; r++) {
      for (let v = 0; v < vecs; v++) {
        const acc = this.acc[r][v];
        // f32x4.max, not pmax: NaN stays NaN and max(-0, 0) is +0, as in the GEMM kernel.
        if (phase.last && relu) f.get(acc).get(this.zero).op('f32x4.max').set(acc);
        this.store(this.pC, r * s.N * 4 + v * 16, acc, lanesOf(v));
      }
    }
  }

  /** A vector from `base + offset`; a partial one reads only its real lanes, so nothing past a row is touched. */
  private load(into: LocalRef, base: LocalRef, offset: number, lanes: number): void {
    const f = this.f;
    if (lanes === 4) { f.get(base).mem('v128.load', offset).set(into); return; }
    f.get(base).mem('v128.load32_zero', offset).set(into);
    for (let lane = 1; lane < lanes; lane++) f.get(base).get(into).mem('v128.load32_lane', offset + lane * 4, lane).set(into);
  }

  private store(base: LocalRef, offset: number, value: LocalRef, lanes: number): void {
    const f = this.f;
    if (lanes === 4) { f.get(base).get(value).mem('v128.store', offset); return; }
    for (let lane = 0; lane < lanes; lane++) f.get(base).get(value).mem('v128.store32_lane', offset + lane * 4, lane);
  }
}

export function emitGemvModule(shape: MatmulShape, options: GemvEmitOptions): WasmModule {
  if (!isGemvShape(shape)) throw new Error(`wasm: a GEMV takes an unbatched, untransposed product of at most ${GEMV_MAX_ROWS} rows, got ${JSON.stringify(shape)}`);
  return new GemvEmitter(shape, options).emit();
}
