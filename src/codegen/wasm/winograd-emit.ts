/**
 * Emits the WebAssembly module of one Winograd F(2x2, 3x3) correlation (winograd-plan.ts): an
 * exported driver `(out, img, u, bias, c0, c1)` that runs chunks [c0, c1) of tiles, and the
 * matmul kernel of matmul-emit.ts (batch 16, M = chunk tiles, K = Cin, N = Cout) as an internal
 * function it calls. Per chunk, in the instance's own scratch (`env.scratch`):
 *   1. input transform: V[ξ][t][ci] = (Bᵀ d B)[ξ] of each tile's 4x4 input d, f32x4 over channels;
 *      a tile that reaches outside the image is first copied, with zeros, into a 4x4 staging tile
 *   2. the 16 matmuls M[ξ] = V[ξ] · U[ξ] (U, the transformed filter, at `u`)
 *   3. output transform: Y = Aᵀ M A per tile, then bias and relu, stored into the 2x2 pixels that
 *      lie inside the output.
 * Chunks are independent, so threads split them as ranges (one scratch each, no shared state):
 * the module has the signature of a matmul export, and the worker pool runs it as one.
 *
 *   Bᵀ = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1],  Aᵀ = [1 1 1 0; 0 1 -1 -1]
 * Scratch per instance: [B panel | V | M | staging tile].
 */
import { FuncBuilder, type LocalRef } from './builder.js';
import type { NativeEpilogue } from './matmul-emit.js';
import type { Func, WasmModule } from './module.js';
import { envMemory } from './module.js';
import { align16 } from '../align.js';
import { WINOGRAD_POINTS, type WinogradSpec } from './winograd-plan.js';

export interface WinogradLayout {
  readonly vAt: number;
  /** M, the products; for the filter gradient E, the transformed dy. */
  readonly mAt: number;
  readonly stagingAt: number;
  /** The filter gradient's 16 partial sums over tiles, [ξ][Cin][Cout]. */
  readonly partialAt: number;
  /** Bytes of scratch per instance. */
  readonly bytes: number;
}

export function winogradLayout(s: WinogradSpec, panelBytes: number): WinogradLayout {
  const vAt = align16(panelBytes);
  const mAt = vAt + WINOGRAD_POINTS * s.chunkTiles * s.Cin * 4;
  const stagingAt = mAt + WINOGRAD_POINTS * s.chunkTiles * s.Cout * 4;
  const partialAt = stagingAt + WINOGRAD_POINTS * s.Cin * 4;
  const partial = s.op === 'conv2dBackpropFilter' ? WINOGRAD_POINTS * s.Cin * s.Cout * 4 : 0;
  return { vAt, mAt, stagingAt, partialAt, bytes: partialAt + partial };
}

export interface WinogradEmitOptions {
  readonly name: string;
  readonly epilogue: NativeEpilogue;
  readonly shared: boolean;
  /** The chunk's matmul, from emitMatmulModule: its one function, not exported. */
  readonly matmul: Func;
  /** Column panels of that matmul: the range the driver asks it for. */
  readonly panels: number;
  readonly layout: WinogradLayout;
}

class WinogradEmitter {
  readonly f: FuncBuilder;
  readonly p: { readonly out: LocalRef; readonly img: LocalRef; readonly u: LocalRef; readonly bias: LocalRef; readonly c0: LocalRef; readonly c1: LocalRef };
  private readonly i32: (name: string) => LocalRef;
  private readonly v: (name: string) => LocalRef;

  constructor(readonly s: WinogradSpec, readonly o: WinogradEmitOptions) {
    const params = ['out', 'img', 'u', 'bias', 'c0', 'c1'].map((name) => ({ name, type: 'i32' as const }));
    this.f = new FuncBuilder(o.name, params);
    const f = this.f;
    this.p = { out: f.param(0), img: f.param(1), u: f.param(2), bias: f.param(3), c0: f.param(4), c1: f.param(5) };
    this.i32 = (name) => f.local(name, 'i32');
    this.v = (name) => f.local(name, 'v128');
  }

  emit(): WasmModule {
    const { f, p, s, o } = this;
    const [scr, vBase, mBase, stage, c, t, tEnd, row] = ['scr', 'vBase', 'mBase', 'stage', 'c', 't', 'tEnd', 'row'].map(this.i32);
    const [n, ty, tx] = ['n', 'ty', 'tx'].map(this.i32);
    const coords = { n, ty, tx };
    const tiles = { t, tEnd, row };
    // The matmul is function 0 and reads `env.scratch` as its B panel: the panel is the scratch's start.
    f.op('global.get', 0).tee(scr).i32(o.layout.vAt).op('i32.add').set(vBase);
    f.get(scr).i32(o.layout.mAt).op('i32.add').set(mBase);
    f.get(scr).i32(o.layout.stagingAt).op('i32.add').set(stage);
    f.forRange(c, p.c0, p.c1, () => {
      // Tiles [t0, tEnd) of this chunk; a short last chunk leaves rows of V stale, and the
      // matmul's rows are independent, so their products are simply never read.
      f.get(c).i32(s.chunkTiles).op('i32.mul').set(t);
      f.get(t).i32(s.chunkTiles).op('i32.add').set(tEnd);
      f.get(tEnd).i32(s.tiles).get(tEnd).i32(s.tiles).op('i32.lt_s').op('select').set(tEnd);
      this.overTiles(tiles, coords, vBase, s.Cin, () => this.inputTile(coords, row, stage));
      if (s.op === 'conv2dBackpropFilter') {
        // S[ξ] += V[ξ]ᵀ · E[ξ] over the chunk's tiles, into this instance's partial sums.
        this.overTiles(tiles, coords, mBase, s.Cout, () => this.dyTile(coords, row));
        if (s.tiles % s.chunkTiles !== 0) this.zeroTail(t, tEnd, vBase, mBase);
        f.get(scr).i32(o.layout.partialAt).op('i32.add').get(vBase).get(mBase).i32(0).i32(0).i32(o.panels).op('call', 0);
        return;
      }
      f.get(mBase).get(vBase).get(p.u).i32(0).i32(0).i32(o.panels).op('call', 0);
      this.overTiles(tiles, coords, mBase, s.Cout, () => this.outputTile(coords, row));
    });
    return {
      memory: envMemory(o.shared),
      globals: [{ module: 'env', name: 'scratch', type: 'i32', mutable: false }],
      funcs: [{ ...o.matmul, exported: false }, f.func()],
    };
  }

  /**
   * Tiles t0..tEnd-1 of the chunk (t0 = c·chunkTiles), `row` the byte offset of tile t's row in
   * the chunk's V or M (`floats` per row) from `base`; the tile's (n, ty, tx) decoded from t.
   */
  private overTiles(at: { t: LocalRef; tEnd: LocalRef; row: LocalRef }, xy: { n: LocalRef; ty: LocalRef; tx: LocalRef }, base: LocalRef, floats: number, body: () => void): void {
    const { f, s } = this;
    const t = this.f.local(`t_${floats}_${base.name}`, 'i32');
    f.get(at.t).set(t);
    f.get(base).set(at.row);
    f.doWhile(t, 1, at.tEnd, () => {
      f.get(t).i32(s.TX).op('i32.rem_u').set(xy.tx);
      f.get(t).i32(s.TX).op('i32.div_u').tee(xy.n).i32(s.TY).op('i32.rem_u').set(xy.ty);
      f.get(xy.n).i32(s.TY).op('i32.div_u').set(xy.n);
      body();
      f.addTo(at.row, floats * 4);
    });
  }

  /** Bᵀ d B of one tile into V's row `row`: straight from the image, or via the staging tile at an edge. */
  private inputTile(xy: { n: LocalRef; ty: LocalRef; tx: LocalRef }, row: LocalRef, stage: LocalRef): void {
    const { f, s, p } = this;
    const [iy0, ix0, src] = ['iy0', 'ix0', 'src'].map((name) => this.local32(name));
    const C4 = s.Cin * 4;
    f.get(xy.ty).i32(2).op('i32.mul').i32(s.padTop).op('i32.sub').set(iy0);
    f.get(xy.tx).i32(2).op('i32.mul').i32(s.padLeft).op('i32.sub').set(ix0);
    // The pixel (n, iy0, ix0) of the image, whether or not it is inside.
    const pixel = (dy: number, dx: number) => {
      f.get(xy.n).i32(s.H).op('i32.mul').get(iy0).op('i32.add').i32(dy).op('i32.add').i32(s.W).op('i32.mul')
        .get(ix0).op('i32.add').i32(dx).op('i32.add').i32(C4).op('i32.mul').get(p.img).op('i32.add');
    };
    // Inside: 0 <= iy0 <= H-4 and 0 <= ix0 <= W-4 (as unsigned compares, negatives are huge).
    const inside = () => {
      if (s.H < 4 || s.W < 4) { f.i32(0); return; }
      f.get(iy0).i32(s.H - 4).op('i32.le_u').get(ix0).i32(s.W - 4).op('i32.le_u').op('i32.and');
    };
    inside();
    f.if(() => {
      pixel(0, 0); f.set(src);
      this.transformIn(src, (i, j) => (i * s.W + j) * C4, row);
    }, () => {
      for (let i = 0; i < 4; i++) {
        for (let j = 0; j < 4; j++) {
          f.get(iy0).i32(i).op('i32.add').i32(s.H).op('i32.lt_u').get(ix0).i32(j).op('i32.add').i32(s.W).op('i32.lt_u').op('i32.and');
          f.if(() => { pixel(i, j); f.set(src); this.copyChannels(stage, (i * 4 + j) * C4, src); }, () => this.zeroChannels(stage, (i * 4 + j) * C4));
        }
      }
      this.transformIn(stage, (i, j) => (i * 4 + j) * C4, row);
    });
  }

  private readonly locals = new Map<string, LocalRef>();
  private local32(name: string): LocalRef { return this.named(name, 'i32'); }
  private local128(name: string): LocalRef { return this.named(name, 'v128'); }
  private named(name: string, type: 'i32' | 'v128'): LocalRef {
    const known = this.locals.get(name);
    if (known !== undefined) return known;
    const l = type === 'i32' ? this.i32(name) : this.v(name);
    this.locals.set(name, l);
    return l;
  }

  /** Copies Cin floats from `src` to `dst + offset` as vectors (Cin is a multiple of 4). */
  private copyChannels(dst: LocalRef, offset: number, src: LocalRef): void {
    const { f, s } = this;
    const v = this.local128('copy');
    for (let k = 0; k < s.Cin / 4; k++) { f.get(src).mem('v128.load', k * 16).set(v); f.get(dst).get(v).mem('v128.store', offset + k * 16); }
  }

  private zeroChannels(dst: LocalRef, offset: number): void {
    const { f, s } = this;
    const zero = this.local128('zero');
    for (let k = 0; k < s.Cin / 4; k++) f.get(dst).get(zero).mem('v128.store', offset + k * 16);
  }

  /** A vector loop over the channels: `body` with pointers that advance 16 bytes per vector. */
  private channelLoop(count: number, pointers: readonly LocalRef[], starts: readonly LocalRef[], body: () => void): void {
    const { f } = this;
    const k = this.local32('k');
    pointers.forEach((ptr, i) => f.get(starts[i]).set(ptr));
    f.i32(0).set(k);
    f.doWhile(k, 1, count, () => {
      body();
      for (const ptr of pointers) f.addTo(ptr, 16);
    });
  }

  /** d from `src` at offset(i, j) per channel vector; V[4i + j] to `row` + ξ·chunkTiles·Cin·4. */
  private transformIn(src: LocalRef, offset: (i: number, j: number) => number, row: LocalRef): void {
    const { f, s } = this;
    const [ps, pv] = [this.local32('ps'), this.local32('pv')];
    const d = Array.from({ length: 16 }, (_, k) => this.local128(`d${k}`));
    const t = Array.from({ length: 4 }, (_, k) => this.local128(`t${k}`));
    const plane = s.chunkTiles * s.Cin * 4;
    const sub = (a: LocalRef, b: LocalRef) => f.get(a).get(b).op('f32x4.sub');
    const add = (a: LocalRef, b: LocalRef) => f.get(a).get(b).op('f32x4.add');
    this.channelLoop(s.Cin / 4, [ps, pv], [src, row], () => {
      for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) f.get(ps).mem('v128.load', offset(i, j)).set(d[i * 4 + j]);
      for (let i = 0; i < 4; i++) {
        // Row i of Bᵀ d, column by column.
        const at = (r: number, j: number) => d[r * 4 + j];
        for (let j = 0; j < 4; j++) {
          if (i === 0) sub(at(0, j), at(2, j)); else if (i === 1) add(at(1, j), at(2, j)); else if (i === 2) sub(at(2, j), at(1, j)); else sub(at(1, j), at(3, j));
          f.set(t[j]);
        }
        // (Bᵀ d) B along the row.
        const store = (j: number, value: () => void) => { f.get(pv); value(); f.mem('v128.store', (i * 4 + j) * plane); };
        store(0, () => sub(t[0], t[2]));
        store(1, () => add(t[1], t[2]));
        store(2, () => sub(t[2], t[1]));
        store(3, () => sub(t[1], t[3]));
      }
    });
  }

  /**
   * A short last chunk's rows past its tiles, zeroed in every plane of V and E: the filter
   * gradient's matmuls sum over all rows, and stale ones (even NaN) must add nothing.
   */
  private zeroTail(t0: LocalRef, tEnd: LocalRef, vBase: LocalRef, eBase: LocalRef): void {
    const { f, s } = this;
    const zero = this.local128('zero');
    const [z, end] = [this.local32('z'), this.local32('zEnd')];
    for (const [base, floats] of [[vBase, s.Cin], [eBase, s.Cout]] as const) {
      const plane = s.chunkTiles * floats * 4;
      f.get(tEnd).get(t0).op('i32.sub').i32(s.chunkTiles).op('i32.lt_s').if(() => {
        f.get(tEnd).get(t0).op('i32.sub').i32(floats * 4).op('i32.mul').get(base).op('i32.add').set(z);
        f.get(base).i32(plane).op('i32.add').set(end);
        f.loop(() => {
          for (let k = 0; k < WINOGRAD_POINTS; k++) f.get(z).get(zero).mem('v128.store', k * plane);
          f.addTo(z, 16);
          f.get(z).get(end).op('i32.lt_u').op('br_if', 0);
        });
      });
    }
  }

  /**
   * E = A e Aᵀ of one tile's 2x2 of dy (at `u`; zeros past the output's edge) into E's row
   * `row`, A = [1 0; 1 1; 1 -1; 0 -1]: the filter gradient's second operand.
   */
  private dyTile(xy: { n: LocalRef; ty: LocalRef; tx: LocalRef }, row: LocalRef): void {
    const { f, s, p } = this;
    const [src, pe, down, right] = ['dySrc', 'pe', 'down', 'right'].map((name) => this.local32(name));
    const F4 = s.Cout * 4;
    f.get(xy.n).i32(s.OH).op('i32.mul').get(xy.ty).i32(2).op('i32.mul').op('i32.add').i32(s.OW).op('i32.mul')
      .get(xy.tx).i32(2).op('i32.mul').op('i32.add').i32(F4).op('i32.mul').get(p.u).op('i32.add').set(src);
    f.get(xy.ty).i32(2).op('i32.mul').i32(s.OH - 1).op('i32.lt_s').set(down);
    f.get(xy.tx).i32(2).op('i32.mul').i32(s.OW - 1).op('i32.lt_s').set(right);
    const e = Array.from({ length: 4 }, (_, k) => this.local128(`e${k}`));
    const r = Array.from({ length: 8 }, (_, k) => this.local128(`s${k}`));
    const zero = this.local128('zero');
    const plane = s.chunkTiles * s.Cout * 4;
    const ps = this.local32('pes');
    this.channelLoop(s.Cout / 4, [ps, pe], [src, row], () => {
      const load = (k: number, offset: number, inside: (() => void) | undefined) => {
        if (inside === undefined) { f.get(ps).mem('v128.load', offset).set(e[k]); return; }
        inside();
        f.if(() => f.get(ps).mem('v128.load', offset).set(e[k]), () => f.get(zero).set(e[k]));
      };
      load(0, 0, undefined);
      load(1, F4, () => f.get(right));
      load(2, s.OW * F4, () => f.get(down));
      load(3, (s.OW + 1) * F4, () => f.get(down).get(right).op('i32.and'));
      // Rows of A e: e0, e0 + e1, e0 - e1, -e1 (by columns j = 0, 1), kept as r[2p + j].
      for (let j = 0; j < 2; j++) {
        const e0 = e[j], e1 = e[2 + j];
        f.get(e0).set(r[j]);
        f.get(e0).get(e1).op('f32x4.add').set(r[2 + j]);
        f.get(e0).get(e1).op('f32x4.sub').set(r[4 + j]);
        f.get(e1).op('f32x4.neg').set(r[6 + j]);
      }
      // (A e) Aᵀ along each row p: the same four combinations of its two columns.
      for (let q = 0; q < 4; q++) {
        const a = r[2 * q], b = r[2 * q + 1];
        const store = (j: number, value: () => void) => { f.get(pe); value(); f.mem('v128.store', (q * 4 + j) * plane); };
        store(0, () => f.get(a));
        store(1, () => f.get(a).get(b).op('f32x4.add'));
        store(2, () => f.get(a).get(b).op('f32x4.sub'));
        store(3, () => f.get(b).op('f32x4.neg'));
      }
    });
  }

  /** Aᵀ M A of one tile from M's row `row`, with the epilogue, into the output pixels inside. */
  private outputTile(xy: { n: LocalRef; ty: LocalRef; tx: LocalRef }, row: LocalRef): void {
    const { f, s, p, o } = this;
    const [dst, pm, pb, down, right] = ['dst', 'pm', 'pb', 'down', 'right'].map((name) => this.local32(name));
    const F4 = s.Cout * 4;
    f.get(xy.n).i32(s.OH).op('i32.mul').get(xy.ty).i32(2).op('i32.mul').op('i32.add').i32(s.OW).op('i32.mul')
      .get(xy.tx).i32(2).op('i32.mul').op('i32.add').i32(F4).op('i32.mul').get(p.out).op('i32.add').set(dst);
    // The tile's second row and column exist unless the output's size is odd along that axis.
    f.get(xy.ty).i32(2).op('i32.mul').i32(s.OH - 1).op('i32.lt_s').set(down);
    f.get(xy.tx).i32(2).op('i32.mul').i32(s.OW - 1).op('i32.lt_s').set(right);
    const m = Array.from({ length: 16 }, (_, k) => this.local128(`m${k}`));
    const r = Array.from({ length: 8 }, (_, k) => this.local128(`s${k}`));
    const y = this.local128('y');
    const bv = this.local128('bv');
    const zero = this.local128('zero');
    const plane = s.chunkTiles * s.Cout * 4;
    // `out` walks the tile's first pixel channel vector by channel vector; the others are constant offsets from it.
    const out = this.local32('outp');
    const pointers = o.epilogue.bias ? [pm, out, pb] : [pm, out];
    const starts = o.epilogue.bias ? [row, dst, p.bias] : [row, dst];
    this.channelLoop(s.Cout / 4, pointers, starts, () => {
      for (let k = 0; k < 16; k++) f.get(pm).mem('v128.load', k * plane).set(m[k]);
      // Aᵀ M: row 0 = m0 + m1 + m2, row 1 = m1 - m2 - m3 (rows of the 4x4 M).
      for (let j = 0; j < 4; j++) {
        f.get(m[j]).get(m[4 + j]).op('f32x4.add').get(m[8 + j]).op('f32x4.add').set(r[j]);
        f.get(m[4 + j]).get(m[8 + j]).op('f32x4.sub').get(m[12 + j]).op('f32x4.sub').set(r[4 + j]);
      }
      if (o.epilogue.bias) f.get(pb).mem('v128.load', 0).set(bv);
      const value = (i: number, j: number) => {
        const q = r.slice(i * 4, i * 4 + 4);
        if (j === 0) f.get(q[0]).get(q[1]).op('f32x4.add').get(q[2]).op('f32x4.add');
        else f.get(q[1]).get(q[2]).op('f32x4.sub').get(q[3]).op('f32x4.sub');
        if (o.epilogue.bias) f.get(bv).op('f32x4.add');
        // f32x4.max as the matmul's epilogue: NaN stays NaN, max(-0, 0) is +0.
        if (o.epilogue.relu) f.get(zero).op('f32x4.max');
        f.set(y);
      };
      const store = (i: number, j: number) => { value(i, j); f.get(out).get(y).mem('v128.store', (i * s.OW + j) * F4); };
      store(0, 0);
      f.get(right).if(() => store(0, 1));
      f.get(down).if(() => {
        store(1, 0);
        f.get(right).if(() => store(1, 1));
      });
    });
  }
}

export function emitWinogradModule(s: WinogradSpec, options: WinogradEmitOptions): WasmModule {
  return new WinogradEmitter(s, options).emit();
}
