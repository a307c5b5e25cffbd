/**
 * Implicit-GEMM packers for the convolutions: they gather image patches (conv-geometry.ts) straight
 * into the GEMM panels (no im2col matrix in memory), with zeros where a tap falls in the padding.
 * Blocks along the tap axis are aligned to the channel count R so the packers copy whole runs.
 */
import type * as ES from 'estree';
import type { PatchGeometry } from './conv-geometry.js';
import type { TapRun } from './conv-phases.js';
import { plus, plusScaled, times, unflatten } from './index-arith.js';
import { expr, ident, stmts } from './template.js';

/** A patch geometry read from the image at `image` (an element offset into F). */
export interface Gather extends PatchGeometry {
  readonly image: ES.Expression;
}

/** The per-patch, per-tap and copy statements shared by both packers. */
function gatherParts(g: Gather) {
  const [, IH, IW, R] = g.imageDims;
  const m = ident('m');
  return {
    R,
    coords: stmts('const n = $n, y = $y, x = $x;', {
      $n: unflatten(m, g.patchDims, 0), $y: unflatten(m, g.patchDims, 1), $x: unflatten(m, g.patchDims, 2),
    }),
    perPatch: stmts('const y0 = $y0, x0 = $x0;', {
      $y0: plus(times(ident('y'), g.rows.scale), g.rows.offset), $x0: plus(times(ident('x'), g.cols.scale), g.cols.offset),
    }),
    perTap: stmts(`
      const ta = ((t0 + t) / $TB) | 0, tb = (t0 + t) % $TB;
      const ih = $ih, iw = $iw;`, {
      $TB: g.cols.taps, $ih: plusScaled(ident('y0'), ident('ta'), g.rows.tapStep), $iw: plusScaled(ident('x0'), ident('tb'), g.cols.tapStep),
    }),
    valid: expr('ih >= 0 && ih < $IH && iw >= 0 && iw < $IW', { $IH: IH, $IW: IW }),
    src: expr('$img + ((n * $IH + ih) * $IW + iw) * $R', { $img: g.image, $IH: IH, $IW: IW, $R: R }),
  };
}

/** A's rows are patches, k runs over taps x channels (conv2d, conv2dBackpropInput). */
export function packPatchRows(g: Gather): ES.Statement[] {
  const p = gatherParts(g);
  return stmts(`
    const t0 = pc / $R;
    for (let r = 0; r < mc; r++) {
      const m = ic + r;
      $coords;
      $perPatch;
      const dst = (r >> 2) * 4 * kc + (r & 3);
      for (let t = 0; t < kc / $R; t++) {
        $perTap;
        const d = dst + t * $R4;
        if ($valid) {
          const src = $src;
          for (let c = 0; c < $R; c++) Ap[d + 4 * c] = F[src + c];
        } else {
          for (let c = 0; c < $R; c++) Ap[d + 4 * c] = 0;
        }
      }
    }`, { $R: p.R, $R4: 4 * p.R, $coords: p.coords, $perPatch: p.perPatch, $perTap: p.perTap, $valid: p.valid, $src: p.src });
}

/** A's rows are taps x channels, k runs over patches (conv2dBackpropFilter). */
export function packTapRows(g: Gather): ES.Statement[] {
  const p = gatherParts(g);
  return stmts(`
    const t0 = ic / $R;
    for (let k = 0; k < kc; k++) {
      const m = pc + k;
      $coords;
      $perPatch;
      for (let t = 0; t < mc / $R; t++) {
        $perTap;
        const r0 = t * $R;
        if ($valid) {
          const src = $src;
          for (let c = 0, r = r0; c < $R; c++, r++) Ap[(r >> 2) * 4 * kc + 4 * k + (r & 3)] = F[src + c];
        } else {
          for (let r = r0; r < r0 + $R; r++) Ap[(r >> 2) * 4 * kc + 4 * k + (r & 3)] = 0;
        }
      }
    }`, { $R: p.R, $coords: p.coords, $perPatch: p.perPatch, $perTap: p.perTap, $valid: p.valid, $src: p.src });
}

/**
 * B for the input gradient: B((ta, tb, f), c) = w[kh, kw, c, f] with kh, kw from the tap runs,
 * i.e. the filter with each tap's [C, F] block transposed; k blocks are aligned to F so each
 * column copies whole f runs. `w` is [KH, KW, C, F].
 */
export function packFilterTransposed(w: ES.Expression, KW: number, C: number, FO: number, rows: TapRun, cols: TapRun): ES.Statement[] {
  const kh = plus(times(ident('ta'), rows.step), rows.first), kw = plus(times(ident('tb'), cols.step), cols.first);
  return stmts(`
    const t0 = pc / $F;
    for (let t = 0; t < kc / $F; t++) {
      const ta = ((t0 + t) / $TB) | 0, tb = (t0 + t) % $TB;
      const tap = $kh * $KW + $kw;
      for (let c = 0; c < nc; c++) {
        const src = $w + (tap * $C + jc + c) * $F;
        const dst = (c >> 1) * 2 * kc + (c & 1) + $F2 * t;
        for (let f = 0; f < $F; f++) Bp[dst + 2 * f] = F[src + f];
      }
    }`, { $w: w, $TB: cols.count, $kh: kh, $kw: kw, $KW: KW, $C: C, $F: FO, $F2: 2 * FO });
}
