import type * as ES from 'estree';
import type { Node } from '../ir/node.js';
import { concrete, sameShape, type ConcreteShape, type DType } from '../ir/types.js';
import { ELEMENTWISE, isElementwiseOp } from './elementwise-emitters.js';
import { add } from './index-arith.js';
import { At } from './index-expr.js';
import { expr, ident, lit, print, stmts } from './template.js';

export function viewName(dtype: DType): 'F' | 'I' | 'U' {
  return dtype === 'float32' ? 'F' : dtype === 'int32' ? 'I' : 'U';
}

export function shapeOf(node: Node): ConcreteShape {
  return concrete(node.shape, `${node.op} in a compiled program`);
}

/**
 * Emits the value of a node at an index as JavaScript, inlining the elementwise, movement and
 * generator nodes of a fused group and loading everything else from buffers. Each distinct
 * (node, index) becomes one local, so shared subexpressions are computed once per element.
 */
export class ExprEmitter {
  private readonly memo = new Map<string, ES.Expression>();
  private locals = 0;
  /** Statements to run once before the loops (e.g. random stream keys). */
  readonly setup: ES.Statement[] = [];
  private readonly setupMemo = new Map<string, ES.Expression>();

  constructor(
    /** Nodes computed inline in this kernel. */
    private readonly inline: ReadonlySet<Node>,
    /** The offset parameter (e.g. `o2`) of a node that lives in a buffer. */
    private readonly bufferParam: (node: Node) => ES.Expression,
    /** Where per-element statements go (swapped by kernels as they open loops). */
    public sink: ES.Statement[],
    private readonly prefix = 't',
  ) {}

  /** Forget per-element locals, e.g. when a new loop body starts. */
  resetLocals(): void {
    this.memo.clear();
    for (const [k, v] of this.pinned) this.memo.set(k, v);
  }

  /** Values that outlive `resetLocals`: per-row results of earlier reduction stages. */
  private readonly pinned = new Map<string, ES.Expression>();
  pin(node: Node, at: At, value: ES.Expression): void {
    this.pinned.set(this.keyOf(node, at), value);
    this.memo.set(this.keyOf(node, at), value);
  }

  fresh(name = this.prefix): ES.Identifier {
    return ident(`${name}${this.locals++}`);
  }

  private bind(key: string, value: ES.Expression): ES.Expression {
    if (value.type === 'Literal' || value.type === 'Identifier') {
      this.memo.set(key, value);
      return value;
    }
    const id = this.fresh();
    this.sink.push(...stmts('const $id = $v;', { $id: id, $v: value }));
    this.memo.set(key, id);
    return id;
  }

  /** Binds a node's value at an index to an expression computed elsewhere (a contraction's sum). */
  provide(node: Node, at: At, value: ES.Expression): void {
    this.memo.set(this.keyOf(node, at), value);
  }

  private keyOf(node: Node, at: At): string {
    return `${node.id}@${at.hasLinear ? print(at.linear()) : at.coords().map((c) => print(c)).join(',')}`;
  }

  load(node: Node, at: At): ES.Expression {
    const view = ident(viewName(node.dtype));
    const offset = this.bufferParam(node);
    return expr('$V[$o + $i]', { $V: view, $o: offset, $i: at.linear() });
  }

  value(node: Node, at: At): ES.Expression {
    const key = this.keyOf(node, at);
    const found = this.memo.get(key);
    if (found !== undefined) return found;
    return this.bind(key, this.compute(node, at));
  }

  private compute(node: Node, at: At): ES.Expression {
    if (!this.inline.has(node)) return this.load(node, at);
    const shape = shapeOf(node);
    switch (node.op) {
      case 'fill': return lit((node as Node<'fill'>).attrs.value);
      case 'iota': return at.coord((node as Node<'iota'>).attrs.axis);
      case 'randomUniform': {
        const n = node as Node<'randomUniform'>;
        const key = this.streamKey(n);
        return expr('H.uniformAt($k, $i)', { $k: key, $i: at.linear() });
      }
      case 'reshape': {
        const src = node.inputs[0];
        return this.value(src, At.ofLinear(shapeOf(src), at.linear()));
      }
      case 'transpose': {
        const perm = (node as Node<'transpose'>).attrs.perm;
        const src = node.inputs[0];
        const coords: ES.Expression[] = [];
        perm.forEach((p, i) => { coords[p] = at.coord(i); });
        return this.value(src, At.ofCoords(shapeOf(src), coords));
      }
      case 'broadcastTo': return this.value(node.inputs[0], this.broadcastAt(node.inputs[0], shape, at));
      case 'slice': {
        const begin = (node as Node<'slice'>).attrs.begin;
        const src = node.inputs[0];
        return this.value(src, At.ofCoords(shapeOf(src), begin.map((b, i) => add(at.coord(i), lit(b)))));
      }
      case 'pad': return this.pad(node as Node<'pad'>, at);
      case 'concatenate': return this.concatenate(node as Node<'concatenate'>, at);
      default: {
        if (!isElementwiseOp(node.op)) throw new Error(`codegen: ${node.op} cannot be computed inline`);
        const args = node.inputs.map((input) => this.value(input, this.broadcastAt(input, shape, at)));
        return ELEMENTWISE[node.op](args, node);
      }
    }
  }

  /** The index into `input` that broadcasting maps output index `at` to. */
  broadcastAt(input: Node, outShape: ConcreteShape, at: At): At {
    const inShape = shapeOf(input);
    if (sameShape(inShape, outShape)) return at;
    if (inShape.every((d) => d === 1)) return At.ofLinear(inShape, lit(0));
    const lead = outShape.length - inShape.length;
    return At.ofCoords(inShape, inShape.map((d, i) => (d === 1 ? lit(0) : at.coord(lead + i))));
  }

  private pad(node: Node<'pad'>, at: At): ES.Expression {
    const src = node.inputs[0];
    const inShape = shapeOf(src);
    const { widths, value } = node.attrs;
    const inner: ES.Expression[] = inShape.map((_, i) => this.value_(expr('$c - $lo', { $c: at.coord(i), $lo: widths[i][0] })));
    let test: ES.Expression | null = null;
    inShape.forEach((d, i) => {
      if (widths[i][0] === 0 && widths[i][1] === 0) return;
      const cond = expr('$c >>> 0 < $n', { $c: inner[i], $n: d });
      test = test === null ? cond : expr('$a && $b', { $a: test, $b: cond });
    });
    // Values inside a conditional must not be hoisted above it, so the branch gets its own sink.
    const branch = this.inBranch(() => this.value(src, At.ofCoords(inShape, inner)));
    return test === null ? branch : expr('$t ? $v : $p', { $t: test, $v: branch, $p: lit(value) });
  }

  private concatenate(node: Node<'concatenate'>, at: At): ES.Expression {
    const axis = node.attrs.axis;
    const c = this.value_(at.coord(axis));
    let start = 0;
    const pieces = node.inputs.map((input) => {
      const s = start;
      const inShape = shapeOf(input);
      start += inShape[axis];
      return { end: start, value: () => this.inBranch(() => this.value(input, At.ofCoords(inShape, at.coords().map((e, i) => (i === axis ? add(c, lit(-s)) : e))))) };
    });
    let out = pieces[pieces.length - 1].value();
    for (let i = pieces.length - 2; i >= 0; i--) {
      out = expr('$c < $e ? $v : $rest', { $c: c, $e: pieces[i].end, $v: pieces[i].value(), $rest: out });
    }
    return out;
  }

  /** Evaluates inside a branch: locals made there stay in an arrow function's body. */
  private inBranch(make: () => ES.Expression): ES.Expression {
    const outer = this.sink;
    const saved = new Map(this.memo);
    const inner: ES.Statement[] = [];
    this.sink = inner;
    const v = make();
    this.sink = outer;
    this.memo.clear();
    for (const [k, e] of saved) this.memo.set(k, e);
    if (inner.length === 0) return v;
    return expr('(() => { $body; return $v; })()', { $body: inner, $v: v });
  }

  /** Binds an index expression to a local so conditions and loads share it. */
  private value_(e: ES.Expression): ES.Expression {
    if (e.type === 'Literal' || e.type === 'Identifier') return e;
    const id = this.fresh('c');
    this.sink.push(...stmts('const $id = $v;', { $id: id, $v: e }));
    return id;
  }

  private streamKey(node: Node<'randomUniform'>): ES.Expression {
    const k = `${node.inputs[0].id}:${node.attrs.stream}`;
    let id = this.setupMemo.get(k);
    if (id === undefined) {
      id = ident(`key${this.setupMemo.size}`);
      const seed = this.load(node.inputs[0], At.ofLinear([], lit(0)));
      this.setup.push(...stmts('const $id = H.streamKey($s, $n);', { $id: id, $s: seed, $n: node.attrs.stream }));
      this.setupMemo.set(k, id);
    }
    return id;
  }
}
