/**
 * The input gradient of a few-tap convolution (few-taps-input.ts) by column strips, for one
 * channel and 2 to 4 filter rows: a unit is a strip of A pixels down a whole image, and it walks
 * dy row by row. Dy row r reaches output rows r to r + KH − 1, so the strip keeps the
 * accumulators of KH output rows, each row's in the slot (row mod KH); for each tap column kw and
 * channel group, a step loads the KH filter vectors w[·, kw] and the strip's dy vectors once, and
 * each dy vector meets all KH of them: KH·A multiply-adds into as many accumulators, against the
 * row form's A, for the same registers. Output row r is complete once dy row r is done: its
 * lanes are summed and stored and its slot starts row r + KH. The r loop is unrolled KH times so
 * the slots are constants; after the last dy row the KH − 1 rows below it are stored.
 *
 * Strips: the pixels every tap column reaches (KW − 1 to OW − 1) in strips of A, one code for all
 * with the first pixel a runtime value; the rest in strips fixed when generated, each tap column
 * reading only the pixels inside dy. Units are (image, strip), interior strips first.
 *
 * Export `(out, dy, w, bias, q0, q1)`: byte offsets, then units [q0, q1).
 */
import type { FewTapsConv } from '../few-taps.js';
import { FuncBuilder, type LocalRef } from './builder.js';
import type { NativeEpilogue } from './matmul-emit.js';
import { emitFma, laneSumTemps, REGISTERS, startAccumulators, storeLaneSums } from './lane-sums.js';
import { envMemory, type WasmModule } from './module.js';


/** Strip width: KH·A accumulators, A dy vectors and KH filter vectors (C = 1) in the registers. */
export const columnPixels = (KH: number): number => Math.floor((REGISTERS - KH) / (KH + 1));

/** Strips of one image: `interior` of `A` pixels from KW − 1, then the border strips [w0, n]. */
export interface ColumnStrips {
  readonly interior: number;
  readonly borders: readonly (readonly [number, number])[];
}

export function columnStrips(W: number, OW: number, KW: number, A: number): ColumnStrips {
  const interior = Math.floor(Math.max(0, OW - KW + 1) / A);
  const cut = (from: number, to: number): [number, number][] => {
    const count = Math.ceil((to - from) / A);
    return Array.from({ length: count }, (_, i) => {
      const a = from + Math.floor(((to - from) * i) / count), b = from + Math.floor(((to - from) * (i + 1)) / count);
      return [a, b - a];
    });
  };
  const rest = KW - 1 + interior * A;
  return { interior, borders: interior === 0 ? cut(0, W) : [...cut(0, KW - 1), ...cut(rest, W)] };
}

export function emitFewTapsColumns(name: string, g: FewTapsConv, A: number, epilogue: NativeEpilogue, shared: boolean, relaxed: boolean): { module: WasmModule; units: number } {
  const { N, H, W, C, KH, KW, F, OH, OW } = g;
  if (C !== 1) throw new Error(`wasm few-taps input gradient: column strips take one channel, not ${C}`);
  const strips = columnStrips(W, OW, KW, A);
  const S = strips.interior + strips.borders.length;
  const f = new FuncBuilder(name, ['out', 'dy', 'w', 'bias', 'q0', 'q1'].map((n) => ({ name: n, type: 'i32' as const })));
  const [out, dy, w, bias, q0, q1] = [0, 1, 2, 3, 4, 5].map((i) => f.param(i));
  const i32 = (id: string) => f.local(id, 'i32');
  const [q, s, rowP, outP, r, pr, pw, gEnd] = ['q', 's', 'rowP', 'outP', 'r', 'pr', 'pw', 'gEnd'].map(i32);
  // acc[slot][p]: output row ≡ slot (mod KH), pixel w0 + p.
  const acc = Array.from({ length: KH }, (_, slot) => Array.from({ length: A }, (_, p) => f.local(`acc${slot}_${p}`, 'v128')));
  const wv = Array.from({ length: KH }, (_, kh) => f.local(`w${kh}`, 'v128'));
  const v = f.local('v', 'v128');
  const temps = laneSumTemps(f);
  const dyRow = OW * F * 4, dyPixel = F * 4, outRow = W * 4;
  const start = (slot: number, n: number) => startAccumulators(f, acc[slot].slice(0, n), epilogue.bias ? bias : undefined, () => 0);

  /**
   * The strip of n pixels whose first is at rowP in dy (row 0) and outP in dx; `at` is that
   * pixel's index when fixed, undefined for interior strips (every tap column reaches every pixel).
   */
  const strip = (n: number, at: number | undefined) => {
    const reach = (kw: number): [number, number] => (at === undefined ? [0, n - 1] : [Math.max(0, kw - at), Math.min(n - 1, OW - 1 + kw - at)]);
    for (let slot = 0; slot < KH; slot++) start(slot, n);
    /** Dy row r ≡ i (mod KH), at rowP: every tap column, then output row r stored (outP). */
    const row = (i: number) => {
      for (let kw = 0; kw < KW; kw++) {
        const [pLo, pHi] = reach(kw);
        if (pLo > pHi) continue;
        // Dy pixel w0 + pLo − kw; the filter's tap column kw, its KH rows KW floats·F apart.
        f.get(rowP).i32((pLo - kw) * dyPixel).op('i32.add').tee(pr).i32(F * 4).op('i32.add').set(gEnd);
        f.get(w).i32(kw * F * 4).op('i32.add').set(pw);
        f.loop(() => {
          for (let kh = 0; kh < KH; kh++) f.get(pw).mem('v128.load', kh * KW * F * 4).set(wv[kh]);
          for (let p = pLo; p <= pHi; p++) {
            f.get(pr).mem('v128.load', (p - pLo) * dyPixel).set(v);
            for (let kh = 0; kh < KH; kh++) emitFma(f, v, wv[kh], acc[(i + kh) % KH][p], relaxed);
          }
          f.addTo(pr, 16).addTo(pw, 16);
          f.get(pr).get(gEnd).op('i32.lt_u').op('br_if', 0);
        });
      }
      storeLaneSums(f, acc[i % KH].slice(0, n), outP, 0, temps, epilogue.relu);
      start(i % KH, n);
      f.addTo(rowP, dyRow).addTo(outP, outRow);
    };
    const rounds = Math.floor(OH / KH);
    if (rounds > 0) {
      f.i32(0).set(r);
      f.doWhile(r, 1, rounds, () => { for (let i = 0; i < KH; i++) row(i); });
    }
    for (let i = 0; i < OH % KH; i++) row(i);
    // Rows OH to H − 1 have had all their dy rows.
    for (let t = 0; t < KH - 1; t++) {
      storeLaneSums(f, acc[(OH + t) % KH].slice(0, n), outP, 0, temps, epilogue.relu);
      f.addTo(outP, outRow);
    }
  };

  f.forRange(q, q0, q1, () => {
    // Unit q: strip s = q % S of image q / S.
    f.get(q).i32(S).op('i32.rem_u').set(s);
    f.get(q).i32(S).op('i32.div_u').i32(OH * dyRow).op('i32.mul').get(dy).op('i32.add').set(rowP);
    f.get(q).i32(S).op('i32.div_u').i32(H * outRow).op('i32.mul').get(out).op('i32.add').set(outP);
    const interior = () => {
      // Interior strip s starts at pixel KW − 1 + s·A.
      const firstAt = (into: LocalRef, pixel: number) =>
        f.get(s).i32(A * pixel).op('i32.mul').i32((KW - 1) * pixel).op('i32.add').get(into).op('i32.add').set(into);
      firstAt(rowP, dyPixel);
      firstAt(outP, 4);
      strip(A, undefined);
    };
    const border = (b: number) => {
      if (b === strips.borders.length) return;
      const [w0, n] = strips.borders[b];
      f.get(s).i32(strips.interior + b).op('i32.eq').if(() => {
        // Dy pixel w0 may be past dy's row (a right border): reach() keeps the loads inside.
        f.addTo(rowP, w0 * dyPixel).addTo(outP, w0 * 4);
        strip(n, w0);
      }, () => border(b + 1));
    };
    if (strips.interior > 0) f.get(s).i32(strips.interior).op('i32.lt_u').if(interior, () => border(0));
    else border(0);
  });
  return { module: { memory: envMemory(shared), globals: [], funcs: [f.func()] }, units: N * S };
}
