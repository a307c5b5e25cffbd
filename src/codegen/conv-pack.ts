/**
 * Implicit-GEMM packers for the convolutions: they gather image patches straight into the GEMM
 * panels (no im2col matrix in memory), with zeros where a tap falls in the padding.
 *
 * A "patch" is one output position (n, y, x) of the GEMM's spatial side, a "tap" one filter
 * position (kh, kw); each (patch, tap) pair reads a contiguous run of R channels from the image,
 * or R zeros. Blocks along the tap axis are aligned to R so the packers copy whole runs.
 */
import type * as ES from 'estree';
import type { Conv2DAttrs } from '../ir/attrs.js';
import { unflatten } from './gemm.js';
import { expr, ident, stmts } from './template.js';

/** Where a (patch, tap) pair reads: per-row setup, per-tap setup, validity and run start. */
export interface Gather {
  /** Patch grid [n, y, x] that the patch index unflattens over. */
  readonly patchDims: readonly [number, number, number];
  /** Statements once per patch, after `n`, `y`, `x` are known. */
  readonly perPatch: ES.Statement[];
  /** Statements once per (patch, tap), after `kh`, `kw` are known. */
  readonly perTap: ES.Statement[];
  readonly valid: ES.Expression;
  /** Offset of the run's first channel, valid only when `valid` holds. */
  readonly src: ES.Expression;
  /** Channels per run. */
  readonly R: number;
  readonly KW: number;
}

/**
 * conv2d and its filter gradient read x at ih = y*s - pad + kh*d (y over the conv output grid).
 * `image` is x's offset; x is [N, H, W, C].
 */
export function forwardGather(image: ES.Expression, x: readonly number[], out: readonly number[], kw: number, a: Conv2DAttrs): Gather {
  const [, H, W, C] = x;
  const [N, OH, OW] = out;
  return {
    patchDims: [N, OH, OW],
    perPatch: stmts('const y0 = y * $sh - $pt, x0 = x * $sw - $pl;', { $sh: a.strides[0], $sw: a.strides[1], $pt: a.padding[0], $pl: a.padding[2] }),
    perTap: stmts('const ih = y0 + kh * $dh, iw = x0 + kw * $dw;', { $dh: a.dilation[0], $dw: a.dilation[1] }),
    valid: expr('ih >= 0 && ih < $H && iw >= 0 && iw < $W', { $H: H, $W: W }),
    src: expr('$img + ((n * $H + ih) * $W + iw) * $C', { $img: image, $H: H, $W: W, $C: C }),
    R: C,
    KW: kw,
  };
}

/** One axis of the input gradient: the output row oh with oh*s = y + pad - kh*d, if it exists. */
function backwardAxis(pos: string, tap: string, sum: string, out: string, stride: number, dilation: number, size: number):
  { setup: ES.Statement[]; valid: ES.Expression } {
  const holes = { $pos: ident(pos), $tap: ident(tap), $sum: ident(sum), $out: ident(out), $s: stride, $d: dilation, $size: size };
  if (stride === 1) {
    return { setup: stmts('const $out = $pos - $tap * $d;', holes), valid: expr('$out >= 0 && $out < $size', holes) };
  }
  return {
    setup: stmts('const $sum = $pos - $tap * $d, $out = ($sum / $s) | 0;', holes),
    // Only taps that land on a stride step contribute; the rest of the row's taps are zeros.
    valid: expr('$sum >= 0 && $sum % $s === 0 && $out < $size', holes),
  };
}

/**
 * conv2dBackpropInput reads dy at oh = (y + pad - kh*d) / s (y over the input grid), when that is
 * a whole in-range row. `image` is dy's offset; dy is [N, OH, OW, F].
 */
export function backwardGather(image: ES.Expression, dy: readonly number[], dx: readonly number[], kw: number, a: Conv2DAttrs): Gather {
  const [N, OH, OW, FO] = dy;
  const [, H, W] = dx;
  const rows = backwardAxis('y0', 'kh', 'sh', 'ih', a.strides[0], a.dilation[0], OH);
  const cols = backwardAxis('x0', 'kw', 'sw', 'iw', a.strides[1], a.dilation[1], OW);
  return {
    patchDims: [N, H, W],
    perPatch: stmts('const y0 = y + $pt, x0 = x + $pl;', { $pt: a.padding[0], $pl: a.padding[2] }),
    perTap: [...rows.setup, ...cols.setup],
    valid: { type: 'LogicalExpression', operator: '&&', left: rows.valid, right: cols.valid },
    src: expr('$img + ((n * $OH + ih) * $OW + iw) * $F', { $img: image, $OH: OH, $OW: OW, $F: FO }),
    R: FO,
    KW: kw,
  };
}

function patchCoords(g: Gather, index: string): ES.Statement[] {
  const m = ident(index);
  return stmts('const n = $n, y = $y, x = $x;', {
    $n: unflatten(m, g.patchDims, 0), $y: unflatten(m, g.patchDims, 1), $x: unflatten(m, g.patchDims, 2),
  });
}

/** A's rows are patches, k runs over taps x channels (conv2d, conv2dBackpropInput). */
export function packPatchRows(g: Gather): ES.Statement[] {
  return stmts(`
    const t0 = pc / $R;
    for (let r = 0; r < mc; r++) {
      const m = ic + r;
      $coords;
      $perPatch;
      const dst = (r >> 2) * 4 * kc + (r & 3);
      for (let t = 0; t < kc / $R; t++) {
        const kh = ((t0 + t) / $KW) | 0, kw = (t0 + t) % $KW;
        $perTap;
        const d = dst + t * $R4;
        if ($valid) {
          const src = $src;
          for (let c = 0; c < $R; c++) Ap[d + 4 * c] = F[src + c];
        } else {
          for (let c = 0; c < $R; c++) Ap[d + 4 * c] = 0;
        }
      }
    }`, { $R: g.R, $R4: 4 * g.R, $KW: g.KW, $coords: patchCoords(g, 'm'), $perPatch: g.perPatch, $perTap: g.perTap, $valid: g.valid, $src: g.src });
}

/** A's rows are taps x channels, k runs over patches (conv2dBackpropFilter). */
export function packTapRows(g: Gather): ES.Statement[] {
  return stmts(`
    const t0 = ic / $R;
    for (let k = 0; k < kc; k++) {
      const m = pc + k;
      $coords;
      $perPatch;
      for (let t = 0; t < mc / $R; t++) {
        const kh = ((t0 + t) / $KW) | 0, kw = (t0 + t) % $KW;
        $perTap;
        const r0 = t * $R;
        if ($valid) {
          const src = $src;
          for (let c = 0, r = r0; c < $R; c++, r++) Ap[(r >> 2) * 4 * kc + 4 * k + (r & 3)] = F[src + c];
        } else {
          for (let r = r0; r < r0 + $R; r++) Ap[(r >> 2) * 4 * kc + 4 * k + (r & 3)] = 0;
        }
      }
    }`, { $R: g.R, $KW: g.KW, $coords: patchCoords(g, 'm'), $perPatch: g.perPatch, $perTap: g.perTap, $valid: g.valid, $src: g.src });
}

/**
 * B for the input gradient: B((tap, f), c) = w[kh, kw, c, f], the filter with each tap's
 * [C, F] block transposed; k blocks are aligned to F so each column copies whole f runs.
 */
export function packFilterTransposed(w: ES.Expression, C: number, FO: number): ES.Statement[] {
  return stmts(`
    const t0 = pc / $F;
    for (let t = 0; t < kc / $F; t++) {
      for (let c = 0; c < nc; c++) {
        const src = $w + ((t0 + t) * $C + jc + c) * $F;
        const dst = (c >> 1) * 2 * kc + (c & 1) + $F2 * t;
        for (let f = 0; f < $F; f++) Bp[dst + 2 * f] = F[src + f];
      }
    }`, { $w: w, $C: C, $F: FO, $F2: 2 * FO });
}
