/**
 * A synthetic, seeded sentiment task for the text examples (imdb_lstm, text_transformer): no
 * labelled text data set ships inside a small, maintained npm package, and the examples must run
 * after `npm install` with no download. Each "review" is a variable-length run of neutral words with
 * one to three sentiment words in it; a negation word right before a sentiment word flips it
 * ("not good" counts as negative). The label is 1 when the flipped sentiment words sum to more
 * positive than negative (ties are redrawn). A bag of words gets most reviews right; the negations
 * need word order, which is what the sequence models are for.
 *
 * Sequences are zero-padded at the front to `maxlen` as Keras's pad_sequences does by default,
 * and token 0 is kept for padding (Embedding's maskZero).
 */
import { seededRandom } from './rng.js';

const NEGATIONS = ['not', 'never', 'hardly'];
const POSITIVE = ['good', 'great', 'superb', 'moving', 'funny', 'brilliant', 'charming', 'gripping', 'lovely', 'clever'];
const NEGATIVE = ['bad', 'dull', 'awful', 'boring', 'clumsy', 'tedious', 'weak', 'silly', 'bland', 'messy'];

export interface SentimentOptions {
  readonly samples: number;
  readonly maxlen: number;
  /** Token ids are in [1, vocabulary); the rest of the vocabulary after the sentiment words is neutral. */
  readonly vocabulary: number;
  readonly minLength?: number;
  readonly seed?: number;
}

export interface SentimentData {
  /** [samples, maxlen] token ids, 0 = padding. */
  readonly tokens: Int32Array;
  /** [samples] labels 0 (negative) or 1 (positive). */
  readonly labels: Float32Array;
  /** The words of one row, without padding, for printing. */
  words(row: number): string;
}

const firstNegation = 1;
const firstPositive = firstNegation + NEGATIONS.length;
const firstNegative = firstPositive + POSITIVE.length;
const firstNeutral = firstNegative + NEGATIVE.length;

function word(id: number): string {
  if (id < firstPositive) return NEGATIONS[id - firstNegation];
  if (id < firstNegative) return POSITIVE[id - firstPositive];
  if (id < firstNeutral) return NEGATIVE[id - firstNegative];
  return `w${id}`;
}

export function sentimentData({ samples, maxlen, vocabulary, minLength = 8, seed = 7 }: SentimentOptions): SentimentData {
  if (vocabulary <= firstNeutral + 1) throw new Error(`sentimentData: vocabulary must exceed ${firstNeutral + 1}, got ${vocabulary}`);
  if (maxlen < minLength) throw new Error(`sentimentData: maxlen must be at least ${minLength}, got ${maxlen}`);
  const random = seededRandom(seed);
  const pick = (n: number) => Math.floor(random() * n);
  // Neutral words by a Zipf-like law (word k about 1/k as frequent), as in real text: a few common
  // words carry no label, and the rare ones are too rare to memorise the training set by.
  const neutralCount = vocabulary - firstNeutral;
  const neutral = () => firstNeutral + Math.min(neutralCount - 1, Math.floor(Math.exp(random() * Math.log(neutralCount + 1))) - 1);
  const tokens = new Int32Array(samples * maxlen);
  const labels = new Float32Array(samples);
  for (let row = 0; row < samples; row++) {
    let review: number[];
    let score: number;
    do {
      const length = minLength + pick(maxlen - minLength + 1);
      review = Array.from({ length }, neutral);
      const count = 1 + pick(3);
      for (let k = 0; k < count; k++) {
        const positive = random() < 0.5;
        const negated = random() < 0.35;
        const at = 1 + pick(length - 1);
        review[at] = positive ? firstPositive + pick(POSITIVE.length) : firstNegative + pick(NEGATIVE.length);
        if (negated) review[at - 1] = firstNegation + pick(NEGATIONS.length);
      }
      // Scored from the final tokens: a later insertion can overwrite an earlier word or negation.
      score = 0;
      for (let t = 0; t < review.length; t++) {
        const id = review[t];
        if (id < firstPositive || id >= firstNeutral) continue;
        const sign = id < firstNegative ? 1 : -1;
        const negated = t > 0 && review[t - 1] < firstPositive;
        score += negated ? -sign : sign;
      }
    } while (score === 0);
    tokens.set(review, (row + 1) * maxlen - review.length);
    labels[row] = score > 0 ? 1 : 0;
  }
  return {
    tokens,
    labels,
    words(row) {
      const ids = Array.from(tokens.subarray(row * maxlen, (row + 1) * maxlen)).filter((id) => id !== 0);
      return ids.map(word).join(' ');
    },
  };
}
