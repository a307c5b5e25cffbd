/**
 * The input gradient of a convolution of few taps (codegen/few-taps.ts) on the WebAssembly tier,
 * which is also the forward pass of a stride-1 valid Conv2DTranspose to one to three channels:
 * dx (N, H, W, C) is the full correlation dx[h, w, c] = Σ dy[h − kh, w − kw, f] · w[kh, kw, c, f].
 * As a GEMM it has KH·KW·F taps but only C columns: the matmul tile would be mostly padding, and the
 * dot kernel over im2col patches gathers 288 floats per pixel (a 3x3 filter, F = 32) to use each once.
 *
 * Here dy is read in place, four channels f to a vector: a strip of A output pixels of one row keeps
 * one accumulator per output value, its lanes partial sums over f. For each tap (kh, kw), a loop over
 * the channel groups loads the tap's C filter vectors and the dy vector of each pixel the tap
 * reaches, and adds their products into that pixel's accumulators: each multiply-add of a step has
 * its own accumulator, so seven (C = 1) hide the multiply-add's latency. A step over a whole tap row
 * would load each dy vector once rather than KW times, but V8 loads every vector a loop body reads
 * before its first multiply-add, so a body's loads and accumulators share the 15 registers, and a
 * row's span of dy vectors left room for five accumulators. The full correlation's zero border is
 * never read: the pixels a tap column reaches are fixed when the strip is generated, and tap rows
 * outside dy fall out of the kh loop's bounds. A strip ends summing each accumulator's lanes, four
 * outputs per store (lane-sums.ts); the bias starts in lane 0. Units are output rows (n, h), split
 * over threads as ranges. One channel and a filter of 2 to 4 rows take column strips instead
 * (few-taps-columns.ts), where each dy vector meets a tap column's KH filter rows at once.
 *
 * Export `(out, dy, w, bias, q0, q1)`: byte offsets, then output rows [q0, q1).
 */
import type { FewTapsConv } from '../few-taps.js';
import { FuncBuilder } from './builder.js';
import type { ConvFn, WasmConvKernel } from './conv-kernel.js';
import type { ConvPlan } from './conv-plan.js';
import { wasmFeatures } from './features.js';
import type { NativeEpilogue } from './matmul-emit.js';
import { columnPixels, emitFewTapsColumns } from './few-taps-columns.js';
import { emitFma, laneSumTemps, REGISTERS, startAccumulators, storeLaneSums } from './lane-sums.js';
import { encodeModule, envMemory, type WasmModule } from './module.js';
import { compileOptimized } from './optimized-compile.js';
import { rangeKernel } from './range-kernel.js';
import { printWat } from './wat.js';


export interface FewTapsInputOptions {
  /**
   * Row strips (below), or column strips down the image (few-taps-columns.ts, one channel only);
   * by default whichever keeps more accumulators.
   */
  readonly form?: 'rows' | 'columns';
  /** Pixels per strip; by default as many as fit the registers beside their loads. */
  readonly pixels?: number;
}

/** A loop body's registers: A·C accumulators, A dy vectors and C filter vectors. */
const stripPixels = (C: number) => Math.max(1, Math.floor((REGISTERS - C) / (C + 1)));

/** Undefined when F is not a multiple of 4 (the vectors run along f). */
export function compileFewTapsInput(g: FewTapsConv, plan: ConvPlan, epilogue: NativeEpilogue, shared: boolean, options: FewTapsInputOptions = {}): WasmConvKernel | undefined {
  if (g.op !== 'conv2dBackpropInput') throw new Error(`wasm few-taps input gradient: expected conv2dBackpropInput, got ${g.op}`);
  if (g.F % 4 !== 0) return undefined;
  const columns = options.form === 'columns' || (options.form === undefined && g.C === 1 && g.KH * columnPixels(g.KH) > stripPixels(1));
  const A = Math.max(1, Math.min(g.W, options.pixels ?? (columns ? columnPixels(g.KH) : stripPixels(g.C))));
  const name = `${plan.name}_taps_${columns ? 'columns' : 'rows'}${A}${epilogue.bias ? '_bias' : ''}${epilogue.relu ? '_relu' : ''}`;
  const relaxed = wasmFeatures().relaxedSimd;
  const { module: mod, units } = columns ? emitFewTapsColumns(name, g, A, epilogue, shared, relaxed)
    : { module: emitFewTapsInput(name, g, A, epilogue, shared, relaxed), units: g.N * g.H };
  const ranges = rangeKernel(name, () => compileOptimized(encodeModule(mod)), units, 0, shared);
  return {
    name, plan, epilogue, shared,
    scratchBytes: 0,
    flops: 2 * g.N * g.OH * g.OW * g.KH * g.KW * g.C * g.F,
    panels: units,
    scratchBytesFor: () => 0,
    wat: () => printWat(mod),
    instantiate: (memory, scratchOffset, parallel): ConvFn => {
      const run = parallel !== undefined && parallel.threads > 1 ? parallel.bind(ranges, scratchOffset) : ranges.instantiate(memory, scratchOffset);
      return (o, a, b, c = 0) => run(o, a, b, c);
    },
  };
}

function emitFewTapsInput(name: string, g: FewTapsConv, A: number, epilogue: NativeEpilogue, shared: boolean, relaxed: boolean): WasmModule {
  const { H, W, C, KH, KW, F, OH, OW } = g;
  const f = new FuncBuilder(name, ['out', 'dy', 'w', 'bias', 'q0', 'q1'].map((n) => ({ name: n, type: 'i32' as const })));
  const [out, dy, w, bias, q0, q1] = [0, 1, 2, 3, 4, 5].map((i) => f.param(i));
  const i32 = (id: string) => f.local(id, 'i32');
  const [q, h, rowAt, outAt, khLo, kh, tapRow, wRow, pr, pw, gEnd] = ['q', 'h', 'rowAt', 'outAt', 'khLo', 'kh', 'tapRow', 'wRow', 'pr', 'pw', 'gEnd'].map(i32);
  const acc = Array.from({ length: A * C }, (_, e) => f.local(`acc${e}`, 'v128'));
  const wv = Array.from({ length: C }, (_, c) => f.local(`w${c}`, 'v128'));
  const v = f.local('v', 'v128');
  const temps = laneSumTemps(f);
  const dyRow = OW * F * 4, dyPixel = F * 4;

  /** Pixels [w0, w0 + n) of row q: output (w0 + p, c) accumulates in acc[p·C + c]. */
  const strip = (w0: number, n: number) => {
    const values = acc.slice(0, n * C);
    startAccumulators(f, values, epilogue.bias ? bias : undefined, (e) => e % C);
    // Tap rows kh from khLo while dy row h − kh exists (kh ≤ min(KH − 1, h)): dy row h − kh at
    // tapRow, filter row kh at wRow.
    f.get(khLo).set(kh);
    f.get(rowAt).get(khLo).i32(dyRow).op('i32.mul').op('i32.sub').set(tapRow);
    f.get(khLo).i32(KW * C * F * 4).op('i32.mul').get(w).op('i32.add').set(wRow);
    f.loop(() => {
      for (let kw = 0; kw < KW; kw++) {
        // The pixels tap column kw reaches: dy pixel w0 + p − kw inside dy.
        const pLo = Math.max(0, kw - w0), pHi = Math.min(n - 1, OW - 1 + kw - w0);
        if (pLo > pHi) continue;
        f.get(tapRow).i32((w0 + pLo - kw) * dyPixel).op('i32.add').tee(pr).i32(F * 4).op('i32.add').set(gEnd);
        f.get(wRow).i32(kw * C * F * 4).op('i32.add').set(pw);
        f.loop(() => {
          for (let c = 0; c < C; c++) f.get(pw).mem('v128.load', c * F * 4).set(wv[c]);
          for (let p = pLo; p <= pHi; p++) {
            f.get(pr).mem('v128.load', (p - pLo) * dyPixel).set(v);
            for (let c = 0; c < C; c++) emitFma(f, v, wv[c], acc[p * C + c], relaxed);
          }
          f.addTo(pr, 16).addTo(pw, 16);
          f.get(pr).get(gEnd).op('i32.lt_u').op('br_if', 0);
        });
      }
      f.addTo(wRow, KW * C * F * 4).get(tapRow).i32(dyRow).op('i32.sub').set(tapRow);
      f.get(kh).i32(1).op('i32.add').tee(kh);
      f.i32(KH - 1).get(h).get(h).i32(KH - 1).op('i32.gt_s').op('select');
      f.op('i32.le_s').op('br_if', 0);
    });
    storeLaneSums(f, values, outAt, w0 * C * 4, temps, epilogue.relu);
  };

  f.forRange(q, q0, q1, () => {
    // Row q is pixel row h = q % H of image q / H; dy row h (for kh = 0) would start at rowAt.
    f.get(q).i32(H).op('i32.rem_u').set(h);
    f.get(q).i32(H).op('i32.div_u').i32(OH).op('i32.mul').get(h).op('i32.add').i32(dyRow).op('i32.mul').get(dy).op('i32.add').set(rowAt);
    f.get(q).i32(W * C * 4).op('i32.mul').get(out).op('i32.add').set(outAt);
    // The first tap row inside dy: kh ≥ h − (OH − 1).
    f.get(h).i32(OH - 1).op('i32.sub').i32(0).get(h).i32(OH - 1).op('i32.gt_s').op('select').set(khLo);
    // Near-equal strips: a short last one would have too few accumulators.
    const strips = Math.ceil(W / A);
    for (let i = 0; i < strips; i++) {
      const w0 = Math.floor((W * i) / strips);
      strip(w0, Math.floor((W * (i + 1)) / strips) - w0);
    }
  });
  return { memory: envMemory(shared), globals: [], funcs: [f.func()] };
}
