/**
 * Emits the WebAssembly module of one flat elementwise group (see elementwise-match.ts): a loop
 * over four elements at a time on f32x4 lanes, then a tail loop over the last size % 4 elements
 * one at a time. The tail runs the very same vector ops on lane 0 (single-element loads and
 * lane stores) rather than scalar f32 ops, so every element gets bit-identical arithmetic, NaN
 * and -0 handling, whichever loop computes it. With slices (rows > 1) those two loops cover one
 * row and an outer loop steps every buffer's row start (a slice's by its own stride; its element
 * offset is the loads' constant offset). Each op's instructions and the value loads and stores
 * are simd-ops.ts's, shared with the row kernels (row-emit.ts); exp, log, tanh, sigmoid and sign
 * are simd-math.ts's.
 *
 * Constants, one-element
 * buffers and the nodes computed only from them are computed once, before the loops. Random
 * draws hash the element index on i32x4 lanes exactly as `uniformAt` does (ir/math.ts), so the
 * tiers and the interpreter draw the same numbers.
 *
 * The exported function takes the byte offset of each buffer (outputs, then inputs), then a range
 * [b0, b1) of units (elementwiseUnits: blocks of four elements, the tail one more; rows in row
 * mode) to compute, so the
 * worker pool can split one call over threads; every element's arithmetic (and random draw, keyed
 * by its absolute index) is the same whichever range computes it. Per element
 * every load and every computation comes before any store, so an output written in place over an
 * input (a variable update) still reads the input's old value.
 */
import type { Node } from '../../ir/node.js';
import { FuncBuilder, type LocalRef } from './builder.js';
import type { FlatElementwise } from './elementwise-match.js';
import { envMemory, type WasmModule } from './module.js';
import { SimdMath } from './simd-math.js';
import { constantsNeeded, constKey, emitSimdOp, loadSplat, loadValue, pushConstant, storeValue, type Lanes, type SimdOpContext } from './simd-ops.js';

class ElementwiseEmitter implements SimdOpContext {
  readonly f: FuncBuilder;
  readonly math: SimdMath;
  private readonly base = new Map<Node, LocalRef>();
  /** Each value's local per context (undefined: outside every pad); uniform values have one. */
  private readonly value = new Map<Node, Map<Node | undefined, LocalRef>>();
  /** One local per distinct constant, keyed by dtype and value (-0 apart from +0). */
  private readonly consts = new Map<string, { readonly local: LocalRef; readonly node: Node<'fill'> }>();
  private readonly p: LocalRef;
  /** The block range [b0, b1) this call computes. */
  private readonly b0: LocalRef;
  private readonly b1: LocalRef;
  private readonly zeroLocal: LocalRef | undefined;
  private readonly oneLocal: LocalRef | undefined;
  /** Each random draw's stream key, and the hash's constants and scratch, when there are draws. */
  private readonly keys = new Map<Node, LocalRef>();
  private readonly hash: { readonly h: LocalRef; readonly mixA: LocalRef; readonly mixB: LocalRef; readonly iota: LocalRef; readonly unit: LocalRef } | undefined;
  /** Lanes of the loop body being emitted. */
  private lanes: Lanes = 4;
  /**
   * Where the current row starts, per buffer and row stride in elements (a buffer's own rows are
   * `cols` apart, a slice's rows its stride): the buffer's parameter itself when there is one
   * row, else a local advanced after each row.
   */
  private readonly rowStart = new Map<string, { readonly local: LocalRef; readonly buffer: Node; readonly stride: number; readonly shift: number }>();
  private readonly row: LocalRef | undefined;
  /** Input buffers read element by element (not only through slices, not splatted), with the pad they are read under. */
  private readonly direct: readonly { readonly buffer: Node; readonly ctx: Node | undefined }[];

  constructor(readonly plan: FlatElementwise, name: string) {
    const params = [...plan.buffers.map((_, i) => ({ name: `o${i}`, type: 'i32' as const })), { name: 'b0', type: 'i32' as const }, { name: 'b1', type: 'i32' as const }];
    const f = new FuncBuilder(name, params);
    this.f = f;
    this.math = new SimdMath(f);
    plan.buffers.forEach((b, i) => this.base.set(b, f.param(i)));
    this.b0 = f.param(plan.buffers.length);
    this.b1 = f.param(plan.buffers.length + 1);
    this.p = f.local('p', 'i32');
    // A value is read in the contexts of its users (a pad's operand under that pad).
    const readIn = (n: Node) => (n.op === 'pad' ? [n] : [...(plan.contexts.get(n) ?? [])]);
    const direct: { buffer: Node; ctx: Node | undefined }[] = [];
    for (const b of plan.buffers) {
      if (plan.outputs.includes(b) || plan.uniform.has(b)) continue;
      const ctxs = new Set(plan.order.filter((n) => n.op !== 'slice' && n.inputs.includes(b)).flatMap(readIn));
      for (const ctx of ctxs) direct.push({ buffer: b, ctx });
    }
    this.direct = direct;
    const local = (n: Node, ctx: Node | undefined, name: string) => {
      const m = this.value.get(n) ?? new Map<Node | undefined, LocalRef>();
      m.set(ctx, f.local(name, 'v128'));
      this.value.set(n, m);
    };
    const ctxIndex = (ctx: Node | undefined) => (ctx === undefined ? '' : `_${[...plan.pads.keys()].indexOf(ctx)}`);
    plan.buffers.forEach((b, i) => {
      if (plan.uniform.has(b)) local(b, undefined, `x${i}`);
      for (const { ctx } of direct.filter((d) => d.buffer === b)) local(b, ctx, `x${i}${ctxIndex(ctx)}`);
    });
    this.row = plan.rows > 1 || plan.pads.size > 0 ? f.local('row', 'i32') : undefined;
    for (const b of plan.outputs) this.rowLocal(b, plan.cols, 0);
    for (const { buffer, ctx } of direct) {
      const pad = ctx === undefined ? undefined : plan.pads.get(ctx)!;
      this.rowLocal(buffer, pad?.width ?? plan.cols, pad?.lo ?? 0);
    }
    for (const [n, r] of plan.slices) for (const ctx of plan.contexts.get(n)!) this.rowLocal(n.inputs[0], r.stride, this.shift(ctx));
    plan.order.forEach((n, i) => {
      if (n.op !== 'fill') {
        if (plan.uniform.has(n)) local(n, undefined, `t${i}`);
        else for (const ctx of plan.contexts.get(n) ?? []) local(n, ctx, `t${i}${ctxIndex(ctx)}`);
      } else if (!this.consts.has(constKey(n as Node<'fill'>))) {
        this.consts.set(constKey(n as Node<'fill'>), { local: f.local(`k${this.consts.size}`, 'v128'), node: n as Node<'fill'> });
      }
    });
    const needs = constantsNeeded(plan.buffers, plan.order);
    this.zeroLocal = needs.zero ? f.local('zero', 'v128') : undefined;
    this.oneLocal = needs.one ? f.local('one', 'v128') : undefined;
    plan.order.forEach((n, i) => { if (n.op === 'randomUniform') this.keys.set(n, f.local(`r${i}`, 'v128')); });
    const v128 = (name: string) => f.local(name, 'v128');
    this.hash = this.keys.size > 0 ? { h: v128('h'), mixA: v128('mixA'), mixB: v128('mixB'), iota: v128('iota'), unit: v128('unit') } : undefined;
  }

  /** The all-zero vector: +0.0 lanes, false masks, and the second half of narrowing. */
  zero(): LocalRef {
    if (this.zeroLocal === undefined) throw new Error('wasm: the elementwise kernel did not plan for a zero vector');
    return this.zeroLocal;
  }

  oneF32(): LocalRef {
    if (this.oneLocal === undefined) throw new Error('wasm: the elementwise kernel did not plan for a vector of ones');
    return this.oneLocal;
  }

  private valueOf(n: Node, ctx: Node | undefined = undefined): LocalRef {
    // A fill can also reach the kernel as an input buffer (materialized by another kernel): then it
    // is loaded like any buffer, and only the fills computed here are constants of the loop.
    const l = (n.op === 'fill' ? this.consts.get(constKey(n as Node<'fill'>))?.local : undefined)
      ?? this.value.get(n)?.get(this.plan.uniform.has(n) ? undefined : ctx);
    if (l === undefined) throw new Error(`wasm: ${n.op} has no value in the elementwise kernel`);
    return l;
  }

  /** Columns a value read under pad `ctx` lags the output's by. */
  private shift(ctx: Node | undefined): number {
    return ctx === undefined ? 0 : this.plan.pads.get(ctx)!.lo;
  }

  private rowKey(b: Node, stride: number, shift: number): string {
    return `${this.plan.buffers.indexOf(b)}:${this.row !== undefined ? stride : 0}:${shift}`;
  }

  private rowLocal(b: Node, stride: number, shift: number): void {
    const key = this.rowKey(b, stride, shift);
    if (this.rowStart.has(key)) return;
    const local = this.row !== undefined ? this.f.local(`row${this.rowStart.size}`, 'i32') : this.base.get(b)!;
    this.rowStart.set(key, { local, buffer: b, stride, shift });
  }

  /**
   * Pushes the byte address of the row's element p/4 of buffer `b` read with row stride `stride`
   * and `shift` columns to the left (under a pad); bool buffers hold a byte per element. The
   * caller adds a slice's element offset as the memarg's.
   */
  private address(b: Node, stride: number, shift = 0): void {
    const f = this.f;
    f.get(this.rowStart.get(this.rowKey(b, stride, shift))!.local).get(this.p);
    if (b.dtype === 'bool') f.i32(2).op('i32.shr_u');
    f.op('i32.add');
  }

  /**
   * Loads value `into` (in context `ctx`) from buffer `b`, rows `stride` elements apart, shifted
   * under a pad; `offset` elements in (a slice's start).
   */
  private load(b: Node, lanes: Lanes, into: Node, ctx: Node | undefined, stride: number, offset = 0): void {
    const f = this.f;
    this.address(b, stride, this.shift(ctx));
    loadValue(f, b.dtype, lanes, offset, () => this.zero());
    f.set(this.valueOf(into, ctx));
  }

  private store(o: Node, lanes: Lanes): void {
    const f = this.f;
    this.address(o, this.plan.cols, 0);
    f.get(this.valueOf(o));
    storeValue(f, o.dtype, lanes, () => this.zero());
  }

  /** Computes `n` in context `ctx`; a pad is its operand where `active` has it, else its constant. */
  private compute(n: Node, ctx: Node | undefined = undefined, active: ReadonlySet<Node> = new Set()): void {
    const f = this.f;
    if (n.op === 'pad') {
      const value = (n as Node<'pad'>).attrs.value;
      if (active.has(n)) f.get(this.valueOf(n.inputs[0], n));
      else if (n.dtype === 'bool') f.i32(value !== 0 ? -1 : 0).op('i32x4.splat');
      else f.op('f32.const', value).op('f32x4.splat');
    } else {
      emitSimdOp(this, n, n.inputs.map((i) => this.valueOf(i, ctx)));
    }
    f.set(this.valueOf(n, ctx));
  }

  /**
   * One loop body: load the varying inputs, compute the varying nodes, then store every output;
   * `active` are the pads whose input this column segment reads (the others are constants, and
   * what is under them is not computed).
   */
  private body(lanes: Lanes, active: ReadonlySet<Node>): void {
    const { plan } = this;
    this.lanes = lanes;
    const live = (ctx: Node | undefined) => ctx === undefined || active.has(ctx);
    for (const { buffer, ctx } of this.direct) if (live(ctx)) this.load(buffer, lanes, buffer, ctx, ctx === undefined ? plan.cols : plan.pads.get(ctx)!.width);
    for (const [n, r] of plan.slices) for (const ctx of plan.contexts.get(n)!) if (live(ctx)) this.load(n.inputs[0], lanes, n, ctx, r.stride, r.offset);
    for (const n of plan.order) {
      if (plan.uniform.has(n) || n.op === 'slice') continue;
      for (const ctx of plan.contexts.get(n) ?? []) if (live(ctx)) this.compute(n, ctx, active);
    }
    for (const o of plan.outputs) this.store(o, lanes);
  }

  /** Values every element shares: one-element buffers splatted, then the nodes made of them. */
  private prologue(): void {
    const { f, plan } = this;
    for (const b of plan.buffers) {
      if (plan.outputs.includes(b) || !plan.uniform.has(b)) continue;
      f.get(this.base.get(b)!);
      loadSplat(f, b.dtype, () => this.zero());
      f.set(this.valueOf(b));
    }
    for (const [n, key] of this.keys) this.streamKey(n as Node<'randomUniform'>, key);
    for (const n of plan.order) if (plan.uniform.has(n) && n.op !== 'fill') this.compute(n);
  }

  /** key = streamKey(seed, stream), from the splatted seed: fmix32(seed ^ imul(stream + 1, golden ratio)). */
  private streamKey(n: Node<'randomUniform'>, key: LocalRef): void {
    const hash = this.hash!;
    this.f.get(this.valueOf(n.inputs[0])).i32(Math.imul(n.attrs.stream + 1, 0x9e3779b1)).op('i32x4.splat').op('v128.xor').set(hash.h);
    fmix32(this.f, hash);
    this.f.get(hash.h).set(key);
  }

  /** Pushes uniformAt(key, index) for this body's lanes: fmix32(fmix32(index ^ key) + key) >>> 8, times 2^-24 (exact). */
  draw(n: Node<'randomUniform'>): void {
    const { f } = this;
    const hash = this.hash!;
    const key = this.keys.get(n)!;
    f.get(this.p).i32(2).op('i32.shr_u').op('i32x4.splat');
    if (this.lanes === 4) f.get(hash.iota).op('i32x4.add');
    f.get(key).op('v128.xor').set(hash.h);
    fmix32(f, hash);
    f.get(hash.h).get(key).op('i32x4.add').set(hash.h);
    fmix32(f, hash);
    f.get(hash.h).i32(8).op('i32x4.shr_u').op('f32x4.convert_i32x4_s').get(hash.unit).op('f32x4.mul');
  }

  emit(shared: boolean): WasmModule {
    const { f, plan } = this;
    this.constants();
    this.prologue();
    const { b0, b1, p } = this;
    if (this.row === undefined) {
      const main = plan.size - (plan.size % 4);
      if (main > 0) {
        // p from block b0 to min(b1, main / 4), in bytes of float32 elements; the loop tests at its end.
        const end = f.local('end', 'i32');
        f.get(b1).i32(main / 4).get(b1).i32(main / 4).op('i32.lt_u').op('select').i32(4).op('i32.shl').set(end);
        f.get(b0).i32(4).op('i32.shl').tee(p).get(end).op('i32.lt_u');
        f.if(() => { f.doWhile(p, 16, end, () => this.body(4, new Set())); });
      }
      // The tail is the last block, main / 4 (no pads in flat mode: no pad is active).
      if (main < plan.size) {
        f.get(b1).i32(main / 4).op('i32.gt_u');
        f.if(() => { f.i32(main * 4).set(p); f.doWhile(p, 4, plan.size * 4, () => this.body(1, new Set())); });
      }
    } else {
      // Rows are the units (elementwiseUnits): rows [b0, b1), each computed whole by one call.
      // Row starts from the parameters (a slice's offset is the loads' memarg; a pad's shift is
      // subtracted here, the address wrapping back into the buffer in the pad's own columns),
      // then b0 rows on.
      const row = this.row;
      for (const { local, buffer, shift, stride } of this.rowStart.values()) {
        const bytes = buffer.dtype === 'bool' ? 1 : 4;
        f.get(this.base.get(buffer)!).i32(shift * bytes).op('i32.sub');
        f.get(b0).i32(stride * bytes).op('i32.mul').op('i32.add').set(local);
      }
      f.get(b0).tee(row).get(b1).op('i32.lt_u');
      f.if(() => {
        f.doWhile(row, 1, b1, () => {
          f.i32(0).set(p);
          this.columns();
          for (const { local, buffer, stride } of this.rowStart.values()) f.addTo(local, buffer.dtype === 'bool' ? stride : stride * 4);
        });
      });
    }
    return {
      memory: envMemory(shared),
      globals: [],
      funcs: [f.func()],
    };
  }

  /**
   * The loops over one row's columns (every element, with one row), four at a time, then the
   * rest; with pads, per segment of columns between the pads' edges, each with its active pads.
   */
  private columns(): void {
    const { f, plan } = this;
    const edges = new Set([0, plan.cols]);
    for (const { lo, width } of plan.pads.values()) edges.add(lo).add(lo + width);
    const cuts = [...edges].sort((a, b) => a - b);
    for (let s = 0; s + 1 < cuts.length; s++) {
      const [a, b] = [cuts[s], cuts[s + 1]];
      const active = new Set([...plan.pads].filter(([, p]) => p.lo <= a && b <= p.lo + p.width).map(([n]) => n));
      const main = a + (b - a) - ((b - a) % 4);
      if (a > 0) f.i32(a * 4).set(this.p);
      if (main > a) f.doWhile(this.p, 16, main * 4, () => this.body(4, active));
      if (main < b) f.doWhile(this.p, 4, b * 4, () => this.body(1, active));
    }
  }

  private constants(): void {
    const f = this.f;
    if (this.hash !== undefined) {
      const { mixA, mixB, iota, unit } = this.hash;
      f.i32(0x85ebca6b | 0).op('i32x4.splat').set(mixA);
      f.i32(0xc2b2ae35 | 0).op('i32x4.splat').set(mixB);
      f.op('v128.const', 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0).set(iota);
      f.op('f32.const', 2 ** -24).op('f32x4.splat').set(unit);
    }
    if (this.zeroLocal !== undefined) f.op('v128.const', ...new Array<number>(16).fill(0)).set(this.zeroLocal);
    if (this.oneLocal !== undefined) f.op('f32.const', 1).op('f32x4.splat').set(this.oneLocal);
    for (const { local, node } of this.consts.values()) { pushConstant(f, node); f.set(local); }
  }
}

/** The random-draw half of the emitter: the same integer hash as ir/math.ts, on i32x4 lanes. */
interface HashLocals { readonly h: LocalRef; readonly mixA: LocalRef; readonly mixB: LocalRef }

/** h = fmix32(h), MurmurHash3's finaliser; i32x4.mul wraps as Math.imul does. */
function fmix32(f: FuncBuilder, { h, mixA, mixB }: HashLocals): void {
  f.get(h).get(h).i32(16).op('i32x4.shr_u').op('v128.xor').get(mixA).op('i32x4.mul');
  f.tee(h).get(h).i32(13).op('i32x4.shr_u').op('v128.xor').get(mixB).op('i32x4.mul');
  f.tee(h).get(h).i32(16).op('i32x4.shr_u').op('v128.xor').set(h);
}

/**
 * The units the kernel's range [b0, b1) counts: a flat loop's blocks of four elements (the tail
 * one more), or, in row mode (slices read as rows, pads), its rows, each computed whole by one
 * call so that a split over threads computes every element exactly once.
 */
export const elementwiseUnits = (plan: FlatElementwise): number =>
  plan.rows > 1 || plan.pads.size > 0 ? plan.rows : Math.ceil(plan.size / 4);

/** The module of one flat elementwise group; `name` is also its export's name. */
export function emitElementwiseModule(plan: FlatElementwise, name: string, shared: boolean): WasmModule {
  return new ElementwiseEmitter(plan, name).emit(shared);
}
