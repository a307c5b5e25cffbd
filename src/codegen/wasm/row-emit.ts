/**
 * Emits the WebAssembly module of one row kernel (see row-match.ts): per row, each stage in turn
 * as a loop over the row's columns, four at a time on f32x4 lanes, then the last cols % 4 one at a
 * time on lane 0 (the same vector ops, as the elementwise loop's tail). Each op's instructions and
 * every load and store are simd-ops.ts's, shared with the elementwise loop.
 *
 * - A reduction accumulates per lane (sum: f32x4.add; max: f32x4.max), the tail in a vector of its
 *   own (its lanes 1-3 hold what the zero-filled loads compute, never read), then reduces the four
 *   lanes and the tail's lane 0 to the row's value, splatted for what reads it. A sum is four
 *   partial float32 sums added pairwise, so it differs from the JavaScript tier's sequential
 *   float64 sum by rounding only. A max is exact: f32x4.max propagates NaN as the sequential
 *   `v > acc || v !== v` does and otherwise returns the largest value, which is the sequential
 *   answer except in the sign of a zero maximum (the sequential fold keeps the first of +0 and -0,
 *   f32x4.max prefers +0); so a row whose maximum is zero (hence holds no NaN) is folded again,
 *   column by column in order with `v > acc`, to take the first zero's sign.
 * - After a reduction, the row values its stage's row outputs need (the epilogue at the row) are
 *   computed as splats and lane 0 stored at the row.
 * - A map stage computes its outputs per column and stores them; later stages load them back
 *   rather than recompute their chains, as the JavaScript kernel does.
 *
 * Fills, one-element buffers and what is made of them only are computed once before the rows;
 * row values once per row, before the first stage that reads them. The export takes the byte
 * offset of each buffer (outputs, then inputs), then a range [r0, r1) of rows: each row is
 * computed whole by one call and reads and writes its own row only, so the worker pool can split
 * the rows over threads and every row's result is the same whichever thread computes it.
 */
import type { Node } from '../../ir/node.js';
import { FuncBuilder, type LocalRef } from './builder.js';
import { envMemory, type WasmModule } from './module.js';
import type { RowKernelPlan, RowStage } from './row-match.js';
import { SimdMath } from './simd-math.js';
import { constantsNeeded, constKey, emitSimdOp, loadSplat, loadValue, pushConstant, storeValue, type Lanes, type SimdOpContext } from './simd-ops.js';

const bytesOf = (n: Node) => (n.dtype === 'bool' ? 1 : 4);

class RowEmitter implements SimdOpContext {
  readonly f: FuncBuilder;
  readonly math: SimdMath;
  private readonly base = new Map<Node, LocalRef>();
  private readonly inputs: ReadonlySet<Node>;
  /** Each computed or loaded node's v128 local (fills computed here use their constant's). */
  private readonly value = new Map<Node, LocalRef>();
  private readonly consts = new Map<string, { readonly local: LocalRef; readonly node: Node<'fill'> }>();
  private readonly zeroLocal: LocalRef | undefined;
  private readonly oneLocal: LocalRef | undefined;
  /** Where the current row starts in each buffer read or written per column. */
  private readonly rowStart = new Map<Node, LocalRef>();
  /** The current row's element in each buffer holding one value per row. */
  private readonly rowAt = new Map<Node, LocalRef>();
  private readonly r0: LocalRef;
  private readonly r1: LocalRef;
  private readonly row: LocalRef;
  /** Byte offset of the current float32 column (a bool buffer's is a quarter of it). */
  private readonly p: LocalRef;
  private readonly acc: LocalRef;
  private readonly tail: LocalRef;
  private readonly scalar: LocalRef;

  constructor(private readonly plan: RowKernelPlan, name: string) {
    const params = [...plan.buffers.map((_, i) => ({ name: `o${i}`, type: 'i32' as const })), { name: 'r0', type: 'i32' as const }, { name: 'r1', type: 'i32' as const }];
    const f = new FuncBuilder(name, params);
    this.f = f;
    this.math = new SimdMath(f);
    plan.buffers.forEach((b, i) => this.base.set(b, f.param(i)));
    this.inputs = new Set(plan.inputs);
    this.r0 = f.param(plan.buffers.length);
    this.r1 = f.param(plan.buffers.length + 1);
    this.row = f.local('row', 'i32');
    this.p = f.local('p', 'i32');
    this.acc = f.local('acc', 'v128');
    this.tail = f.local('tail', 'v128');
    this.scalar = f.local('m', 'f32');
    const all = [...plan.uniform, ...plan.stages.flatMap((s) => [...s.rowsBefore, ...s.loads, ...s.columns, ...s.rowsAfter])];
    const needs = constantsNeeded(plan.buffers, all.filter((n) => !this.inputs.has(n)));
    this.zeroLocal = needs.zero ? f.local('zero', 'v128') : undefined;
    this.oneLocal = needs.one ? f.local('one', 'v128') : undefined;
    for (const n of [...plan.uniformBuffers, ...all, ...plan.stages.flatMap((s) => (s.reduce === undefined ? [] : [s.reduce]))]) {
      if (this.value.has(n)) continue;
      if (n.op === 'fill' && !this.inputs.has(n)) {
        const key = constKey(n as Node<'fill'>);
        if (!this.consts.has(key)) this.consts.set(key, { local: f.local(`k${this.consts.size}`, 'v128'), node: n as Node<'fill'> });
        this.value.set(n, this.consts.get(key)!.local);
      } else {
        this.value.set(n, f.local(`v${this.value.size}`, 'v128'));
      }
    }
    for (const s of plan.stages) {
      for (const b of [...s.loads, ...s.columnStores]) if (!this.rowStart.has(b)) this.rowStart.set(b, f.local(`row${this.rowStart.size}`, 'i32'));
      for (const b of [...s.rowsBefore, ...s.rowsAfter].filter((n) => this.inputs.has(n)).concat(s.rowStores)) {
        if (!this.rowAt.has(b)) this.rowAt.set(b, f.local(`at${this.rowAt.size}`, 'i32'));
      }
    }
  }

  zero(): LocalRef {
    if (this.zeroLocal === undefined) throw new Error('wasm: the row kernel did not plan for a zero vector');
    return this.zeroLocal;
  }

  oneF32(): LocalRef {
    if (this.oneLocal === undefined) throw new Error('wasm: the row kernel did not plan for a vector of ones');
    return this.oneLocal;
  }

  draw(): void {
    throw new Error('wasm: a row kernel draws no random numbers (row-match.ts leaves them to JavaScript)');
  }

  private valueOf(n: Node): LocalRef {
    const l = this.value.get(n);
    if (l === undefined) throw new Error(`wasm: ${n.op} has no value in the row kernel`);
    return l;
  }

  /** Computes node `n` into its local, for `lanes` columns from p (only an iota depends on them). */
  private compute(n: Node, lanes: Lanes): void {
    const f = this.f;
    if (n.op === 'fill') return;
    if (n.op === 'iota') {
      // The column index: p / 4, plus the lane.
      f.get(this.p).i32(2).op('i32.shr_u').op('i32x4.splat');
      if (lanes === 4) f.op('v128.const', 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0).op('i32x4.add');
      f.op('f32x4.convert_i32x4_s');
    } else if (n.op === 'broadcastTo') {
      f.get(this.valueOf(n.inputs[0]));
    } else {
      emitSimdOp(this, n, n.inputs.map((i) => this.valueOf(i)));
    }
    f.set(this.valueOf(n));
  }

  /** A row value: a buffer's element at the row, splatted, or computed from row values. */
  private computeRow(n: Node): void {
    if (!this.inputs.has(n)) { this.compute(n, 4); return; }
    this.f.get(this.rowAt.get(n)!);
    loadSplat(this.f, n.dtype, () => this.zero());
    this.f.set(this.valueOf(n));
  }

  /** Pushes the byte address of the current columns of element-level buffer `b`. */
  private address(b: Node): void {
    const f = this.f;
    f.get(this.rowStart.get(b)!).get(this.p);
    if (b.dtype === 'bool') f.i32(2).op('i32.shr_u');
    f.op('i32.add');
  }

  /** Loads and computes a stage's column values for `lanes` columns from p. */
  private columnValues(s: RowStage, lanes: Lanes): void {
    for (const b of s.loads) {
      this.address(b);
      loadValue(this.f, b.dtype, lanes, 0, () => this.zero());
      this.f.set(this.valueOf(b));
    }
    for (const n of s.columns) this.compute(n, lanes);
  }

  /** One loop over the row's columns: four at a time, then the rest on lane 0. */
  private columns(body: (lanes: Lanes) => void, before: { main?: () => void; tail?: () => void } = {}): void {
    const f = this.f, cols = this.plan.cols;
    const main = cols - (cols % 4);
    if (main > 0) { before.main?.(); f.i32(0).set(this.p); f.doWhile(this.p, 16, main * 4, () => body(4)); }
    if (main < cols) { before.tail?.(); f.i32(main * 4).set(this.p); f.doWhile(this.p, 4, cols * 4, () => body(1)); }
  }

  private reduceStage(s: RowStage, r: Node<'sum' | 'max'>): void {
    const f = this.f, cols = this.plan.cols;
    const main = cols - (cols % 4);
    const sum = r.op === 'sum';
    const vop = sum ? 'f32x4.add' : 'f32x4.max';
    const init = () => f.op('f32.const', sum ? 0 : -Infinity).op('f32x4.splat');
    const input = this.valueOf(r.inputs[0]);
    this.columns((lanes) => {
      this.columnValues(s, lanes);
      const into = lanes === 4 ? this.acc : this.tail;
      f.get(into).get(input).op(vop).set(into);
    }, { main: () => { init(); f.set(this.acc); }, tail: () => { init(); f.set(this.tail); } });
    // The four lanes pairwise, then the tail's lane 0.
    const sop = sum ? 'f32.add' : 'f32.max';
    const lane = (l: LocalRef, i: number) => f.get(l).op('f32x4.extract_lane', i);
    if (main > 0) {
      lane(this.acc, 0); lane(this.acc, 1); f.op(sop);
      lane(this.acc, 2); lane(this.acc, 3); f.op(sop);
      f.op(sop);
      if (main < cols) { lane(this.tail, 0); f.op(sop); }
    } else {
      lane(this.tail, 0);
    }
    f.set(this.scalar);
    if (!sum) {
      // A zero maximum takes the sign of the row's first zero, as the sequential fold does.
      f.get(this.scalar).op('f32.const', 0).op('f32.eq');
      f.if(() => {
        init(); f.set(this.acc);
        f.i32(0).set(this.p);
        f.doWhile(this.p, 4, cols * 4, () => {
          this.columnValues(s, 1);
          f.get(input).get(this.acc).get(input).get(this.acc).op('f32x4.gt').op('v128.bitselect').set(this.acc);
        });
        lane(this.acc, 0); f.set(this.scalar);
      });
    }
    f.get(this.scalar).op('f32x4.splat').set(this.valueOf(r));
  }

  private mapStage(s: RowStage): void {
    this.columns((lanes) => {
      this.columnValues(s, lanes);
      for (const o of s.columnStores) {
        this.address(o);
        this.f.get(this.valueOf(o));
        storeValue(this.f, o.dtype, lanes, () => this.zero());
      }
    });
  }

  emit(shared: boolean): WasmModule {
    const { f, plan } = this;
    if (this.zeroLocal !== undefined) f.op('v128.const', ...new Array<number>(16).fill(0)).set(this.zeroLocal);
    if (this.oneLocal !== undefined) f.op('f32.const', 1).op('f32x4.splat').set(this.oneLocal);
    for (const { local, node } of this.consts.values()) { pushConstant(f, node); f.set(local); }
    for (const b of plan.uniformBuffers) { f.get(this.base.get(b)!); loadSplat(f, b.dtype, () => this.zero()); f.set(this.valueOf(b)); }
    for (const n of plan.uniform) this.compute(n, 4);
    // Row starts at row r0, then one row on after each row.
    const stride = (b: Node, perRow: number) => f.get(this.base.get(b)!).get(this.r0).i32(perRow * bytesOf(b)).op('i32.mul').op('i32.add');
    for (const [b, l] of this.rowStart) { stride(b, plan.cols); f.set(l); }
    for (const [b, l] of this.rowAt) { stride(b, 1); f.set(l); }
    f.get(this.r0).tee(this.row).get(this.r1).op('i32.lt_u');
    f.if(() => {
      f.doWhile(this.row, 1, this.r1, () => {
        for (const s of plan.stages) {
          for (const n of s.rowsBefore) this.computeRow(n);
          if (s.reduce !== undefined) this.reduceStage(s, s.reduce); else this.mapStage(s);
          for (const n of s.rowsAfter) this.computeRow(n);
          for (const o of s.rowStores) {
            f.get(this.rowAt.get(o)!).get(this.valueOf(o));
            storeValue(f, o.dtype, 1, () => this.zero());
          }
        }
        for (const [b, l] of this.rowStart) f.addTo(l, plan.cols * bytesOf(b));
        for (const [b, l] of this.rowAt) f.addTo(l, bytesOf(b));
      });
    });
    return { memory: envMemory(shared), globals: [], funcs: [f.func()] };
  }
}

/** The module of one row kernel; `name` is also its export's name. */
export function emitRowModule(plan: RowKernelPlan, name: string, shared: boolean): WasmModule {
  return new RowEmitter(plan, name).emit(shared);
}
