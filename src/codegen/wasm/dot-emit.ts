/**
 * Emits a WebAssembly kernel for C = A·B when C has fewer than 4 columns (a convolution with one
 * to three output channels, e.g. an autoencoder's last layer, or the input gradient of a
 * one-channel image). The matmul kernel would spend 3/4 or more of every vector on padding
 * columns there; this one takes B transposed (N x K, a few contiguous rows) and computes each
 * C(i, j) as a dot product along k, four lanes of k at a time, then sums the lanes.
 *
 * Tile: `rows` rows of A x N columns x `unroll` k vectors of independent accumulators, so the
 * multiply-adds do not wait on one another (≤ 9 accumulators + one A vector + N B vectors stay
 * within the 16 XMM registers). Shapes are constants; the function is `(c, a, bt[, bias])`:
 * byte offsets of C (M x N), A (M x K), Bᵀ (N x K) and the N-float bias.
 */
import { FuncBuilder, type LocalRef } from './builder.js';
import type { NativeEpilogue } from './matmul-emit.js';
import { envMemory, type WasmModule } from './module.js';

export interface DotShape {
  readonly M: number;
  readonly K: number;
  /** 1 to 3. */
  readonly N: number;
}

/** Rows per tile and k vectors per step for N columns (see the register count above). */
export function dotTile(N: number): { rows: number; unroll: number } {
  return N === 1 ? { rows: 4, unroll: 2 } : N === 2 ? { rows: 4, unroll: 1 } : { rows: 3, unroll: 1 };
}

export function emitDotModule(name: string, s: DotShape, epilogue: NativeEpilogue, relaxed: boolean, shared: boolean): WasmModule {
  if (s.N < 1 || s.N > 3) throw new Error(`wasm: the dot kernel takes 1 to 3 columns, not ${s.N}`);
  const params = ['c', 'a', 'bt', ...(epilogue.bias ? ['bias'] : [])].map((n) => ({ name: n, type: 'i32' as const }));
  const f = new FuncBuilder(name, params);
  const [c, a, bt] = [f.param(0), f.param(1), f.param(2)];
  const bias = epilogue.bias ? f.param(3) : undefined;
  const { rows: R, unroll: U } = dotTile(s.N);
  const i32 = (id: string) => f.local(id, 'i32');
  const [i, pa, pb, kEnd, cEnd] = ['i', 'pa', 'pb', 'kEnd', 'cEnd'].map(i32);
  const acc = Array.from({ length: R }, (_, r) => Array.from({ length: s.N }, (_, j) => Array.from({ length: U }, (_, u) => f.local(`acc${r}_${j}_${u}`, 'v128'))));
  const av = f.local('a_', 'v128');
  const bv = Array.from({ length: s.N }, (_, j) => f.local(`b${j}`, 'v128'));
  const sum = f.local('sum', 'f32');
  const K4 = Math.floor(s.K / 4), steps = Math.floor(K4 / U);
  const rowBytes = s.K * 4;

  const fma = (x: LocalRef, y: LocalRef, into: LocalRef) => {
    if (relaxed) f.get(x).get(y).get(into).op('f32x4.relaxed_madd').set(into);
    else f.get(x).get(y).op('f32x4.mul').get(into).op('f32x4.add').set(into);
  };
  /** One k vector (byte `offset` past pa/pb) into accumulator set u, for `rows` rows. */
  const step = (rows: number, offset: number, u: number) => {
    for (let j = 0; j < s.N; j++) f.get(pb).mem('v128.load', j * rowBytes + offset).set(bv[j]);
    for (let r = 0; r < rows; r++) {
      f.get(pa).mem('v128.load', r * rowBytes + offset).set(av);
      for (let j = 0; j < s.N; j++) fma(av, bv[j], acc[r][j][u]);
    }
  };

  const tile = (rows: number) => {
    for (let r = 0; r < rows; r++) for (let j = 0; j < s.N; j++) for (let u = 0; u < U; u++) f.op('v128.const', ...new Array<number>(16).fill(0)).set(acc[r][j][u]);
    f.get(i).set(pa).get(bt).set(pb);
    if (steps > 0) {
      f.get(i).i32(steps * U * 16).op('i32.add').set(kEnd);
      f.loop(() => {
        for (let u = 0; u < U; u++) step(rows, u * 16, u);
        f.addTo(pa, U * 16).addTo(pb, U * 16);
        f.get(pa).get(kEnd).op('i32.lt_u').op('br_if', 0);
      });
    }
    // k vectors the unrolled loop left, then the scalar tail (pa, pb now point just past the loop).
    for (let v = 0; v < K4 - steps * U; v++) step(rows, v * 16, 0);
    const tailAt = (K4 - steps * U) * 16;
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < s.N; j++) {
        const parts = acc[r][j];
        f.get(parts[0]);
        for (let u = 1; u < U; u++) f.get(parts[u]).op('f32x4.add');
        f.set(av);
        f.get(av).op('f32x4.extract_lane', 0).get(av).op('f32x4.extract_lane', 1).op('f32.add')
          .get(av).op('f32x4.extract_lane', 2).get(av).op('f32x4.extract_lane', 3).op('f32.add').op('f32.add').set(sum);
        for (let k = 0; k < s.K % 4; k++) {
          f.get(sum).get(pa).mem('f32.load', r * rowBytes + tailAt + k * 4).get(pb).mem('f32.load', j * rowBytes + tailAt + k * 4).op('f32.mul').op('f32.add').set(sum);
        }
        f.get(c);
        f.get(sum);
        if (bias !== undefined) f.get(bias).mem('f32.load', j * 4).op('f32.add');
        // f32.max, as f32x4.max in the matmul kernel: NaN stays NaN, max(-0, 0) is +0.
        if (epilogue.relu) f.op('f32.const', 0).op('f32.max');
        f.mem('f32.store', (r * s.N + j) * 4);
      }
    }
  };

  // i walks A's rows by byte offset; c walks C's.
  f.get(a).set(i);
  const full = Math.floor(s.M / R), edge = s.M % R;
  if (full > 0) {
    f.get(c).i32(full * R * s.N * 4).op('i32.add').set(cEnd);
    f.loop(() => {
      tile(R);
      f.addTo(i, R * rowBytes).addTo(c, R * s.N * 4);
      f.get(c).get(cEnd).op('i32.lt_u').op('br_if', 0);
    });
  }
  if (edge > 0) tile(edge);
  return {
    memory: envMemory(shared),
    globals: [],
    funcs: [f.func()],
  };
}
