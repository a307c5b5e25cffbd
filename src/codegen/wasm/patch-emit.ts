/**
 * Emits the WebAssembly that moves image patches between an NHWC image and the row-major patch
 * matrix the matmul kernel reads in place (im2col), and back (for the strided input gradient,
 * whose GEMM rows are every s-th pixel of dx).
 *
 * A patch is one position (n, y, x) of a grid; a tap one point (ta, tb) of a TA x TB grid. The
 * patch's row holds, per tap in row-major order, the R channels of the image pixel at
 *   ih = y*scale + offset + ta*tapStep,  iw likewise,
 * or R zeros where that pixel is outside the image (padding). Every shape is a constant; the
 * exported function is `(dst, src, count, n, y, x)`: byte offsets, then the number of patches
 * and the coordinates of the first (the caller computes them, so the module needs no division).
 * Channel runs are copied as f32x4 vectors, the last one overlapping the one before when R is
 * not a multiple of 4, so no scalar tail is needed unless R < 4.
 */
import { rowFloats, type PatchAxis, type PatchGeometry } from '../conv-geometry.js';
import { FuncBuilder, type LocalRef } from './builder.js';
import { envMemory, type WasmModule } from './module.js';

/** True when every (patch, tap) along the axis lands inside the image, so no test is emitted. */
function alwaysInside(a: PatchAxis, patches: number, size: number): boolean {
  const ends = [0, patches - 1].flatMap((p) => [0, a.taps - 1].map((t) => p * a.scale + a.offset + t * a.tapStep));
  return Math.min(...ends) >= 0 && Math.max(...ends) < size;
}

/** Copies R floats from `from` to `to` (both plus constant byte offsets), or stores zeros. */
function copyRun(f: FuncBuilder, R: number, to: LocalRef, toOffset: number, from: LocalRef | 'zero', fromOffset: number, zero: LocalRef): void {
  const vectors = Math.floor(R / 4);
  const starts: number[] = [];
  for (let v = 0; v < vectors; v++) starts.push(v * 16);
  // The overlapping last vector rewrites values the previous one stored: same bytes, no tail.
  if (vectors > 0 && R % 4 !== 0) starts.push((R - 4) * 4);
  for (const at of starts) {
    f.get(to);
    if (from === 'zero') f.get(zero); else f.get(from).mem('v128.load', fromOffset + at);
    f.mem('v128.store', toOffset + at);
  }
  if (vectors === 0) {
    for (let c = 0; c < R; c++) {
      f.get(to);
      if (from === 'zero') f.op('f32.const', 0); else f.get(from).mem('f32.load', fromOffset + c * 4);
      f.mem('f32.store', toOffset + c * 4);
    }
  }
}

/**
 * `direction` 'gather': dst is the patch matrix, src the image (im2col). 'scatter': dst is the
 * image, src the rows, one tap per patch, every pixel inside (the input gradient's phases).
 */
export function emitPatchModule(name: string, s: PatchGeometry, direction: 'gather' | 'scatter', shared = false): WasmModule {
  const [, IH, IW, R] = s.imageDims;
  const [, PY, PX] = s.patchDims;
  const f = new FuncBuilder(name, ['dst', 'src', 'count', 'n', 'y', 'x'].map((n) => ({ name: n, type: 'i32' as const })));
  const [dst, src, count, n, y, x] = [0, 1, 2, 3, 4, 5].map((i) => f.param(i));
  const i32 = (id: string) => f.local(id, 'i32');
  const [row, end, iy0, ix0, pixel, at] = ['row', 'end', 'iy0', 'ix0', 'pixel', 'at'].map(i32);
  const zero = f.local('zero', 'v128');
  const rowBytes = rowFloats(s) * 4;
  if (direction === 'scatter' && (s.rows.taps !== 1 || s.cols.taps !== 1)) throw new Error('wasm: a patch scatter has one tap');
  const rowsInside = alwaysInside(s.rows, PY, IH), colsInside = alwaysInside(s.cols, PX, IW);
  if (direction === 'scatter' && !(rowsInside && colsInside)) throw new Error('wasm: a patch scatter must stay inside the image');

  f.op('v128.const', ...new Array<number>(16).fill(0)).set(zero);
  // The patch rows run from `row` to `end`; the image side is `pixel`.
  const rows = direction === 'gather' ? dst : src, image = direction === 'gather' ? src : dst;
  f.get(rows).set(row);
  f.get(count).i32(rowBytes).op('i32.mul').get(rows).op('i32.add').set(end);
  f.loop(() => {
    f.get(y).i32(s.rows.scale).op('i32.mul').i32(s.rows.offset).op('i32.add').set(iy0);
    f.get(x).i32(s.cols.scale).op('i32.mul').i32(s.cols.offset).op('i32.add').set(ix0);
    // Byte offset of pixel (n, iy0, ix0); it may lie outside the image, only its valid taps are read.
    f.get(n).i32(IH).op('i32.mul').get(iy0).op('i32.add').i32(IW).op('i32.mul').get(ix0).op('i32.add')
      .i32(R * 4).op('i32.mul').get(image).op('i32.add').set(pixel);
    for (let ta = 0; ta < s.rows.taps; ta++) {
      for (let tb = 0; tb < s.cols.taps; tb++) {
        const rowOffset = (ta * s.cols.taps + tb) * R * 4;
        const delta = (ta * s.rows.tapStep * IW + tb * s.cols.tapStep) * R * 4;
        const copy = () => {
          f.get(pixel).i32(delta).op('i32.add').set(at);
          if (direction === 'gather') copyRun(f, R, row, rowOffset, at, 0, zero);
          else copyRun(f, R, at, 0, row, rowOffset, zero);
        };
        const tests: (() => void)[] = [];
        // Unsigned compare: a negative coordinate wraps to a huge one and fails too.
        if (!rowsInside) tests.push(() => f.get(iy0).i32(ta * s.rows.tapStep).op('i32.add').i32(IH).op('i32.lt_u'));
        if (!colsInside) tests.push(() => f.get(ix0).i32(tb * s.cols.tapStep).op('i32.add').i32(IW).op('i32.lt_u'));
        if (tests.length === 0) { copy(); continue; }
        tests.forEach((t, i) => { t(); if (i > 0) f.op('i32.and'); });
        f.if(copy, () => copyRun(f, R, row, rowOffset, 'zero', 0, zero));
      }
    }
    f.addTo(row, rowBytes);
    // Next patch: x, then y, then n.
    f.addTo(x, 1);
    f.get(x).i32(PX).op('i32.eq').if(() => {
      f.i32(0).set(x);
      f.addTo(y, 1);
      f.get(y).i32(PY).op('i32.eq').if(() => { f.i32(0).set(y); f.addTo(n, 1); });
    });
    f.get(row).get(end).op('i32.lt_u').op('br_if', 0);
  });
  return {
    memory: envMemory(shared),
    globals: [],
    funcs: [f.func()],
  };
}
