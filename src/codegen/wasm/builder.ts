/**
 * Builds one function's body instruction by instruction, with named locals, so generators read
 * as structured code and the text form can print names instead of indices.
 */
import type { Func, Local } from './module.js';
import { BLOCK_VOID, OPCODES, type Instr, type OpName, type ValType } from './opcodes.js';

/** A parameter or local, by index (what the binary uses) and name (what dumps show). */
export interface LocalRef {
  readonly index: number;
  readonly name: string;
  readonly type: ValType;
}

/** Memory ops that take a memarg, so `mem()` can default to natural alignment. */
type MemOp = { [K in OpName]: (typeof OPCODES)[K] extends { readonly natural: number } ? K : never }[OpName];

export class FuncBuilder {
  private readonly all: LocalRef[] = [];
  private readonly body: Instr[] = [];
  private depth = 0;

  constructor(readonly name: string, params: readonly Local[], private readonly results: readonly ValType[] = [], private readonly exported = true) {
    for (const p of params) this.declare(p.name, p.type);
    this.paramCount = params.length;
  }
  private readonly paramCount: number;

  private declare(name: string, type: ValType): LocalRef {
    if (this.all.some((l) => l.name === name)) throw new Error(`wasm: local ${name} is declared twice`);
    const ref = { index: this.all.length, name, type };
    this.all.push(ref);
    return ref;
  }

  param(index: number): LocalRef {
    if (index >= this.paramCount) throw new Error(`wasm: ${this.name} has no parameter ${index}`);
    return this.all[index];
  }

  local(name: string, type: ValType): LocalRef {
    return this.declare(name, type);
  }

  op(name: OpName, ...imm: number[]): this {
    if (name === 'block' || name === 'loop' || name === 'if') this.depth++;
    else if (name === 'end' && --this.depth < 0) throw new Error(`wasm: ${this.name} ends more blocks than it opens`);
    this.body.push({ op: name, imm });
    return this;
  }

  get(l: LocalRef): this { return this.op('local.get', l.index); }
  set(l: LocalRef): this { return this.op('local.set', l.index); }
  tee(l: LocalRef): this { return this.op('local.tee', l.index); }
  i32(value: number): this { return this.op('i32.const', value); }

  /** A load or store with a constant byte offset, at the op's natural alignment by default. */
  mem(name: MemOp, offset: number, ...lane: number[]): this {
    const info = OPCODES[name];
    return this.op(name, info.natural, offset, ...lane);
  }

  /** `l = l + delta` for an i32 local, skipped when delta is 0. */
  addTo(l: LocalRef, delta: number): this {
    if (delta === 0) return this;
    return this.get(l).i32(delta).op('i32.add').set(l);
  }

  /** A structured block; `inner` emits its body. Labels are depths, counted by the caller. */
  private structured(kind: 'block' | 'loop' | 'if', inner: () => void): this {
    this.op(kind, BLOCK_VOID);
    inner();
    return this.op('end');
  }
  block(inner: () => void): this { return this.structured('block', inner); }
  loop(inner: () => void): this { return this.structured('loop', inner); }
  /** Pops an i32 condition; `otherwise` becomes the else branch. */
  if(then: () => void, otherwise?: () => void): this {
    return this.structured('if', () => {
      then();
      if (otherwise !== undefined) { this.op('else'); otherwise(); }
    });
  }

  /**
   * A counted do-while loop: `counter` runs from its current value up by `step` while below
   * `end`. The caller guarantees at least one iteration, so there is no test on entry.
   */
  doWhile(counter: LocalRef, step: number, end: number | LocalRef, inner: () => void): this {
    return this.loop(() => {
      inner();
      this.get(counter).i32(step).op('i32.add').tee(counter);
      if (typeof end === 'number') this.i32(end); else this.get(end);
      this.op('i32.lt_s').op('br_if', 0);
    });
  }

  /** `counter` from `from` up by one while below `end`, none when the range is empty (a range kernel's units). */
  forRange(counter: LocalRef, from: LocalRef, end: LocalRef, inner: () => void): this {
    this.get(from).set(counter);
    return this.block(() => {
      this.get(counter).get(end).op('i32.ge_s').op('br_if', 0);
      this.doWhile(counter, 1, end, inner);
    });
  }

  func(): Func {
    if (this.depth !== 0) throw new Error(`wasm: ${this.name} has an unclosed block`);
    return {
      name: this.name,
      params: this.all.slice(0, this.paramCount),
      results: this.results,
      locals: this.all.slice(this.paramCount),
      body: [...this.body],
      exported: this.exported,
    };
  }
}
