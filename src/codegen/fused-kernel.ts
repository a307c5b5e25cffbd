import type * as ES from 'estree';
import type { FusedKernel } from '../ir/fusion.js';
import type { Node } from '../ir/node.js';
import { readsCoordinates } from '../ir/op-kinds.js';
import { sameShape, sizeOf, type ConcreteShape } from '../ir/types.js';
import { emitContraction } from './contraction.js';
import type { ContractionOp, Epilogue } from './contraction-api.js';
import { emitEpiloguePass } from './epilogue-pass.js';
import { ExprEmitter, shapeOf, viewName } from './expr-emitter.js';
import { At } from './index-expr.js';
import { elementwiseName, groupName, kernelBuffers, nameOf, reduceName, structuralKey } from './kernel-identity.js';
import { instantiate, type Kernel, type KernelAst } from './kernel.js';
import { OPAQUE, isOpaqueOp } from './opaque.js';
import { expr, ident, lit, stmts } from './template.js';

/**
 * Generates (or fetches from the cache) the kernel of one fused group. Its buffers are passed in
 * the order outputs, then inputs: o0.. are their element offsets.
 */
export function fusedKernel(k: FusedKernel): { kernel: Kernel; buffers: readonly Node[] } {
  const buffers = kernelBuffers(k);
  const key = structuralKey(k, buffers);
  let kernel = cache.get(key);
  if (kernel === undefined) {
    kernel = instantiate(buildAst(k, buffers));
    cache.set(key, kernel);
  }
  return { kernel, buffers };
}

/**
 * The JavaScript half of a contraction group run by the WebAssembly tier when its epilogue is not one
 * the wasm kernel applies itself: reads the raw product (the offset after the group's buffers)
 * and applies the group's epilogue, writing its outputs.
 */
export function fusedEpiloguePass(k: FusedKernel): { kernel: Kernel; buffers: readonly Node[] } {
  const buffers = kernelBuffers(k);
  const key = `pass;${structuralKey(k, buffers)}`;
  let kernel = cache.get(key);
  if (kernel === undefined) {
    kernel = instantiate(buildAst(k, buffers, true));
    cache.set(key, kernel);
  }
  return { kernel, buffers };
}

const cache = new Map<string, Kernel>();
export function kernelCacheSize(): number {
  return cache.size;
}

function buildAst(k: FusedKernel, buffers: readonly Node[], epiloguePass = false): KernelAst {
  const scope = kernelScope(k, buffers);
  switch (k.kind) {
    case 'elementwise': return elementwiseAst(scope);
    case 'reduce': return reduceAst(scope);
    case 'contraction': return contractionAst(scope, epiloguePass);
    case 'opaque': return opaqueAst(scope);
    case 'group': return groupAst(k, buffers);
    // A scan is not one kernel: the runtime compiles its body as a program (runtime/scan.ts).
    case 'loop': throw new Error('codegen: a scan kernel is lowered by the runtime, not generated');
  }
}

/** What each kind's kernel is built from: the group, its buffers' offset parameters, the value emitter and the output stores. */
interface KernelScope {
  readonly k: FusedKernel;
  readonly buffers: readonly Node[];
  readonly bufferParam: (n: Node) => ES.Expression;
  readonly emitter: ExprEmitter;
  /** What the emitter computes rather than loads; a row kernel's later stages load a map stage's outputs. */
  readonly computed: Set<Node>;
  /** The statements that compute `nodes` at `at` and store them to their buffers. */
  readonly storeOutputs: (nodes: readonly Node[], at: At, pin?: boolean) => ES.Statement[];
}

function kernelScope(k: FusedKernel, buffers: readonly Node[]): KernelScope {
  const param = new Map<Node, ES.Expression>(buffers.map((b, i) => [b, ident(`o${i}`)]));
  const bufferParam = (n: Node) => {
    const p = param.get(n);
    if (p === undefined) throw new Error(`codegen: ${n.op} is neither computed in the kernel nor one of its buffers`);
    return p;
  };
  const computed = new Set<Node>([...k.inline, ...k.outputs]);
  computed.delete(k.anchor);
  for (const stage of k.stages ?? []) if (stage.map !== true) computed.delete(stage.anchor);
  if (k.kind === 'elementwise') computed.add(k.anchor);
  const emitter = new ExprEmitter(computed, bufferParam);
  const store = (n: Node, at: At, value: ES.Expression) =>
    stmts('$V[$o + $i] = $v;', { $V: ident(viewName(n.dtype)), $o: bufferParam(n), $i: at.linear(), $v: value });
  // A map stage's values live in its inner loop: they are not pinned (later stages load them).
  const storeOutputs = (nodes: readonly Node[], a: At, pin = k.kind === 'reduce'): ES.Statement[] => {
    const { statements, values } = emitter.values(nodes, a);
    const out = [...statements];
    nodes.forEach((o, i) => {
      out.push(...store(o, a, values[i]));
      // Later reduction stages read this row's value from the local, not from memory.
      if (pin) emitter.pin(o, a, values[i]);
    });
    return out;
  };
  return { k, buffers, bufferParam, emitter, computed, storeOutputs };
}

function elementwiseAst({ k, buffers, emitter, storeOutputs }: KernelScope): KernelAst {
  const shape = shapeOf(k.outputs[0]);
  const flat = isFlat(k, shape);
  const loops = loopNest(shape, flat, (at) => { emitter.resetLocals(); return storeOutputs(k.outputs, at); });
  return { name: elementwiseName(k, shape), buffers: buffers.length, prelude: [], body: [...emitter.setup, ...loops] };
}

/**
 * A multi-tensor kernel: each member's loop in a block of its own, over the group's buffer
 * parameters (the members touch disjoint memory, so their order does not matter).
 */
function groupAst(k: FusedKernel, buffers: readonly Node[]): KernelAst {
  const members = k.members ?? [];
  const body = members.map((m): ES.Statement => ({ type: 'BlockStatement', body: [...elementwiseAst(kernelScope(m, buffers)).body] }));
  return { name: groupName(k), buffers: buffers.length, prelude: [], body };
}

function reduceAst({ k, buffers, emitter, computed, storeOutputs }: KernelScope): KernelAst {
  const loops = reduceLoops(k, emitter, computed, storeOutputs);
  return { name: reduceName(k), buffers: buffers.length, prelude: [], body: [...emitter.setup, ...loops] };
}

/** The GEMM with the group's epilogue at each finished element, or (`epiloguePass`) only the epilogue over a raw product. */
function contractionAst({ k, buffers, bufferParam, emitter, storeOutputs }: KernelScope, epiloguePass: boolean): KernelAst {
  const node = k.anchor as Node<ContractionOp>;
  const shape = shapeOf(node);
  const epilogue: Epilogue = (acc, index) => {
    emitter.resetLocals();
    const at = At.of(shape, index.flat, (axis) => index.coord(axis));
    emitter.provide(node, at, acc);
    return storeOutputs(k.outputs, at);
  };
  // The epilogue pass of the WebAssembly tier: the raw product comes in one more buffer, after the group's own.
  const code = epiloguePass
    ? emitEpiloguePass(node, ident(`o${buffers.length}`), epilogue)
    : emitContraction({ node, a: bufferParam(node.inputs[0]), b: bufferParam(node.inputs[1]), epilogue });
  return { name: nameOf(k, code.name), buffers: buffers.length + (epiloguePass ? 1 : 0), prelude: code.prelude, body: [...emitter.setup, ...code.body] };
}

function opaqueAst({ k, buffers }: KernelScope): KernelAst {
  const node = k.anchor;
  if (!isOpaqueOp(node.op)) throw new Error(`codegen: no kernel for ${node.op}`);
  const emit = OPAQUE[node.op] as (n: Node) => ES.Statement[];
  return { name: `${node.op}_${shapeOf(node).join('x')}`, buffers: buffers.length, prelude: [], body: emit(node) };
}

/** A flat loop serves when every value in the group shares the output's layout (or is a scalar). */
function isFlat(k: FusedKernel, shape: ConcreteShape): boolean {
  const same = (n: Node) => sameShape(n.shape, shape) || sizeOf(shapeOf(n)) === 1;
  for (const n of [...k.inline, ...k.outputs]) {
    if (readsCoordinates(n)) return false;
    if (!same(n) && n.op !== 'fill') return false;
  }
  return k.inputs.every(same);
}

function loopNest(shape: ConcreteShape, flat: boolean, body: (at: At) => ES.Statement[]): ES.Statement[] {
  const n = sizeOf(shape);
  if (flat || shape.length <= 1) {
    const i = ident('i');
    const at = At.ofLinear(shape, i, shape.length === 1 ? () => i : undefined);
    return stmts('for (let i = 0; i < $N; i++) { $BODY; }', { $N: n, $BODY: body(at) });
  }
  const coords = shape.map((_, d) => ident(`i${d}`));
  let inner: ES.Statement[] = body(At.ofCoords(shape, coords));
  for (let d = shape.length - 1; d >= 0; d--) {
    inner = stmts('for (let $i = 0; $i < $N; $i++) { $BODY; }', { $i: coords[d], $N: shape[d], $BODY: inner });
  }
  return inner;
}

/**
 * A reduction: outer loops over the kept axes; per output row, one inner loop over the reduced
 * axes per stage (the stage's elementwise producers computed in its body), then the stage's
 * epilogue and stores. A later stage reads an earlier one's per-row result from a register.
 */
function reduceLoops(k: FusedKernel, emitter: ExprEmitter, computed: Set<Node>, storeOutputs: KernelScope['storeOutputs']): ES.Statement[] {
  const stages = k.stages ?? [{ anchor: k.anchor, epilogue: k.epilogue }];
  const first = stages[0].anchor as Node<'sum' | 'max'>;
  const xShape = shapeOf(first.inputs[0]);
  const axes = first.attrs.axes;
  const coords = xShape.map((_, d) => ident(`i${d}`));
  const rowBody: ES.Statement[] = [];
  const overReduced = (body: ES.Statement[]): ES.Statement[] => {
    let loops = body;
    for (let d = xShape.length - 1; d >= 0; d--) {
      if (!axes.includes(d)) continue;
      loops = stmts('for (let $i = 0; $i < $N; $i++) { $BODY; }', { $i: coords[d], $N: xShape[d], $BODY: loops });
    }
    return loops;
  };
  stages.forEach((stage, s) => {
    if (stage.map === true) {
      emitter.resetLocals();
      rowBody.push(...overReduced(storeOutputs(stage.epilogue, At.ofCoords(xShape, coords), false)));
      // Stored for this row now: later stages load them rather than recompute their chains.
      for (const o of stage.epilogue) computed.delete(o);
      return;
    }
    const r = stage.anchor as Node<'sum' | 'max'>;
    const acc = ident(`acc${s}`);
    emitter.resetLocals();
    const { statements, values: [v] } = emitter.values([r.inputs[0]], At.ofCoords(xShape, coords));
    const inner = [...statements, ...(r.op === 'sum'
      ? stmts('$acc += $v;', { $acc: acc, $v: v })
      : stmts('{ const v = $v; if (v > $acc || v !== v) $acc = v; }', { $acc: acc, $v: v }))];
    const loops = overReduced(inner);
    emitter.resetLocals();
    const outShape = shapeOf(r);
    const outCoords = r.attrs.keepDims ? xShape.map((_, d) => (axes.includes(d) ? lit(0) : coords[d])) : coords.filter((_, d) => !axes.includes(d));
    const at = At.ofCoords(outShape, outCoords);
    emitter.pin(r, at, acc);
    const mine = k.outputs.filter((o) => o === r || stage.epilogue.includes(o));
    const tail = storeOutputs(mine, at);
    rowBody.push(...stmts('let $acc = $init;', { $acc: acc, $init: r.op === 'sum' ? lit(0) : lit(-Infinity) }), ...loops, ...tail);
  });
  let outer = rowBody;
  for (let d = xShape.length - 1; d >= 0; d--) {
    if (axes.includes(d)) continue;
    outer = stmts('for (let $i = 0; $i < $N; $i++) { $BODY; }', { $i: coords[d], $N: xShape[d], $BODY: outer });
  }
  return outer;
}
