/**
 * Optimizer state in a Keras 3 weights file: `optimizer/vars/0..` holding Keras's
 * `optimizer.variables` (iterations as an integer, learning rate, then each trained variable's slots;
 * see Optimizer.stateVariables for the order). The `.keras` writer puts this next to `layers/`.
 */
import type { Session, Variable as StoredVariable } from '../../../runtime/session.js';
import type { Optimizer } from '../../optimizers/base.js';
import { toNumbers, type H5Array, type H5Group } from '../hdf5/tree.js';
import { readVarsGroup, writeVarsGroup } from './weights-h5.js';
import { formatShape } from '../../../ir/types.js';

export const OPTIMIZER_PATH = 'optimizer';

function asArray(session: Session, v: StoredVariable, index: number): H5Array {
  const data = session.read(v);
  // Keras on JAX writes `iterations` as int32 (int64 on TensorFlow; both read); the rest is float32.
  if (index === 0) return { dtype: 'int32', shape: [], data: Int32Array.from(data) };
  return { dtype: 'float32', shape: [...v.shape], data: Float32Array.from(data) };
}

/** Writes the state of `optimizer` for `trained` (the model's trainable variables, in order) under `optimizer/`. */
export function writeOptimizerState(root: H5Group, optimizer: Optimizer, session: Session, trained: readonly StoredVariable[]): void {
  const vars = optimizer.stateVariables(session, trained);
  writeVarsGroup(root, OPTIMIZER_PATH, optimizer.name, vars.map((v, i) => asArray(session, v, i)));
}

/**
 * Restores the state written by Keras or by writeOptimizerState. Every value is checked first;
 * a count or shape mismatch is an error that changes nothing.
 */
export function loadOptimizerState(root: H5Group, optimizer: Optimizer, session: Session, trained: readonly StoredVariable[], fileName: string): void {
  const vars = optimizer.stateVariables(session, trained);
  const values = readVarsGroup(root, OPTIMIZER_PATH);
  if (values.length !== vars.length) {
    throw new Error(`${fileName}: the optimizer state has ${values.length} variables, but optimizer '${optimizer.name}' for ${trained.length} trainable variables expects ${vars.length} (iterations, learning rate, then each variable's slots)`);
  }
  const converted = vars.map((v, i) => {
    const got = values[i].shape;
    if (got.length !== v.shape.length || got.some((d, k) => d !== v.shape[k])) {
      throw new Error(`${fileName}: optimizer variable ${i} ('${v.label}', optimizer/vars/${i}) has shape ${formatShape(got)} in the file, but the optimizer expects shape ${formatShape(v.shape)}`);
    }
    return toNumbers(values[i], `${fileName}: optimizer/vars/${i}`);
  });
  vars.forEach((v, i) => session.write(v, converted[i]));
}
