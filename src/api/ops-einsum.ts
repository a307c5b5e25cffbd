/**
 * keras.ops.einsum, lowered to transpose, reshape, sum and (batched) matmul, so it fuses and
 * differentiates like any other composition of primitives. Operands are contracted pairwise from
 * the left; each pair's letters are sorted into batch (in both, still needed), contracted (in both,
 * no longer needed) and free (in one only) groups, each group flattened to one matmul axis.
 */
import * as B from '../ir/build.js';
import type { Node } from '../ir/node.js';
import { formatShape, ShapeError, type Dim } from '../ir/types.js';

interface Term {
  readonly node: Node;
  readonly letters: string;
}

function fail(subscripts: string, why: string): never {
  throw new ShapeError(`einsum('${subscripts}'): ${why}`);
}

function parse(subscripts: string, count: number): { inputs: string[]; output: string } {
  const text = subscripts.replace(/\s+/g, '');
  if (text.includes('.')) fail(subscripts, 'ellipses (...) are not supported; name every axis with a letter');
  const [lhs, rhs, ...extra] = text.split('->');
  if (extra.length > 0) fail(subscripts, "expected at most one '->'");
  const inputs = lhs.split(',');
  if (inputs.length !== count) fail(subscripts, `the subscripts name ${inputs.length} operand${inputs.length === 1 ? '' : 's'} but ${count} ${count === 1 ? 'was' : 'were'} given`);
  for (const term of [...inputs, rhs ?? '']) {
    if (!/^[a-zA-Z]*$/.test(term)) fail(subscripts, `'${term}' must be made of letters only`);
    if (new Set(term).size !== term.length) {
      fail(subscripts, `'${term}' repeats a letter; diagonals and traces are not supported`);
    }
  }
  // Implicit output, as NumPy: the letters that occur once, in alphabetical order.
  const all = inputs.join('');
  const output = rhs ?? [...new Set(all)].filter((c) => all.indexOf(c) === all.lastIndexOf(c)).sort().join('');
  for (const c of output) if (!all.includes(c)) fail(subscripts, `the output letter '${c}' names no input axis`);
  return { inputs, output };
}

const dimOf = (t: Term, letter: string): Dim => t.node.shape[t.letters.indexOf(letter)];

/** Product of the dims, or -1 when one is unknown (reshape's hole); null for more than one unknown. */
function flatSize(dims: readonly Dim[]): number | null {
  const unknown = dims.filter((d) => d === null).length;
  if (unknown > 1) return null;
  if (unknown === 1) return dims.length === 1 ? -1 : null;
  return dims.reduce<number>((p, d) => p * (d as number), 1);
}

/** Sums away the letters of `t` that are not in `keep`. */
function sumOut(t: Term, keep: (c: string) => boolean): Term {
  const axes = [...t.letters].flatMap((c, i) => (keep(c) ? [] : [i]));
  if (axes.length === 0) return t;
  return { node: B.sum(t.node, axes), letters: [...t.letters].filter((c) => keep(c)).join('') };
}

function permuted(t: Term, letters: string): Node {
  return B.transpose(t.node, [...letters].map((c) => t.letters.indexOf(c)));
}

/**
 * A trace with the batch still None only infers shapes, and an unknown axis cannot be merged
 * with others: such a contraction yields a value of the right shape and dtype that still depends
 * on both operands, and the real product is built when the model is traced at a concrete batch.
 */
function shapeOnly(a: Term, b: Term, letters: string): Term {
  const anchor = B.multiply(B.sum(a.node), B.sum(b.node));
  const shape = [...letters].map((c) => (a.letters.includes(c) ? dimOf(a, c) : dimOf(b, c)));
  return { node: B.broadcastTo(B.reshape(anchor, shape.map(() => 1)), shape), letters };
}

/** The letters of the product of `a` and `b` in contractPair's order: batch, then a's free, then b's free. */
function productLetters(a: Term, b: Term, needed: (c: string) => boolean): string {
  const batch = [...a.letters].filter((c) => b.letters.includes(c) && needed(c));
  const freeA = [...a.letters].filter((c) => !b.letters.includes(c) && needed(c));
  const freeB = [...b.letters].filter((c) => !a.letters.includes(c) && needed(c));
  return [...batch, ...freeA, ...freeB].join('');
}

/** Whether `letters` appear in `target` in the same relative order. */
function inOrderOf(letters: string, target: string): boolean {
  return letters === [...target].filter((c) => letters.includes(c)).join('');
}

/**
 * The pair's product; with `target` (the output, for the last pair), the operands are swapped
 * when only that order gives the output's letter order, so the final transpose is the identity:
 * attention's scores 'aecd,abcd->acbe' (keys, then queries) become one matmul of the queries by
 * the transposed keys instead of a product transposed through memory, forward and backward.
 */
function contractPair(subscripts: string, a0: Term, b0: Term, needed: (c: string) => boolean, target?: string): Term {
  let a = sumOut(a0, (c) => needed(c) || b0.letters.includes(c));
  let b = sumOut(b0, (c) => needed(c) || a.letters.includes(c));
  for (const c of a.letters) {
    if (!b.letters.includes(c)) continue;
    const [da, db] = [dimOf(a, c), dimOf(b, c)];
    if (da !== null && db !== null && da !== db) {
      fail(subscripts, `axis '${c}' has size ${da} in the operand of shape ${formatShape(a.node.shape)} and ${db} in the one of shape ${formatShape(b.node.shape)}`);
    }
  }
  if (target !== undefined && !inOrderOf(productLetters(a, b, needed), target) && inOrderOf(productLetters(b, a, needed), target)) [a, b] = [b, a];
  const batch = [...a.letters].filter((c) => b.letters.includes(c) && needed(c)).join('');
  const contracted = [...a.letters].filter((c) => b.letters.includes(c) && !needed(c)).join('');
  const freeA = [...a.letters].filter((c) => !b.letters.includes(c)).join('');
  const freeB = [...b.letters].filter((c) => !a.letters.includes(c)).join('');
  const letters = batch + freeA + freeB;
  const dims = (t: Term, group: string) => [...group].map((c) => dimOf(t, c));
  const [nb, nm, nk, nn] = [flatSize(dims(a, batch)), flatSize(dims(a, freeA)), flatSize(dims(a, contracted)), flatSize(dims(b, freeB))];
  const hasBatch = batch.length > 0;
  // One unknown axis is allowed, as the whole batch group; matrices' axes must be known.
  const concreteMatrices = [nm, nk, nn].every((d) => d !== null && d >= 0);
  if (nb === null || !concreteMatrices || (!hasBatch && [nm, nk, nn].includes(-1))) {
    return shapeOnly(a, b, letters);
  }
  const x = B.reshape(permuted(a, batch + freeA + contracted), hasBatch ? [nb, nm!, nk!] : [nm!, nk!]);
  const y = B.reshape(permuted(b, batch + contracted + freeB), hasBatch ? [nb, nk!, nn!] : [nk!, nn!]);
  const product = B.matmul(x, y);
  const shape = [...dims(a, batch), ...dims(a, freeA), ...dims(b, freeB)];
  return { node: B.reshape(product, shape), letters };
}

/**
 * einsum over float32 operands: every letter names an axis; letters missing from the output are
 * summed. Axes of the same letter must have the same size (no broadcasting of size-1 axes).
 */
export function einsumNodes(subscripts: string, operands: readonly Node[]): Node {
  if (operands.length === 0) fail(subscripts, 'expected at least one operand');
  const { inputs, output } = parse(subscripts, operands.length);
  const terms = operands.map((node, i): Term => {
    if (node.shape.length !== inputs[i].length) {
      fail(subscripts, `operand ${i} has rank ${node.shape.length} (shape ${formatShape(node.shape)}) but '${inputs[i]}' names ${inputs[i].length} axes`);
    }
    return { node, letters: inputs[i] };
  });
  let acc = terms[0];
  for (let i = 1; i < terms.length; i++) {
    const later = [output, ...inputs.slice(i + 1)].join('');
    acc = contractPair(subscripts, acc, terms[i], (c) => later.includes(c), i === terms.length - 1 ? output : undefined);
  }
  acc = sumOut(acc, (c) => output.includes(c));
  return permuted(acc, output);
}
