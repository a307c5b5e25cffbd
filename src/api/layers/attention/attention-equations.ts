/**
 * The einsum equations of multi-head dot-product attention over any attention axes, as Keras's
 * _build_attention_equation. Projected query, key and value are (batch, <other axes>,
 * <attention axes>, heads, channels); the batch, the other axes and the heads are batch axes of
 * both products.
 */
const letter = (i: number): string => String.fromCharCode(97 + i);

export interface AttentionEquations {
  /** key, query -> scores: (<batch axes>, <query attention axes>, <key attention axes>). */
  readonly dotProduct: string;
  /** scores, value -> output shaped as the projected query. */
  readonly combine: string;
  readonly scoresRank: number;
}

export function attentionEquations(rank: number, attentionAxes: readonly number[]): AttentionEquations {
  const target = Array.from({ length: rank }, (_, i) => letter(i));
  const batchAxes = target.map((_, i) => i).filter((i) => !attentionAxes.includes(i) && i !== rank - 1);
  let next = rank;
  const source = target.map((c, i) => (batchAxes.includes(i) || i === rank - 1 ? c : letter(next++)));
  const product = [...batchAxes.map((i) => target[i]), ...attentionAxes.map((i) => target[i]), ...attentionAxes.map((i) => source[i])].join('');
  const [s, t] = [source.join(''), target.join('')];
  return { dotProduct: `${s},${t}->${product}`, combine: `${product},${s}->${t}`, scoresRank: product.length };
}
