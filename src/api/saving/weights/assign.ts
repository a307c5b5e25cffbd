/**
 * All-or-nothing weight loading: every value from the file is checked against its variable
 * first (count, shape), and only when the whole plan is sound is anything assigned. A failed
 * load therefore leaves every weight of the model as it was.
 */
import { formatShape } from '../../../ir/types.js';
import type { Variable } from '../../layers/variable.js';
import { toNumbers, type H5Array } from '../hdf5/tree.js';

export interface Assignment {
  readonly variable: Variable;
  readonly value: H5Array;
  /** Where the value came from, for errors (`layers/dense/vars/0`). */
  readonly source: string;
}

/** A layer (saveable) whose values do not fit; with skipMismatch it is skipped as a whole. */
export interface Mismatch {
  readonly layerName: string;
  readonly message: string;
}

/** The shape error Keras users know, naming layer, weight, and both shapes. */
export function checkShape(a: Assignment, layerName: string): string | undefined {
  const want = a.variable.shape;
  const got = a.value.shape;
  if (want.length === got.length && want.every((d, i) => d === got[i])) {
    if (a.value.dtype === 'string') return `Layer '${layerName}' weight '${a.variable.name}' (${a.source}) holds strings, expected numbers`;
    return undefined;
  }
  return `Layer '${layerName}' weight '${a.variable.name}' (${a.source}) has shape ${formatShape(got)} in the file, but the layer expects shape ${formatShape(want)}`;
}

/** Keras's count error (layer._check_load_own_variables). */
export function countMessage(layerName: string, expected: readonly Variable[], received: number, built: boolean): string {
  if (expected.length === 0 && !built) {
    return `Layer '${layerName}' was never built and thus it doesn't have any variables. However the weights file lists ${received} variables for this layer.`;
  }
  return `Layer '${layerName}' expected ${expected.length} variables, but received ${received} variables during loading. Expected: [${expected.map((v) => `'${v.name}'`).join(', ')}]`;
}

export function applyAssignments(plan: readonly Assignment[]): void {
  // Conversions first, so a value that cannot be converted fails before any write.
  const converted = plan.map((a) => {
    const data = a.value.data;
    return data instanceof Float32Array && a.variable.dtype === 'float32' ? data : toNumbers(a.value, a.source);
  });
  plan.forEach((a, i) => a.variable.assign(converted[i]));
}

/** Throws one error listing every mismatch (the first ones in full), or warns and returns with skipMismatch. */
export function reportMismatches(mismatches: readonly Mismatch[], fileName: string, skipMismatch: boolean): void {
  if (mismatches.length === 0) return;
  const list = mismatches.slice(0, 10).map((m) => `- ${m.message}`).join('\n');
  const more = mismatches.length > 10 ? `\n(and ${mismatches.length - 10} more)` : '';
  if (skipMismatch) {
    // Keras warns (saving_lib._raise_loading_failure with warn_only) and keeps the skipped layers' weights.
    console.warn(`Loading weights from ${fileName}: skipped ${mismatches.length} layer(s) whose weights do not match (skipMismatch):\n${list}${more}`);
    return;
  }
  throw new Error(`Could not load weights from ${fileName}; no weight was changed. A total of ${mismatches.length} objects could not be loaded:\n${list}${more}\nPass { skipMismatch: true } to load the layers that match and skip the rest.`);
}
