import type { Graph } from './graph.js';
import { liveNodes } from './dce.js';
import { consumersOf, graphRoots } from './graph.js';
import type { Node } from './node.js';
import { OPS } from './optable.js';
import { isConcrete, sameShape, sizeOf } from './types.js';
import { BUFFER_ALIGN } from './memory-plan.js';
import { partOffsets, scanParts } from './scan-body.js';

/**
 * 'group' is a multi-tensor kernel (ir/multi-tensor.ts): independent elementwise kernels, each with
 * its own shape and loop, run as one call; the memory plan forms it, after placing buffers.
 */
export type KernelKind = 'elementwise' | 'reduce' | 'contraction' | 'opaque' | 'loop' | 'group';

/**
 * One pass of a row kernel over each output row's reduced axes: a reduction (its anchor, then its
 * epilogue at the row's value), or (`map`) an elementwise loop writing `epilogue`, of the
 * domain's shape, from the row values before it (softmax's exp(x - max) / sum).
 */
export interface Stage {
  readonly anchor: Node;
  readonly epilogue: readonly Node[];
  readonly map?: true;
}

/** One kernel to generate: what it computes inline, what it reads and writes as buffers. */
export interface FusedKernel {
  readonly kind: KernelKind;
  /** The reduction, contraction or opaque op the kernel is built around; for elementwise kernels, its first output. */
  readonly anchor: Node;
  /** Elementwise nodes applied to the anchor's result, in order; the last is the anchor's output. */
  readonly epilogue: readonly Node[];
  /** Nodes the kernel writes to buffers, in the order it computes them. */
  readonly outputs: readonly Node[];
  /** Nodes computed inline, never stored. */
  readonly inline: ReadonlySet<Node>;
  /** Buffers the kernel reads. */
  readonly inputs: readonly Node[];
  /**
   * Reductions over one domain run back to back per output row (softmax's max then sum of
   * exponentials): each stage's anchor and epilogue, in order. Absent for single-stage kernels.
   */
  readonly stages?: readonly Stage[];
  /** A group's elementwise kernels, in run order; present exactly when kind is 'group'. */
  readonly members?: readonly FusedKernel[];
}

export interface FusionPlan {
  readonly kernels: readonly FusedKernel[];
  /** Every node that lives in a buffer: sources, kernel outputs and views. */
  readonly materialised: ReadonlySet<Node>;
  /**
   * Reshapes of a buffer that a kernel reads whole (a contraction's operand, a program output):
   * a reshape keeps the row-major order, so the view is the buffer it reshapes (its root here),
   * with no copy kernel.
   */
  readonly views: ReadonlyMap<Node, Node>;
  /**
   * Where a view starts inside its root, in elements, when not at 0: a scan result is one part of
   * the scan's packed buffer (its carries, outputs and saved residuals side by side), so reading it,
   * or a reshape of it, reads the packed buffer from the part's offset, with no copy kernel.
   */
  readonly viewOffsets: ReadonlyMap<Node, number>;
}

const kindOf = (n: Node) => OPS[n.op].kind;
const isAnchor = (n: Node) => ['reduce', 'contraction', 'opaque', 'loop'].includes(kindOf(n));
const isInlineable = (n: Node) => ['elementwise', 'movement', 'generator'].includes(kindOf(n));

/**
 * The fusion pass (docs/ARCHITECTURE.md, "Fusion kinds"): elementwise chains become one loop; a reduction
 * absorbs its elementwise producers and a chain of same-shape consumers; a contraction absorbs
 * such a chain as its epilogue; cheap producers are recomputed where used; elementwise kernels of
 * one shape that feed each other merge into one loop with several outputs (optimizer updates).
 */
export function fuse(graph: Graph): FusionPlan {
  const roots = new Set(graphRoots(graph));
  const order = liveNodes(graph);
  const users = consumersOf(order);
  const chains = epilogueChains(order, users, roots);
  const { materialised, views, viewOffsets } = chooseBuffers(order, users, roots, chains);
  const kernels = groupKernels(order, chains, materialised, views);
  const merged = mergeElementwise(mergeReductions(kernels, users, views), users, views);
  return { kernels: mergeProductReaders(merged, users, views, roots, order), materialised, views, viewOffsets };
}

/** Each anchor's epilogue chain, and every node that is in one. */
interface EpilogueChains {
  readonly of: ReadonlyMap<Node, readonly Node[]>;
  readonly members: ReadonlySet<Node>;
}

/** The node an anchor's kernel writes: the end of its epilogue chain, or the anchor itself. */
function chainEnd(anchor: Node, chains: EpilogueChains): Node {
  const chain = chains.of.get(anchor) ?? [];
  return chain.length > 0 ? chain[chain.length - 1] : anchor;
}

/** Epilogue chains: the same-shape, single-consumer elementwise successors of each reduction and contraction. */
function epilogueChains(order: readonly Node[], users: ReadonlyMap<Node, readonly Node[]>, roots: ReadonlySet<Node>): EpilogueChains {
  const of = new Map<Node, Node[]>();
  const members = new Set<Node>();
  for (const n of order) {
    if (kindOf(n) !== 'reduce' && kindOf(n) !== 'contraction') continue;
    const chain: Node[] = [];
    let tail = n;
    while (!roots.has(tail)) {
      const next = users.get(tail)!;
      if (next.length !== 1) break;
      const c = next[0];
      if (kindOf(c) !== 'elementwise' || !sameShape(c.shape, n.shape) || members.has(c)) break;
      chain.push(c);
      members.add(c);
      tail = c;
    }
    of.set(n, chain);
  }
  return { of, members };
}

/**
 * The nodes that live in buffers: sources, what each anchor's kernel writes, roots, what a
 * contraction or opaque op reads, and shared producers too costly or too large to recompute.
 */
function chooseBuffers(order: readonly Node[], users: ReadonlyMap<Node, readonly Node[]>, roots: ReadonlySet<Node>, chains: EpilogueChains): { materialised: Set<Node>; views: Map<Node, Node>; viewOffsets: Map<Node, number> } {
  const materialised = new Set<Node>();
  const views = new Map<Node, Node>();
  const viewOffsets = new Map<Node, number>();
  const subtreeSize = new Map<Node, number>();
  for (const n of order) {
    let s = 1;
    for (const i of n.inputs) if (isInlineable(i)) s += subtreeSize.get(i) ?? 1;
    subtreeSize.set(n, s);
  }

  // Expensive if it, or anything it would recompute inline, is: a dropout mask (a comparison of
  // random draws) read by the forward and the backward pass is stored once, not drawn twice.
  const costlyMemo = new Map<Node, boolean>();
  const costly = (n: Node): boolean => {
    let c = costlyMemo.get(n);
    if (c === undefined) {
      c = OPS[n.op].expensive === true || n.inputs.some((i) => isInlineable(i) && !materialised.has(i) && costly(i));
      costlyMemo.set(n, c);
    }
    return c;
  };
  for (const n of order) {
    const kind = kindOf(n);
    const us = users.get(n)!;
    if (kind === 'source') { materialised.add(n); continue; }
    if (isAnchor(n)) { materialised.add(chainEnd(n, chains)); continue; }
    if (chains.members.has(n)) continue; // handled with its anchor
    const part = scanPartView(n, materialised);
    if (part !== undefined) {
      materialised.add(n);
      views.set(n, part.scan);
      viewOffsets.set(n, part.offset);
      continue;
    }
    const needsBuffer = roots.has(n)
      || us.some((u) => kindOf(u) === 'contraction' || kindOf(u) === 'opaque' || kindOf(u) === 'loop' || (u.op === 'randomUniform'))
      || (us.length > 1 && kind !== 'generator' && (costly(n) || (subtreeSize.get(n) ?? 1) > 3))
      // max's gradient compares x with max(x): both sides must read the same stored float32
      // values, not one a stored maximum and the other x recomputed in float64.
      || (us.length > 1 && kind !== 'generator' && us.some((u) => u.op === 'max'));
    if (!needsBuffer) continue;
    materialised.add(n);
    const source = n.inputs[0];
    const base = views.get(source) ?? source;
    // Outputs are read after the step's variable updates: an output must not be a view of a variable.
    if (n.op === 'reshape' && materialised.has(source) && !(roots.has(n) && base.op === 'variable')) {
      views.set(n, base);
      const offset = viewOffsets.get(source);
      if (offset !== undefined) viewOffsets.set(n, offset);
    }
  }
  return { materialised, views, viewOffsets };
}

/**
 * A scan result that can be read in place: its scan has a buffer and the part starts on a buffer
 * alignment boundary (kernels may assume their operands start aligned, as arena buffers do).
 */
function scanPartView(n: Node, materialised: ReadonlySet<Node>): { scan: Node; offset: number } | undefined {
  if (n.op !== 'scanOutput') return undefined;
  const scan = n.inputs[0] as Node<'scan'>;
  if (scan.op !== 'scan' || !materialised.has(scan)) return undefined;
  const offsets = partOffsets(scanParts(scan.attrs));
  const offset = offsets?.[(n as Node<'scanOutput'>).attrs.index];
  return offset === undefined || (offset * 4) % BUFFER_ALIGN !== 0 ? undefined : { scan, offset };
}

/** One kernel per anchor (with its epilogue) and per other buffer, in run order, before merging. */
function groupKernels(order: readonly Node[], chains: EpilogueChains, materialised: ReadonlySet<Node>, views: ReadonlyMap<Node, Node>): FusedKernel[] {
  const collectInline = (start: readonly Node[], inline: Set<Node>, inputs: Set<Node>) => {
    const stack = [...start];
    while (stack.length > 0) {
      const n = stack.pop()!;
      for (const i of n.inputs) {
        if (materialised.has(i) && !inline.has(i)) inputs.add(i);
        else if (!inline.has(i) && !materialised.has(i)) {
          inline.add(i);
          stack.push(i);
        }
      }
    }
  };

  // An anchor's kernel runs where its epilogue ends, once the epilogue's other operands exist.
  const anchorOfEnd = new Map<Node, Node>();
  for (const anchor of chains.of.keys()) anchorOfEnd.set(chainEnd(anchor, chains), anchor);
  const kernels: FusedKernel[] = [];
  for (const at of order) {
    const n = anchorOfEnd.get(at) ?? at;
    if (isAnchor(at) && n === at && (chains.of.get(at)?.length ?? 0) > 0) continue;
    if (!isAnchor(n) && (!materialised.has(n) || kindOf(n) === 'source' || chains.members.has(n) || views.has(n))) continue;
    const inline = new Set<Node>();
    const inputs = new Set<Node>();
    if (isAnchor(n)) {
      const chain = chains.of.get(n) ?? [];
      const out = chainEnd(n, chains);
      if (kindOf(n) === 'reduce') collectInline([n], inline, inputs);
      else for (const i of n.inputs) inputs.add(i);
      for (const c of chain) inline.add(c);
      inline.delete(out);
      collectInline(chain, inline, inputs);
      inline.delete(n);
      inputs.delete(n);
      for (const c of chain) inputs.delete(c);
      kernels.push({ kind: kindOf(n) as KernelKind, anchor: n, epilogue: chain, outputs: [out], inline, inputs: [...inputs] });
    } else {
      collectInline([n], inline, inputs);
      kernels.push({ kind: 'elementwise', anchor: n, epilogue: [], outputs: [n], inline, inputs: [...inputs] });
    }
  }
  return kernels;
}

/** Where a merged pair's kernel runs: at the producer's place or at the reader's. */
type Merge = { readonly kernel: FusedKernel; readonly at: 'producer' | 'reader' };

/**
 * Merges pairs of kernels until none merges: for each kernel (the reader) and each buffer it
 * reads that another kernel writes (the producer), `tryMerge` says whether the two become one.
 * A view is produced by whoever writes its root, so a merge never moves a view's reader before
 * the root is written; a view itself is never merged across (its reader reads the root's memory).
 */
function mergePairs(kernels: readonly FusedKernel[], views: ReadonlyMap<Node, Node>, tryMerge: (producer: FusedKernel, reader: FusedKernel, buffer: Node, i: number, j: number, list: readonly FusedKernel[], producerOf: ReadonlyMap<Node, number>) => Merge | undefined): FusedKernel[] {
  const list = [...kernels];
  let changed = true;
  while (changed) {
    changed = false;
    const producerOf = new Map<Node, number>();
    list.forEach((k, i) => k.outputs.forEach((o) => producerOf.set(o, i)));
    for (const [view, root] of views) {
      const i = producerOf.get(root);
      if (i !== undefined) producerOf.set(view, i);
    }
    for (let j = 0; j < list.length && !changed; j++) {
      for (const buffer of list[j].inputs) {
        if (views.has(buffer)) continue;
        const i = producerOf.get(buffer);
        if (i === undefined || i === j) continue;
        const merge = tryMerge(list[i], list[j], buffer, i, j, list, producerOf);
        if (merge === undefined) continue;
        if (merge.at === 'producer') {
          list[i] = merge.kernel;
          list.splice(j, 1);
        } else {
          list[j] = merge.kernel;
          list.splice(i, 1);
        }
        changed = true;
        break;
      }
    }
  }
  return list;
}

/**
 * Merges an elementwise kernel into the one that reads its output at the same index, so values
 * such as Adam's new moments feed the weight update from a register, not memory.
 */
function mergeElementwise(kernels: FusedKernel[], users: Map<Node, Node[]>, views: ReadonlyMap<Node, Node>): FusedKernel[] {
  return mergePairs(kernels, views, (source, reader, input, i, j, list, producerOf) => {
    if (reader.kind !== 'elementwise' || source.kind !== 'elementwise' || !sameShape(source.anchor.shape, reader.anchor.shape)) return undefined;
    // The reader must use the value at the very index it writes, i.e. only through elementwise ops of the same shape.
    const readersInside = (users.get(input) ?? []).filter((u) => reader.inline.has(u) || reader.outputs.includes(u));
    if (!readersInside.every((u) => kindOf(u) === 'elementwise' && sameShape(u.shape, input.shape))) return undefined;
    // The merged kernel runs where the producer ran, if the reader's buffers are ready by then,
    // or where the reader runs, if nothing in between reads the producer's outputs.
    const readyEarly = reader.inputs.every((b) => source.outputs.includes(b) || (producerOf.get(b) ?? -1) < i);
    const unreadBetween = list.slice(i + 1, j).every((k) => !k.inputs.some((b) => source.outputs.includes(views.get(b) ?? b)));
    if (!readyEarly && !unreadBetween) return undefined;
    const outputs = [...source.outputs, ...reader.outputs];
    const kernel: FusedKernel = {
      kind: 'elementwise', anchor: source.anchor, epilogue: [], outputs,
      inline: new Set([...source.inline, ...reader.inline]),
      inputs: [...new Set([...source.inputs, ...reader.inputs])].filter((b) => !outputs.includes(b)),
    };
    return { kernel, at: readyEarly ? 'producer' : 'reader' };
  });
}

/**
 * Row kernels: merges into a reduction's kernel a later kernel over the same domain that reads its
 * results only per row, once the row's loops before are done: a reduction over the same axes
 * (reading a row value broadcast along the reduced axes), or an elementwise kernel of the
 * domain's shape (a map stage). Either may also read a map stage's output at the very index it
 * computes. All run in one kernel, one inner loop after the other per row, row values kept in
 * registers: softmax's max, sum of exponentials and division, and the loss after them.
 */
function mergeReductions(kernels: FusedKernel[], users: Map<Node, Node[]>, views: ReadonlyMap<Node, Node>): FusedKernel[] {
  const stagesOf = (k: FusedKernel): readonly Stage[] => k.stages ?? [{ anchor: k.anchor, epilogue: k.epilogue }];
  const domain = (k: FusedKernel) => k.anchor.inputs[0].shape;
  const axesOf = (k: FusedKernel) => (k.anchor as Node<'sum' | 'max'>).attrs.axes;
  return mergePairs(kernels, views, (first, later, _input, i, _j, _list, producerOf) => {
    if (first.kind !== 'reduce') return undefined;
    const dom = domain(first);
    if (later.kind === 'reduce') {
      if (!sameShape(domain(later), dom) || axesOf(first).join() !== axesOf(later).join()) return undefined;
    } else if (later.kind === 'elementwise') {
      if (!later.outputs.every((o) => sameShape(o.shape, dom))) return undefined;
    } else return undefined;
    const rowShape = dom.map((d, a) => (axesOf(first).includes(a) ? 1 : d));
    const mapped = new Set(stagesOf(first).filter((s) => s.map === true).flatMap((s) => s.epilogue));
    const laterAnchors = new Set(later.kind === 'reduce' ? stagesOf(later).map((s) => s.anchor) : []);
    const keptShape = dom.filter((_, a) => !axesOf(first).includes(a));
    const insideOf = (n: Node) => (users.get(n) ?? []).filter((u) => later.inline.has(u) || later.outputs.includes(u) || laterAnchors.has(u));
    const atSameIndex = (u: Node) => kindOf(u) === 'elementwise' && sameShape(u.shape, dom);
    // A row value reaches the domain's index as it is, or broadcast to the domain; one without the
    // reduced axes (keepDims false) first reshaped to the row's shape, which keeps its order.
    const broadcastRow = (u: Node) => atSameIndex(u) || (u.op === 'broadcastTo' && sameShape(u.shape, dom) && insideOf(u).every(atSameIndex));
    const reshapedRow = (u: Node) => u.op === 'reshape' && sameShape(u.shape, rowShape) && insideOf(u).every(broadcastRow);
    // A later reduction's epilogue runs at the row, after every stage before it: it can read an
    // earlier stage's row value as it is (accuracy's argmax of the labels compared with the
    // prediction's argmax, which the loss tail's kernel already computed).
    const laterEpilogue = new Set(later.kind === 'reduce' ? stagesOf(later).flatMap((s) => s.epilogue) : []);
    const atSameRow = (u: Node) => laterEpilogue.has(u) && kindOf(u) === 'elementwise' && sameShape(u.shape, keptShape);
    for (const b of later.inputs.filter((x) => first.outputs.includes(x))) {
      const inside = insideOf(b);
      // A row value, read per row; or a map output, at the index it was computed.
      const ok = sameShape(b.shape, rowShape) ? inside.every(broadcastRow)
        : mapped.has(b) ? inside.every((u) => atSameIndex(u) || (laterAnchors.has(u) && u.inputs[0] === b))
          : sameShape(b.shape, keptShape) && inside.every((u) => reshapedRow(u) || atSameRow(u));
      if (!ok) return undefined;
    }
    if (!later.inputs.every((b) => first.outputs.includes(b) || (producerOf.get(b) ?? -1) < i)) return undefined;
    const outputs = [...first.outputs, ...later.outputs];
    const added: readonly Stage[] = later.kind === 'reduce' ? stagesOf(later) : [{ anchor: later.anchor, epilogue: later.outputs, map: true }];
    const kernel: FusedKernel = {
      kind: 'reduce', anchor: first.anchor, epilogue: [],
      stages: [...stagesOf(first), ...added],
      outputs,
      inline: new Set([...first.inline, ...later.inline, ...added.filter((s) => s.map !== true).map((s) => s.anchor)]),
      inputs: [...new Set([...first.inputs, ...later.inputs])].filter((b) => !outputs.includes(b)),
    };
    return { kernel, at: 'producer' };
  });
}

/**
 * A matmul whose product (after its own flat epilogue, if any) only one elementwise kernel reads,
 * and at the index it writes, takes that kernel as its epilogue: a weight gradient read twice by its
 * optimizer step (RMSprop's g² and lr·g; Adam's moments) is never stored, and where the tier
 * applies the epilogue in the kernel (the native one) the step runs on each block of the product
 * as it is computed (SGD's single-consumer chain is absorbed by `epilogueChains` already). Only a flat epilogue
 * (values of the product's element count or one element) merges, so every tier can run it over
 * the product as one pass where it cannot apply it in the kernel. Convolutions keep theirs: their
 * gradients are assembled from chunks before an epilogue can run.
 */
function mergeProductReaders(kernels: FusedKernel[], users: Map<Node, Node[]>, views: ReadonlyMap<Node, Node>, roots: ReadonlySet<Node>, order: readonly Node[]): FusedKernel[] {
  const position = new Map(order.map((n, i) => [n, i]));
  const viewed = new Set(views.values());
  return mergePairs(kernels, views, (product, reader, buffer, i, _j, list, producerOf) => {
    const node = product.anchor, out = product.outputs[0];
    if (product.kind !== 'contraction' || node.op !== 'matmul' || product.outputs.length !== 1) return undefined;
    if (reader.kind !== 'elementwise' || buffer !== out || roots.has(out) || viewed.has(out)) return undefined;
    if (list.some((k) => k !== reader && k.inputs.includes(out))) return undefined;
    if (!isConcrete(node.shape) || sizeOf(node.shape) === 1) return undefined;
    // A cheap producer either kernel recomputes inline is one node of the merged epilogue.
    const computed = [...new Set([...product.epilogue, ...product.inline, ...reader.inline, ...reader.outputs])];
    const flat = (n: Node) => sameShape(n.shape, node.shape) || (isConcrete(n.shape) && sizeOf(n.shape) === 1);
    if (!computed.every((n) => (kindOf(n) === 'elementwise' || kindOf(n) === 'generator') && flat(n))) return undefined;
    // A bias (a row vector) keeps its kernel where the product kernel applies it.
    const operands = new Set(node.inputs);
    if (![...product.inputs, ...reader.inputs].every((b) => operands.has(b) || b === out || flat(b))) return undefined;
    if (!(users.get(out) ?? []).every((u) => computed.includes(u))) return undefined;
    // At the product's place when the reader's other buffers are ready by then (the memory plan
    // then keeps the bias updates after it adjacent, one multi-tensor call); else at the reader's:
    // the product's inputs are ready there too, and nothing between reads the product.
    const readyEarly = reader.inputs.every((b) => b === out || (producerOf.get(b) ?? -1) < i);
    const epilogue = computed.sort((a, b) => position.get(a)! - position.get(b)!);
    const kernel: FusedKernel = {
      kind: 'contraction', anchor: node, epilogue, outputs: reader.outputs,
      inline: new Set([...product.inline, ...product.epilogue, ...reader.inline].filter((n) => !reader.outputs.includes(n))),
      inputs: [...new Set([...product.inputs, ...reader.inputs])].filter((b) => b !== out && !reader.outputs.includes(b)),
    };
    return { kernel, at: readyEarly ? 'producer' : 'reader' };
  });
}
