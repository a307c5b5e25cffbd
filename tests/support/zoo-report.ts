/**
 * Runs a one-layer model both compiled (model.predict, the active tier) and on the reference
 * interpreter, and keeps the worst difference from the oracle per layer class, printed as a
 * table when KERAS_JIT_ZOO_REPORT is set (for the closing note).
 */
import { Input, Model, type Tensor } from '../../src/index.js';
import type { KerasTensor } from '../../src/api/layers/keras-tensor.js';
import type { Layer } from '../../src/api/layers/layer.js';
import { evalModel, maxAbsDiff } from './api-eval.js';

const worst = new Map<string, { oracle: string; diff: number }>();

export function record(name: string, oracle: string, diff: number): void {
  const key = `${name}\u0000${oracle}`;
  const seen = worst.get(key);
  if (seen === undefined || diff > seen.diff) worst.set(key, { oracle, diff });
}

export function printReport(): void {
  if (process.env.KERAS_JIT_ZOO_REPORT === undefined) return;
  const rows = [...worst.entries()].map(([key, { oracle, diff }]) => `| ${key.split('\u0000')[0]} | ${oracle} | ${diff.toExponential(2)} |`).sort();
  console.log(['| layer | oracle | worst |diff| |', '|---|---|---|', ...rows].join('\n'));
}

/** The layer's output on `inputs`, compiled and interpreted. */
export function runLayer(layer: Layer, inputs: readonly Tensor[], { training = false } = {}): { compiled: Tensor; interpreted: Tensor; model: Model } {
  const symbolic = inputs.map((x) => Input({ shape: x.shape.slice(1) }));
  const out = layer(symbolic.length === 1 ? symbolic[0] : symbolic) as KerasTensor;
  const model = new Model({ inputs: symbolic, outputs: out });
  const interpreted = evalModel(model, inputs, { training }).outputs[0];
  const compiled = model.predict(inputs.length === 1 ? inputs[0] : [...inputs], { verbose: 0 }) as Tensor;
  return { compiled, interpreted, model };
}

/** Worst |difference| of both runs from the expected values. */
export function worstOf(run: { compiled: Tensor; interpreted: Tensor }, expected: ArrayLike<number>): number {
  return Math.max(maxAbsDiff(run.compiled.data, expected), maxAbsDiff(run.interpreted.data, expected));
}
