/**
 * WebAssembly SIMD kernels for max pooling, its gradient, and the bias gradient's sum over every
 * axis but the last: NHWC layouts with the channels as the f32x4 lanes (four channels per vector,
 * so C % 4 must be 0; other groups stay on JavaScript).
 *
 * - maxPool2d scans each window in row-major order with `m = v > m ? v : m` (a strict compare,
 *   so NaN never wins and an all-NaN or empty window gives -Infinity), as the interpreter does.
 * - maxPool2dGrad finds each window's FIRST maximum the same way (the first tap is always taken,
 *   then strictly greater ones), keeping per lane the winning tap's address, then walks the window
 *   again adding dy where the tap won (dx is zeroed first; +0 is added elsewhere, which changes no
 *   stored value, so the sums match the JavaScript tier's `dx[best] += dy` in the same order).
 *   When windows cannot overlap (stride >= window on both axes) the walk stores instead of adding.
 * - sum over axes 0..r-2 accumulates each row into float64 pairs (f64x2) held in locals, as the
 *   JavaScript tier accumulates in a float64 number, then rounds once to float32.
 *
 * Each takes a range (ranged-kernel.ts) after its offsets: of images for pooling (an image's
 * windows read and write that image only), of channel groups for the sum (each channel's rows
 * are summed in the same order whatever the range; a group is a 64-byte cache line of a row when
 * C allows, so no two threads read the same line), so threads can share a call.
 *
 * A module depends on shapes and attributes only, so it is cached; an instance binds one memory.
 */
import type { FusedKernel } from '../../ir/fusion.js';
import type { Node } from '../../ir/node.js';
import { sizeOf } from '../../ir/types.js';
import { FuncBuilder, type LocalRef } from './builder.js';
import type { WasmMemory } from './engine.js';
import { wasmFeatures } from './features.js';
import { envMemory, type WasmModule } from './module.js';
import { ModuleCache, moduleKey } from './module-cache.js';
import type { RangedFn, RangedKernel } from './ranged-kernel.js';
import { printWat } from './wat.js';

export type PoolFn = RangedFn;

export interface WasmPoolKernel extends RangedKernel {
  readonly name: string;
  /** Buffers in the order the function takes their byte offsets. */
  readonly buffers: readonly Node[];
  /** Scratch the kernel needs: none (the interface's field, for the lowering). */
  readonly scratchBytes: number;
  /** What it computes (the native tier's C twin of the sum reads it). */
  readonly plan: PoolPlan;
  wat(shared?: boolean): string;
  instantiate(memory: WasmMemory): PoolFn;
}

export type PoolPlan =
  | { readonly kind: 'maxPool2d' | 'maxPool2dGrad'; readonly x: readonly number[]; readonly y: readonly number[]; readonly attrs: Node<'maxPool2dGrad'>['attrs'] }
  | { readonly kind: 'sum'; readonly rows: number; readonly c: number };

const dims = (n: Node): number[] | undefined => (n.shape.every((d) => typeof d === 'number' && d > 0) ? (n.shape as number[]) : undefined);

/** The group as one of this file's kernels, or undefined when it is not one. */
function match(k: FusedKernel): { plan: PoolPlan; buffers: Node[]; name: string } | undefined {
  const a = k.anchor;
  if (k.epilogue.length !== 0 || k.outputs.length !== 1 || k.outputs[0] !== a || k.stages !== undefined || k.inline.size !== 0) return undefined;
  if (a.dtype !== 'float32' || !a.inputs.every((i) => i.dtype === 'float32' && k.inputs.includes(i))) return undefined;
  if (k.kind === 'opaque' && (a.op === 'maxPool2d' || a.op === 'maxPool2dGrad')) {
    const node = a as Node<'maxPool2d' | 'maxPool2dGrad'>;
    const x = dims(node.inputs[0]);
    const y = dims(a.op === 'maxPool2d' ? a : a.inputs[1]);
    if (x === undefined || y === undefined || x.length !== 4 || y.length !== 4 || x[3] % 4 !== 0 || y[3] !== x[3]) return undefined;
    const positive = a.op === 'maxPool2dGrad' && (a as Node<'maxPool2dGrad'>).attrs.positiveOnly === true;
    const name = `${a.op}_${(a.shape as number[]).join('x')}${positive ? '_positive' : ''}_simd`;
    return { plan: { kind: a.op, x, y, attrs: node.attrs }, buffers: [a, ...a.inputs], name };
  }
  if (k.kind === 'reduce' && a.op === 'sum') {
    const node = a as Node<'sum'>;
    const x = dims(node.inputs[0]);
    if (x === undefined || x.length < 2) return undefined;
    const axes = [...node.attrs.axes].sort((p, q) => p - q);
    if (axes.length !== x.length - 1 || axes.some((d, i) => d !== i)) return undefined;
    const c = x[x.length - 1];
    if (c % 4 !== 0) return undefined;
    return { plan: { kind: 'sum', rows: sizeOf(x) / c, c }, buffers: [a, node.inputs[0]], name: `sum_${x.join('x')}_axis${axes.join('')}_simd` };
  }
  return undefined;
}

const cache = new ModuleCache();

export function wasmPoolCacheSize(): number {
  return cache.size;
}

export function compileWasmPool(k: FusedKernel): WasmPoolKernel | undefined {
  if (!wasmFeatures().simd) return undefined;
  const m = match(k);
  if (m === undefined) return undefined;
  const { plan, buffers, name } = m;
  const key = moduleKey(name, JSON.stringify(plan));
  const emitFor = (shared: boolean) => emit(plan, name, shared);
  return {
    name, buffers, plan,
    scratchBytes: 0,
    units: plan.kind === 'sum' ? plan.c / sumGroup(plan.c) : plan.x[0],
    oneRangePerThread: plan.kind === 'sum',
    module: (shared: boolean) => cache.get(key, shared, emitFor).module,
    wat: (shared = false) => printWat(cache.get(key, shared, emitFor).spec),
    instantiate: (memory: WasmMemory): PoolFn => cache.instantiate<PoolFn>(key, memory, emitFor, name),
  };
}

function emit(plan: PoolPlan, name: string, shared: boolean): WasmModule {
  const f = plan.kind === 'sum' ? emitSum(plan.rows, plan.c, name) : emitPool(plan, name);
  return {
    memory: envMemory(shared),
    globals: [],
    funcs: [f.func()],
  };
}

/** Runs `inner` for counter = start.. end-1 (an i32 local `end`), skipping it when empty. */
function range(f: FuncBuilder, counter: LocalRef, start: LocalRef, end: LocalRef, inner: () => void): void {
  f.get(start).set(counter);
  f.get(start).get(end).op('i32.lt_s').if(() => { f.doWhile(counter, 1, end, inner); });
}

/** Pushes min(a, b) or max(a, b) of two i32 values already computed into locals. */
function pick(f: FuncBuilder, a: LocalRef, b: LocalRef, min: boolean): void {
  f.get(a).get(b).get(a).get(b).op(min ? 'i32.lt_s' : 'i32.gt_s').op('select');
}

/** Everything the pooling emitters share: the function, its shapes and its locals. */
interface PoolEmit {
  readonly f: FuncBuilder;
  readonly dims: { readonly N: number; readonly H: number; readonly W: number; readonly OH: number; readonly OW: number };
  readonly window: { readonly KH: number; readonly KW: number; readonly SH: number; readonly SW: number; readonly PT: number; readonly PL: number };
  /** Bytes of one pixel's channels. */
  readonly rowBytes: number;
  /** Windows may overlap, so a gradient tap adds to dx rather than storing. */
  readonly overlap: boolean;
  /** No padding and every window inside x: the taps unroll as constant offsets. */
  readonly unrolled: boolean;
  /** The gradient reaches only taps whose value is positive (maxPool2dGrad's positiveOnly). */
  readonly positiveOnly: boolean;
  /** The output (y, or dx) and x. */
  readonly out: LocalRef;
  readonly x: LocalRef;
  /** The images this call computes. */
  readonly r0: LocalRef;
  readonly r1: LocalRef;
  readonly at: {
    readonly n: LocalRef; readonly oh: LocalRef; readonly ow: LocalRef; readonly h: LocalRef; readonly w: LocalRef;
    /** The window's clipped bounds [hs, he) x [ws, we). */
    readonly hs: LocalRef; readonly he: LocalRef; readonly ws: LocalRef; readonly we: LocalRef;
    readonly t0: LocalRef; readonly t1: LocalRef;
    /** Byte offset of the channel group, the output pixel, the tap in x, the window's top-left tap. */
    readonly c: LocalRef; readonly yp: LocalRef; readonly xa: LocalRef; readonly xb: LocalRef;
    readonly zero: LocalRef;
  };
  /** The running maximum, the tap's value, the lanes where it wins. */
  readonly m: LocalRef;
  readonly v: LocalRef;
  readonly mask: LocalRef;
  /** The gradient only: dy, the winning tap per lane, dy's value, a zero vector. */
  readonly grad?: { readonly dy: LocalRef; readonly best: LocalRef; readonly g: LocalRef; readonly zero: LocalRef };
}

function emitPool(plan: Extract<PoolPlan, { kind: 'maxPool2d' | 'maxPool2dGrad' }>, name: string): FuncBuilder {
  const p = poolEmit(plan, name);
  // Windows that tile x exactly store every tap of it (dy or +0): zeroing dx first would be a
  // second write pass over it.
  const { dims: { H, W, OH, OW }, window: { KH, KW, SH, SW } } = p;
  const tiles = p.unrolled && !p.overlap && SH === KH && SW === KW && OH * SH === H && OW * SW === W;
  if (p.grad !== undefined) {
    p.f.op('v128.const', ...new Array<number>(16).fill(0)).set(p.grad.zero);
    if (!tiles) zeroOutput(p, p.grad, (sizeOf(plan.x) / plan.x[0]) * 4);
  }
  eachWindow(p, () => (p.unrolled ? unrolledWindow(p) : loopedWindow(p)));
  return p.f;
}

/** Declares the function and its locals (in a fixed order: it decides their indices). */
function poolEmit(plan: Extract<PoolPlan, { kind: 'maxPool2d' | 'maxPool2dGrad' }>, name: string): PoolEmit {
  const grad = plan.kind === 'maxPool2dGrad';
  const [N, H, W, C] = plan.x;
  const [, OH, OW] = plan.y;
  const { window: [KH, KW], strides: [SH, SW], padding } = plan.attrs;
  const [PT, , PL] = padding;
  // o0: the output (y, or dx); o1: x; o2: dy (gradient only); then the images [r0, r1).
  const f = new FuncBuilder(name, [...(grad ? ['o0', 'o1', 'o2'] : ['o0', 'o1']), 'r0', 'r1'].map((n) => ({ name: n, type: 'i32' as const })));
  const r0 = f.param(grad ? 3 : 2), r1 = f.param(grad ? 4 : 3);
  const i32 = (n: string) => f.local(n, 'i32');
  const v128 = (n: string) => f.local(n, 'v128');
  const n = i32('n'), oh = i32('oh'), ow = i32('ow'), h = i32('h'), w = i32('w');
  const hs = i32('hs'), he = i32('he'), ws = i32('ws'), we = i32('we'), t0 = i32('t0'), t1 = i32('t1');
  const c = i32('c'), yp = i32('yp'), xa = i32('xa');
  const zero = i32('zero');
  const m = v128('m'), v = v128('v'), mask = v128('mask');
  const gradLocals = grad ? { dy: f.param(2), best: v128('best'), g: v128('g'), zero: v128('zeros') } : undefined;
  const xb = i32('xb');
  return {
    f, dims: { N, H, W, OH, OW }, window: { KH, KW, SH, SW, PT, PL }, rowBytes: C * 4,
    overlap: SH < KH || SW < KW,
    positiveOnly: grad && plan.attrs.positiveOnly === true,
    unrolled: padding.every((q) => q === 0) && (OH - 1) * SH + KH <= H && (OW - 1) * SW + KW <= W && KH * KW <= 25,
    out: f.param(0), x: f.param(1), r0, r1,
    at: { n, oh, ow, h, w, hs, he, ws, we, t0, t1, c, yp, xa, xb, zero },
    m, v, mask,
    ...(gradLocals !== undefined ? { grad: gradLocals } : {}),
  };
}

/** dx = 0 over the range's images (`imageBytes` each), before the windows add into it. */
function zeroOutput(p: PoolEmit, g: NonNullable<PoolEmit['grad']>, imageBytes: number): void {
  const { f, r0, r1, at: { c, t1 } } = p;
  f.get(r0).i32(imageBytes).op('i32.mul').set(c);
  f.get(r1).i32(imageBytes).op('i32.mul').set(t1);
  f.get(c).get(t1).op('i32.lt_s').if(() => { f.doWhile(c, 16, t1, () => { f.get(p.out).get(c).op('i32.add').get(g.zero).mem('v128.store', 0); }); });
}

/**
 * Loops over the output pixels (n, oh, ow), clipping each window to x, and runs `window` per
 * channel group c with yp at the output pixel (dy's, for the gradient).
 */
function eachWindow(p: PoolEmit, window: () => void): void {
  const { f, dims: { H, W, OH, OW }, window: { KH, KW, SH, SW, PT, PL }, rowBytes } = p;
  const { n, oh, ow, hs, he, ws, we, c, yp, xb, zero } = p.at;
  f.i32(0).set(zero);
  // yp at the range's first image of the output (dy for the gradient).
  f.get(p.grad !== undefined ? p.grad.dy : p.out).get(p.r0).i32(OH * OW * rowBytes).op('i32.mul').op('i32.add').set(yp);
  range(f, n, p.r0, p.r1, () => {
    f.i32(0).set(oh);
    f.doWhile(oh, 1, OH, () => {
      clipWindow(p, oh, SH, PT, KH, H, hs, he);
      f.i32(0).set(ow);
      f.doWhile(ow, 1, OW, () => {
        clipWindow(p, ow, SW, PL, KW, W, ws, we);
        if (p.unrolled) {
          // The window's top-left tap: taps are then constant offsets from it.
          f.get(n).i32(H).op('i32.mul').get(oh).i32(SH).op('i32.mul').op('i32.add').i32(W).op('i32.mul');
          f.get(ow).i32(SW).op('i32.mul').op('i32.add').i32(rowBytes).op('i32.mul').get(p.x).op('i32.add').set(xb);
        }
        f.i32(0).set(c);
        f.doWhile(c, 16, rowBytes, window);
        f.addTo(yp, rowBytes);
      });
    });
  });
}

/** start = max(o*stride - pad, 0), end = min(o*stride - pad + taps, size): the window along one axis. */
function clipWindow(p: PoolEmit, o: LocalRef, stride: number, pad: number, taps: number, size: number, start: LocalRef, end: LocalRef): void {
  const { f, at: { t0, t1, zero } } = p;
  f.get(o).i32(stride).op('i32.mul').i32(pad).op('i32.sub').set(t0);
  pick(f, t0, zero, false); f.set(start);
  f.get(t0).i32(taps).op('i32.add').set(t1); f.i32(size).set(t0);
  pick(f, t1, t0, true); f.set(end);
}

/** The window's taps for channels [c, c+4): `tap` runs with xa = the tap's byte address in x. */
function eachTap(p: PoolEmit, tap: () => void): void {
  const { f, dims: { H, W }, rowBytes, at: { n, h, w, hs, he, ws, we, c, xa } } = p;
  range(f, h, hs, he, () => {
    // xa = x + ((n*H + h)*W + ws)*C*4 + c
    f.get(n).i32(H).op('i32.mul').get(h).op('i32.add').i32(W).op('i32.mul').get(ws).op('i32.add').i32(rowBytes).op('i32.mul');
    f.get(p.x).op('i32.add').get(c).op('i32.add').set(xa);
    range(f, w, ws, we, () => {
      tap();
      f.addTo(xa, rowBytes);
    });
  });
}

/** One channel group's window with runtime bounds (padding may clip it); xa walks the taps. */
function loopedWindow(p: PoolEmit): void {
  const { f, m, v, mask, grad, at: { c, yp, xa, t0 } } = p;
  f.op('f32.const', -Infinity).op('f32x4.splat').set(m);
  if (grad === undefined) {
    eachTap(p, () => { f.get(m).get(xa).mem('v128.load', 0).op('f32x4.pmax').set(m); });
    f.get(yp).get(c).op('i32.add').get(m).mem('v128.store', 0);
    return;
  }
  f.i32(-1).op('i32x4.splat').set(grad.best);
  eachTap(p, () => {
    // Taken when strictly greater, or when nothing is taken yet (the first tap).
    f.get(xa).mem('v128.load', 0).tee(v).get(m).op('f32x4.gt');
    f.get(grad.best).i32(-1).op('i32x4.splat').op('i32x4.eq').op('v128.or').set(mask);
    f.get(v).get(m).get(mask).op('v128.bitselect').set(m);
    f.get(xa).op('i32x4.splat').get(grad.best).get(mask).op('v128.bitselect').set(grad.best);
  });
  f.get(yp).get(c).op('i32.add').mem('v128.load', 0).set(grad.g);
  if (p.positiveOnly) maskNonPositive(p, grad);
  eachTap(p, () => {
    f.get(xa).get(p.x).op('i32.sub').get(p.out).op('i32.add').set(t0);
    addGradient(p, grad, t0, 0, () => { f.get(xa).op('i32x4.splat'); });
  });
}

/** One channel group's window when no window is clipped: every tap a constant offset from xb. */
function unrolledWindow(p: PoolEmit): void {
  const { f, m, v, mask, grad, dims: { W }, window: { KH, KW }, rowBytes, at: { c, yp, xa, xb, t0 } } = p;
  f.get(xb).get(c).op('i32.add').set(xa);
  const offsets: number[] = [];
  for (let kh = 0; kh < KH; kh++) for (let kw = 0; kw < KW; kw++) offsets.push((kh * W + kw) * rowBytes);
  if (grad === undefined) {
    // From -Infinity, each tap through pmax (m < v ? v : m): a NaN tap never wins, as the reference's `if (v > m)`.
    f.op('f32.const', -Infinity).op('f32x4.splat').set(m);
    for (const off of offsets) f.get(m).get(xa).mem('v128.load', off).op('f32x4.pmax').set(m);
    f.get(yp).get(c).op('i32.add').get(m).mem('v128.store', 0);
    return;
  }
  // The gradient takes its first tap whatever it holds, as the reference does.
  offsets.forEach((off, t) => {
    if (t === 0) {
      f.get(xa).mem('v128.load', off).set(m);
      f.i32(0).op('i32x4.splat').set(grad.best);
      return;
    }
    f.get(xa).mem('v128.load', off).tee(v).get(m).op('f32x4.gt').set(mask);
    f.get(v).get(m).get(mask).op('v128.bitselect').set(m);
    f.i32(t).op('i32x4.splat').get(grad.best).get(mask).op('v128.bitselect').set(grad.best);
  });
  f.get(yp).get(c).op('i32.add').mem('v128.load', 0).set(grad.g);
  if (p.positiveOnly) maskNonPositive(p, grad);
  f.get(xa).get(p.x).op('i32.sub').get(p.out).op('i32.add').set(t0);
  offsets.forEach((off, t) => addGradient(p, grad, t0, off, () => { f.i32(t).op('i32x4.splat'); }));
}

/** dy where the window's maximum (m, the winning tap's value) is positive, else +0: a pooled relu's relu′. */
function maskNonPositive(p: PoolEmit, grad: NonNullable<PoolEmit['grad']>): void {
  p.f.get(grad.g).get(p.m).get(grad.zero).op('f32x4.gt').op('v128.and').set(grad.g);
}

/** dx[tap] (+)= (tap won ? dy : +0), through a +0 add so -0 lands as the JS tier's 0 + -0. */
function addGradient(p: PoolEmit, grad: NonNullable<PoolEmit['grad']>, at: LocalRef, offset: number, tapId: () => void): void {
  const { f } = p;
  f.get(at);
  f.get(grad.g).get(grad.best);
  tapId();
  f.op('i32x4.eq').op('v128.and');
  if (p.overlap) f.get(at).mem('v128.load', offset);
  else f.get(grad.zero);
  f.op('f32x4.add').mem('v128.store', offset);
}

/** Channels per unit of the sum's range: a cache line's sixteen when C is a multiple of them, else four. */
export const sumGroup = (C: number): number => (C % 16 === 0 ? 16 : 4);

/**
 * out[c] = sum over rows of x[row, c] in float64, rounded once, for the channel groups [r0, r1)
 * (sumGroup channels each). A group's float64 pairs live in locals (registers) while its rows go
 * by: accumulators kept in memory cost a load and a store per row and channel pair, and bound the
 * pass well below the memory's rate. Each channel still adds its rows in order, as the C twin does.
 */
function emitSum(rows: number, C: number, name: string): FuncBuilder {
  const f = new FuncBuilder(name, ['o0', 'o1', 'r0', 'r1'].map((n) => ({ name: n, type: 'i32' as const })));
  const [out, x, r0, r1] = [f.param(0), f.param(1), f.param(2), f.param(3)];
  const group = sumGroup(C), pairs = group / 2;
  const r = f.local('r', 'i32'), g = f.local('g', 'i32'), xa = f.local('xa', 'i32');
  const acc = Array.from({ length: pairs }, (_, i) => f.local(`acc${i}`, 'v128'));
  f.get(r0).set(g);
  f.get(g).get(r1).op('i32.lt_s').if(() => {
    f.doWhile(g, 1, r1, () => {
      for (const a of acc) f.op('v128.const', ...new Array<number>(16).fill(0)).set(a);
      f.get(g).i32(group * 4).op('i32.mul').get(x).op('i32.add').set(xa);
      f.i32(0).set(r);
      f.doWhile(r, 1, rows, () => {
        acc.forEach((a, i) => {
          f.get(a).get(xa).mem('v128.load64_zero', i * 8).op('f64x2.promote_low_f32x4').op('f64x2.add').set(a);
        });
        f.addTo(xa, C * 4);
      });
      // Round each pair once to float32.
      acc.forEach((a, i) => {
        f.get(g).i32(group * 4).op('i32.mul').get(out).op('i32.add');
        f.get(a).op('f32x4.demote_f64x2_zero').mem('v128.store64_lane', i * 8, 0);
      });
    });
  });
  return f;
}
