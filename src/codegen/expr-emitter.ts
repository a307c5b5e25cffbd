import type * as ES from 'estree';
import type { Node } from '../ir/node.js';
import { concrete, sameShape, type ConcreteShape, type DType } from '../ir/types.js';
import { ELEMENTWISE, isElementwiseOp } from './elementwise-emitters.js';
import { add } from './index-arith.js';
import { At } from './index-expr.js';
import { scanPartOffset } from '../ir/scan-body.js';
import { expr, ident, lit, print, stmts } from './template.js';

export function viewName(dtype: DType): 'F' | 'I' | 'U' {
  return dtype === 'float32' ? 'F' : dtype === 'int32' ? 'I' : 'U';
}

export function shapeOf(node: Node): ConcreteShape {
  return concrete(node.shape, `${node.op} in a compiled program`);
}

/** Values as expressions, and the statements that bind the locals they use, in order. */
export interface Emitted {
  readonly statements: ES.Statement[];
  readonly values: ES.Expression[];
}

/**
 * Emits the value of a node at an index as JavaScript, inlining the elementwise, movement and
 * generator nodes of a fused group and loading everything else from buffers. Each distinct
 * (node, index) becomes one local, so shared subexpressions are computed once per element.
 * Every private step takes the statement list (`sink`) its locals go to: a conditional's branch
 * passes its own, so nothing computed there is hoisted above the condition.
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

  /**
   * The values of `nodes` at `at`, all computed before the caller stores any (an in-place update
   * must not be read back), with the statements binding their locals.
   */
  values(nodes: readonly Node[], at: At): Emitted {
    const statements: ES.Statement[] = [];
    const values = nodes.map((node) => this.value(node, at, statements));
    return { statements, values };
  }

  private fresh(name = this.prefix): ES.Identifier {
    return ident(`${name}${this.locals++}`);
  }

  private bind(key: string, value: ES.Expression, sink: ES.Statement[]): ES.Expression {
    if (value.type === 'Literal' || value.type === 'Identifier') {
      this.memo.set(key, value);
      return value;
    }
    const id = this.fresh();
    sink.push(...stmts('const $id = $v;', { $id: id, $v: value }));
    this.memo.set(key, id);
    return id;
  }

  /** Binds a node's value at an index to an expression computed elsewhere (a contraction's sum). */
  provide(node: Node, at: At, value: ES.Expression): void {
    this.memo.set(this.keyOf(node, at), value);
  }

  private keyOf(node: Node, at: At): string {
    // A one-element value has one key however its index was made (flat 0 or coordinates all 0),
    // so a pinned row value of a batch of one is found when read back through a broadcast.
    if (at.shape.every((d) => d === 1)) return `${node.id}@0`;
    return `${node.id}@${at.hasLinear ? print(at.linear()) : at.coords().map((c) => print(c)).join(',')}`;
  }

  private load(node: Node, at: At): ES.Expression {
    const view = ident(viewName(node.dtype));
    const offset = this.bufferParam(node);
    return expr('$V[$o + $i]', { $V: view, $o: offset, $i: at.linear() });
  }

  private value(node: Node, at: At, sink: ES.Statement[]): ES.Expression {
    const key = this.keyOf(node, at);
    const found = this.memo.get(key);
    if (found !== undefined) return found;
    return this.bind(key, this.compute(node, at, sink), sink);
  }

  private compute(node: Node, at: At, sink: ES.Statement[]): ES.Expression {
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
        return this.value(src, At.ofLinear(shapeOf(src), at.linear()), sink);
      }
      case 'transpose': {
        const perm = (node as Node<'transpose'>).attrs.perm;
        const src = node.inputs[0];
        const coords: ES.Expression[] = [];
        perm.forEach((p, i) => { coords[p] = at.coord(i); });
        return this.value(src, At.ofCoords(shapeOf(src), coords), sink);
      }
      case 'broadcastTo': return this.value(node.inputs[0], this.broadcastAt(node.inputs[0], shape, at), sink);
      case 'slice': {
        const begin = (node as Node<'slice'>).attrs.begin;
        const src = node.inputs[0];
        return this.value(src, At.ofCoords(shapeOf(src), begin.map((b, i) => add(at.coord(i), lit(b)))), sink);
      }
      case 'scanOutput': {
        // A part of the scan's packed buffer: the same linear index, shifted to where the part starts.
        const src = node.inputs[0];
        const start = scanPartOffset(src as Node<'scan'>, (node as Node<'scanOutput'>).attrs.index);
        return this.value(src, At.ofLinear(shapeOf(src), add(at.linear(), lit(start))), sink);
      }
      case 'pad': return this.pad(node as Node<'pad'>, at, sink);
      case 'concatenate': return this.concatenate(node as Node<'concatenate'>, at, sink);
      default: {
        if (!isElementwiseOp(node.op)) throw new Error(`codegen: ${node.op} cannot be computed inline`);
        const args = node.inputs.map((input) => this.value(input, this.broadcastAt(input, shape, at), sink));
        return ELEMENTWISE[node.op](args, node);
      }
    }
  }

  /** The index into `input` that broadcasting maps output index `at` to. */
  private broadcastAt(input: Node, outShape: ConcreteShape, at: At): At {
    const inShape = shapeOf(input);
    if (sameShape(inShape, outShape)) return at;
    if (inShape.every((d) => d === 1)) return At.ofLinear(inShape, lit(0));
    const lead = outShape.length - inShape.length;
    return At.ofCoords(inShape, inShape.map((d, i) => (d === 1 ? lit(0) : at.coord(lead + i))));
  }

  private pad(node: Node<'pad'>, at: At, sink: ES.Statement[]): ES.Expression {
    const src = node.inputs[0];
    const inShape = shapeOf(src);
    const { widths, value } = node.attrs;
    const inner: ES.Expression[] = inShape.map((_, i) => this.bindIndex(expr('$c - $lo', { $c: at.coord(i), $lo: widths[i][0] }), sink));
    let test: ES.Expression | null = null;
    inShape.forEach((d, i) => {
      if (widths[i][0] === 0 && widths[i][1] === 0) return;
      const cond = expr('$c >>> 0 < $n', { $c: inner[i], $n: d });
      test = test === null ? cond : expr('$a && $b', { $a: test, $b: cond });
    });
    const branch = this.inBranch((branchSink) => this.value(src, At.ofCoords(inShape, inner), branchSink));
    return test === null ? branch : expr('$t ? $v : $p', { $t: test, $v: branch, $p: lit(value) });
  }

  private concatenate(node: Node<'concatenate'>, at: At, sink: ES.Statement[]): ES.Expression {
    const axis = node.attrs.axis;
    const c = this.bindIndex(at.coord(axis), sink);
    let start = 0;
    const pieces = node.inputs.map((input) => {
      const s = start;
      const inShape = shapeOf(input);
      start += inShape[axis];
      const coords = () => at.coords().map((e, i) => (i === axis ? add(c, lit(-s)) : e));
      return { end: start, value: () => this.inBranch((branchSink) => this.value(input, At.ofCoords(inShape, coords()), branchSink)) };
    });
    let out = pieces[pieces.length - 1].value();
    for (let i = pieces.length - 2; i >= 0; i--) {
      out = expr('$c < $e ? $v : $rest', { $c: c, $e: pieces[i].end, $v: pieces[i].value(), $rest: out });
    }
    return out;
  }

  /**
   * Evaluates inside a branch: locals made there go to the branch's own statements, which stay in
   * an arrow function's body, and are forgotten after it.
   */
  private inBranch(make: (sink: ES.Statement[]) => ES.Expression): ES.Expression {
    const saved = new Map(this.memo);
    const inner: ES.Statement[] = [];
    const v = make(inner);
    this.memo.clear();
    for (const [k, e] of saved) this.memo.set(k, e);
    if (inner.length === 0) return v;
    return expr('(() => { $body; return $v; })()', { $body: inner, $v: v });
  }

  /** Binds an index expression to a local so conditions and loads share it. */
  private bindIndex(e: ES.Expression, sink: ES.Statement[]): ES.Expression {
    if (e.type === 'Literal' || e.type === 'Identifier') return e;
    const id = this.fresh('c');
    sink.push(...stmts('const $id = $v;', { $id: id, $v: e }));
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
