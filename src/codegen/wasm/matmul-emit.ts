/**
 * Emits the WebAssembly module of one matmul C = op(A)·op(B), every shape a constant.
 *
 * Loop order (outer to inner): batch, column panel of B (the tile's width, 8-16 columns), k block,
 * row tile, k. Each (panel, k block) of B is packed into scratch as kc rows of `width` contiguous
 * floats just before its row tiles use it, so the k loop reads B as consecutive vectors from L1
 * and panels share no state (threads split them by panel range); A is read in place, one
 * v128.load32_splat per row and k, with the distance between rows as a constant memarg offset
 * (K·4 bytes, or 4 when A is transposed) so one pointer serves the whole tile. C accumulates
 * across k blocks in memory; the epilogue runs on the last block only.
 *
 * The exported function takes byte offsets (c, a, b, bias) into the imported memory (bias is
 * ignored without the bias epilogue) and a range [p0, p1) of column panels, numbered from 0 with
 * the edge panel last: threads split the columns by giving each instance its own range. The
 * scratch panel's byte offset is the imported global `env.scratch`, one per instance, so
 * instances on several threads each own one.
 */
import { FuncBuilder, type LocalRef } from './builder.js';
import type { MatmulShape } from '../matmul-shape.js';
import { layout, type MatmulLayout, type Tile } from './matmul-plan.js';
import { envMemory, type WasmModule } from './module.js';

/** Epilogues the kernel applies itself, on vectors, as it stores the last k block. */
export interface NativeEpilogue {
  /** Adds a row vector of N floats (a Dense bias) at the `bias` argument. */
  readonly bias: boolean;
  readonly relu: boolean;
}
export const IDENTITY: NativeEpilogue = { bias: false, relu: false };

export interface EmitOptions {
  readonly name: string;
  readonly tile: Tile;
  readonly maxKc: number;
  /** Use f32x4.relaxed_madd (feature-detected by the caller) instead of mul then add. */
  readonly relaxed: boolean;
  readonly epilogue: NativeEpilogue;
  /** Import the memory as shared (for a worker pool); it must then be created shared. */
  readonly shared: boolean;
  /**
   * C += op(A)·op(B): every k block starts from C's stored value instead of zero, so a caller can
   * split K across calls (the convolution filter gradient sums over chunks of pixels).
   */
  readonly accumulate?: boolean;
  /** A read in place as a convolution's patches, not as a matrix (implicit GEMM). */
  readonly implicitA?: ImplicitA;
  /**
   * B (K x N, N a multiple of 4) read where it is, rows N·4 bytes apart, with no panel packed:
   * for a B of few rows that stays in L1 anyway, which a packed copy would cost as many loads and
   * stores to make as the tiles spend reading it (a few-tap filter gradient's row of dy).
   */
  readonly inPlaceB?: boolean;
}

/**
 * Where A's elements are when A is an image read as patches (a convolution of few taps, stride
 * 1, no padding): row i starts rowAt[i] bytes after `a`; along k, elements are `kBytes` apart in
 * groups of `groupK`, each group `groupBytes` after the one before. The forward pass: rows are
 * patches (x·C floats apart), k its taps (KH runs of KW·C consecutive floats, one image row
 * apart); the filter gradient (A = patchesᵀ): rows are taps, k the patches of output rows (C
 * floats apart, one image row between rows). One k block only.
 */
export interface ImplicitA {
  readonly rowAt: readonly number[];
  readonly kBytes: number;
  readonly groupK: number;
  readonly groupBytes: number;
}

/** The distance between consecutive rows when it is one for all of them, else undefined. */
function uniformStep(rowAt: readonly number[]): number | undefined {
  const step = rowAt.length > 1 ? rowAt[1] - rowAt[0] : 0;
  return rowAt.every((at, i) => at === rowAt[0] + i * step) ? step : undefined;
}

interface Locals {
  readonly c: LocalRef; readonly a: LocalRef; readonly b: LocalRef; readonly bias?: LocalRef;
  readonly p0: LocalRef; readonly p1: LocalRef;
  readonly scr: LocalRef; readonly bt: LocalRef; readonly jp: LocalRef; readonly jEnd: LocalRef;
  readonly cP: LocalRef; readonly bP: LocalRef; readonly biasP: LocalRef;
  readonly pc: LocalRef; readonly kc: LocalRef; readonly pEnd: LocalRef;
  readonly pS: LocalRef; readonly pD: LocalRef;
  readonly i: LocalRef; readonly pA0: LocalRef; readonly cT: LocalRef; readonly pA: LocalRef; readonly pB: LocalRef;
  readonly acc: readonly (readonly LocalRef[])[];
  readonly bv: readonly LocalRef[];
  readonly av: LocalRef;
  readonly zero: LocalRef;
}

class MatmulEmitter {
  readonly f: FuncBuilder;
  readonly l: Locals;
  readonly lay: MatmulLayout;

  constructor(readonly s: MatmulShape, readonly o: EmitOptions) {
    this.lay = layout(s, o.tile, o.maxKc);
    const im = o.implicitA;
    if (im !== undefined && (this.lay.k.blocks !== 1 || s.K % im.groupK !== 0 || im.rowAt.length !== s.M)) {
      throw new Error(`wasm matmul: patches read in place need one k block of whole groups and a place per row (K ${s.K}, groups of ${im.groupK}, ${im.rowAt.length} places for ${s.M} rows)`);
    }
    if (o.inPlaceB === true && (s.transposeB || s.N % 4 !== 0 || o.tile.vecs * 4 > s.N)) {
      throw new Error(`wasm matmul: B read in place needs B untransposed with columns in whole vectors of every panel (N ${s.N}, tile ${o.tile.vecs * 4} wide, transposeB ${s.transposeB})`);
    }
    // One signature for every epilogue, so a worker calls any matmul the same way.
    const params = ['c', 'a', 'b', 'bias', 'p0', 'p1'].map((name) => ({ name, type: 'i32' as const }));
    const f = new FuncBuilder(o.name, params);
    const i32 = (name: string) => f.local(name, 'i32');
    const v128 = (name: string) => f.local(name, 'v128');
    const { rows, vecs } = o.tile;
    this.l = {
      c: f.param(0), a: f.param(1), b: f.param(2), ...(o.epilogue.bias ? { bias: f.param(3) } : {}),
      p0: f.param(4), p1: f.param(5),
      scr: i32('scr'), bt: i32('bt'), jp: i32('jp'), jEnd: i32('jEnd'), cP: i32('cP'), bP: i32('bP'), biasP: i32('biasP'),
      pc: i32('pc'), kc: i32('kc'), pEnd: i32('pEnd'), pS: i32('pS'), pD: i32('pD'),
      i: i32('i'), pA0: i32('pA0'), cT: i32('cT'), pA: i32('pA'), pB: i32('pB'),
      acc: Array.from({ length: rows }, (_, r) => Array.from({ length: vecs }, (_, v) => v128(`acc${r}_${v}`))),
      bv: Array.from({ length: vecs }, (_, v) => v128(`b${v}`)),
      av: v128('a_'),
      zero: v128('zero'),
    };
    this.f = f;
  }

  /** Lanes of vector v that hold real columns, in a panel with `valid` real columns. */
  private lanes(valid: number, v: number): number {
    return Math.max(0, Math.min(4, valid - 4 * v));
  }

  /**
   * Loads a vector from `base + offset` into `into`; a partial vector reads only its real lanes
   * (the rest are zero), so nothing past a row or past the buffer's end is touched.
   */
  private loadVector(into: LocalRef, base: LocalRef, offset: number, lanes: number, stride = 4): void {
    const f = this.f;
    if (lanes === 4 && stride === 4) { f.get(base).mem('v128.load', offset).set(into); return; }
    f.get(base).mem('v128.load32_zero', offset).set(into);
    for (let lane = 1; lane < lanes; lane++) f.get(base).get(into).mem('v128.load32_lane', offset + lane * stride, lane).set(into);
  }

  private storeVector(base: LocalRef, offset: number, value: LocalRef, lanes: number): void {
    const f = this.f;
    if (lanes === 4) { f.get(base).get(value).mem('v128.store', offset); return; }
    for (let lane = 0; lane < lanes; lane++) f.get(base).get(value).mem('v128.store32_lane', offset + lane * 4, lane);
  }

  emit(): WasmModule {
    const { f, l, s } = this;
    f.op('global.get', 0).set(l.scr);
    f.op('v128.const', ...new Array<number>(16).fill(0)).set(l.zero);
    const body = () => this.panels();
    if (s.batch === 1) body();
    else {
      f.i32(0).set(l.bt);
      f.doWhile(l.bt, 1, s.batch, () => {
        body();
        f.addTo(l.c, s.M * s.N * 4).addTo(l.a, s.M * s.K * 4).addTo(l.b, s.K * s.N * 4);
      });
    }
    return {
      memory: envMemory(this.o.shared),
      globals: [{ module: 'env', name: 'scratch', type: 'i32', mutable: false }],
      funcs: [f.func()],
    };
  }

  /** The full panels of [p0, p1) in a loop, then the narrower edge panel (number fullPanels) if in range. */
  private panels(): void {
    const { f, l, s, lay } = this;
    const W = lay.width;
    const full = lay.fullPanels;
    const bStep = s.transposeB ? W * s.K * 4 : W * 4;
    // min(x, full) as select(x, full, x < full).
    const clamp = (x: LocalRef) => f.get(x).i32(full).get(x).i32(full).op('i32.lt_s').op('select');
    clamp(l.p0).set(l.jp);
    clamp(l.p1).set(l.jEnd);
    const at = (base: LocalRef, step: number, into: LocalRef) => f.get(base).get(l.jp).i32(step).op('i32.mul').op('i32.add').set(into);
    at(l.c, W * 4, l.cP);
    at(l.b, bStep, l.bP);
    if (l.bias !== undefined) at(l.bias, W * 4, l.biasP);
    const next = () => {
      f.addTo(l.cP, W * 4).addTo(l.bP, bStep);
      if (l.bias !== undefined) f.addTo(l.biasP, W * 4);
    };
    if (full > 0) {
      // A range may hold no full panel: test before the first one.
      f.block(() => {
        f.get(l.jp).get(l.jEnd).op('i32.ge_s').op('br_if', 0);
        f.doWhile(l.jp, 1, l.jEnd, () => { this.panel(this.o.tile.vecs, W); next(); });
      });
    }
    // The pointers now stand at panel `full` whenever the edge panel is in range (p0 <= full < p1).
    if (lay.edgeColumns > 0) {
      f.get(l.p0).i32(full).op('i32.le_s').get(l.p1).i32(full).op('i32.gt_s').op('i32.and')
        .if(() => this.panel(Math.ceil(lay.edgeColumns / 4), lay.edgeColumns));
    }
  }

  /** One column panel of `vecs` vectors with `valid` real columns: every k block, every row. */
  private panel(vecs: number, valid: number): void {
    const { f, l, s, lay } = this;
    const { kc, blocks } = lay.k;
    const block = () => {
      // kc = min(KC, K - pc): only the last block may be shorter.
      if (blocks === 1) f.i32(s.K).set(l.kc);
      else f.i32(kc).i32(s.K).get(l.pc).op('i32.sub').tee(l.kc).get(l.kc).i32(kc).op('i32.gt_s').op('select').set(l.kc);
      if (this.o.inPlaceB === true) {
        // The block's rows of B, B(pc, j0) at pS, end at pS + kc·N·4.
        f.get(l.bP).get(l.pc).i32(s.N * 4).op('i32.mul').op('i32.add').tee(l.pS);
        f.get(l.kc).i32(s.N * 4).op('i32.mul').op('i32.add').set(l.pEnd);
      } else {
        // The packed panel ends at scr + kc·width·4; the pack and k loops both stop there.
        f.get(l.kc).i32(vecs * 16).op('i32.mul').get(l.scr).op('i32.add').set(l.pEnd);
        this.pack(vecs, valid);
      }
      this.rowTiles(vecs, valid);
    };
    if (blocks === 1) { f.i32(0).set(l.pc); block(); return; }
    f.i32(0).set(l.pc);
    f.doWhile(l.pc, kc, s.K, block);
  }

  /** Copies B's rows pc..pc+kc of this panel into scratch, `vecs` vectors per k. */
  private pack(vecs: number, valid: number): void {
    const { f, l, s } = this;
    // Start of the block in B: B(pc, j0) is at bP + pc·N·4, or bP + pc·4 when B is N x K.
    f.get(l.bP).get(l.pc).i32(s.transposeB ? 4 : s.N * 4).op('i32.mul').op('i32.add').set(l.pS);
    f.get(l.scr).set(l.pD);
    f.loop(() => {
      for (let v = 0; v < vecs; v++) {
        const lanes = this.lanes(valid, v);
        // Columns of B^T rows lie K·4 bytes apart; rows of B are contiguous.
        if (s.transposeB) this.loadVector(l.av, l.pS, 4 * v * s.K * 4, lanes, s.K * 4);
        else this.loadVector(l.av, l.pS, v * 16, lanes);
        f.get(l.pD).get(l.av).mem('v128.store', v * 16);
      }
      f.addTo(l.pS, s.transposeB ? 4 : s.N * 4);
      f.get(l.pD).i32(vecs * 16).op('i32.add').tee(l.pD).get(l.pEnd).op('i32.lt_u').op('br_if', 0);
    });
  }

  /** Full row tiles in a loop, then the remaining rows as a shorter tile. */
  private rowTiles(vecs: number, valid: number): void {
    const { f, l, s, lay } = this;
    const R = this.o.tile.rows;
    const im = this.o.implicitA;
    const step = im === undefined ? undefined : uniformStep(im.rowAt);
    if (im !== undefined && step === undefined) {
      f.get(l.cP).set(l.cT);
      // Rows at irregular places (taps): every tile unrolled, its A pointer at its first row.
      for (let first = 0; first < s.M; first += R) {
        const rows = Math.min(R, s.M - first);
        f.get(l.a).i32(im.rowAt[first]).op('i32.add').set(l.pA0);
        this.micro(rows, vecs, valid, (r) => im.rowAt[first + r] - im.rowAt[first]);
        f.addTo(l.cT, rows * s.N * 4);
      }
      return;
    }
    if (im !== undefined) f.get(l.a).i32(im.rowAt[0]).op('i32.add').set(l.pA0);
    else f.get(l.a).get(l.pc).i32(s.transposeA ? s.M * 4 : 4).op('i32.mul').op('i32.add').set(l.pA0);
    f.get(l.cP).set(l.cT);
    const rowStep = step ?? (s.transposeA ? 4 : s.K * 4);
    const next = (rows: number) => f.addTo(l.pA0, rows * rowStep).addTo(l.cT, rows * s.N * 4);
    const offsets = (r: number) => r * rowStep;
    if (lay.fullRowTiles > 0) {
      f.i32(0).set(l.i);
      f.doWhile(l.i, 1, lay.fullRowTiles, () => { this.micro(R, vecs, valid, offsets); next(R); });
    }
    if (lay.edgeRows > 0) this.micro(lay.edgeRows, vecs, valid, offsets);
  }

  /** The register tile: rows x vecs accumulators over the k block, then its stores; row r's A at pA + rowOffset(r). */
  private micro(rows: number, vecs: number, valid: number, rowOffset: (r: number) => number): void {
    const { f, l, s, lay } = this;
    const im = this.o.implicitA;
    const cOffset = (r: number, v: number) => r * s.N * 4 + v * 16;
    const zeroAll = () => { for (let r = 0; r < rows; r++) for (let v = 0; v < vecs; v++) f.get(l.zero).set(l.acc[r][v]); };
    const loadAll = () => { for (let r = 0; r < rows; r++) for (let v = 0; v < vecs; v++) this.loadVector(l.acc[r][v], l.cT, cOffset(r, v), this.lanes(valid, v)); };
    if (this.o.accumulate === true) loadAll();
    else if (lay.k.blocks === 1) zeroAll();
    else f.get(l.pc).op('i32.eqz').if(zeroAll, loadAll);

    // B's rows: the packed panel's, or B's own (pS, its block's first row).
    const inPlaceB = this.o.inPlaceB === true;
    const bRow = inPlaceB ? s.N * 4 : vecs * 16;
    f.get(l.pA0).set(l.pA).get(inPlaceB ? l.pS : l.scr).set(l.pB);
    // One k: B's vectors, then each row's A value times them.
    const step = (end: LocalRef) => {
      for (let v = 0; v < vecs; v++) f.get(l.pB).mem('v128.load', v * 16).set(l.bv[v]);
      for (let r = 0; r < rows; r++) {
        f.get(l.pA).mem('v128.load32_splat', rowOffset(r)).set(l.av);
        for (let v = 0; v < vecs; v++) {
          if (this.o.relaxed) f.get(l.av).get(l.bv[v]).get(l.acc[r][v]).op('f32x4.relaxed_madd').set(l.acc[r][v]);
          else f.get(l.av).get(l.bv[v]).op('f32x4.mul').get(l.acc[r][v]).op('f32x4.add').set(l.acc[r][v]);
        }
      }
      f.addTo(l.pA, im !== undefined ? im.kBytes : s.transposeA ? s.M * 4 : 4);
      f.get(l.pB).i32(bRow).op('i32.add').tee(l.pB).get(end).op('i32.lt_u').op('br_if', 0);
    };
    if (im === undefined) f.loop(() => step(l.pEnd));
    else {
      // Groups of consecutive floats (pD: the group's end among B's rows; any pack is done).
      f.loop(() => {
        f.get(l.pB).i32(im.groupK * bRow).op('i32.add').set(l.pD);
        f.loop(() => step(l.pD));
        f.addTo(l.pA, im.groupBytes - im.groupK * im.kBytes);
        f.get(l.pB).get(l.pEnd).op('i32.lt_u').op('br_if', 0);
      });
    }

    const raw = () => { for (let r = 0; r < rows; r++) for (let v = 0; v < vecs; v++) this.storeVector(l.cT, cOffset(r, v), l.acc[r][v], this.lanes(valid, v)); };
    const final = () => this.finalStores(rows, vecs, valid, cOffset);
    if (lay.k.blocks === 1) final();
    // The last block is the one that ends at K.
    else f.get(l.pc).get(l.kc).op('i32.add').i32(s.K).op('i32.eq').if(final, raw);
  }

  /** Stores with the native epilogue: + bias row vector, then max(x, 0). */
  private finalStores(rows: number, vecs: number, valid: number, cOffset: (r: number, v: number) => number): void {
    const { f, l } = this;
    const { bias, relu } = this.o.epilogue;
    if (bias) for (let v = 0; v < vecs; v++) this.loadVector(l.bv[v], l.biasP, v * 16, this.lanes(valid, v));
    for (let r = 0; r < rows; r++) {
      for (let v = 0; v < vecs; v++) {
        const acc = l.acc[r][v];
        if (bias || relu) {
          f.get(acc);
          if (bias) f.get(l.bv[v]).op('f32x4.add');
          // f32x4.max, not pmax: NaN stays NaN and max(-0, 0) is +0, as Math.max in the JS tier.
          if (relu) f.get(l.zero).op('f32x4.max');
          f.set(acc);
        }
        this.storeVector(l.cT, cOffset(r, v), acc, this.lanes(valid, v));
      }
    }
  }
}

export function emitMatmulModule(shape: MatmulShape, options: EmitOptions): WasmModule {
  return new MatmulEmitter(shape, options).emit();
}
