/**
 * Optimizer state in a Keras 3 weights file: `optimizer/vars/0..` holding Keras's
 * `optimizer.variables` (iterations as an integer, learning rate, then each trained variable's slots;
 * see Optimizer.stateVariables for the order). The `.keras` and `.weights.h5` writers put this next
 * to `layers/` when the model is compiled.
 */
import type { Session, Variable as StoredVariable } from '../../../runtime/session.js';
import type { Optimizer } from '../../optimizers/base.js';
import { getSession } from '../../backend.js';
import { groupAt, toNumbers, type H5Array, type H5Group } from '../hdf5/tree.js';
import { readVarsGroup, writeVarsGroup } from './weights-h5.js';
import { formatShape } from '../../../ir/types.js';

export const OPTIMIZER_PATH = 'optimizer';

/** What the optimizer code needs of a model (a compiled Model). */
export interface CompiledModel {
  readonly compiled?: { readonly optimizer: Optimizer };
  trainableVariables(): StoredVariable[];
}

function asArray(session: Session, v: StoredVariable, index: number): H5Array {
  const data = session.read(v);
  // Keras on JAX writes `iterations` as int32 (int64 on TensorFlow; both read); the rest is float32.
  if (index === 0) return { dtype: 'int32', shape: [], data: Int32Array.from(data) };
  return { dtype: 'float32', shape: [...v.shape], data: Float32Array.from(data) };
}

/**
 * Writes the state of `optimizer` for `trained` (the model's trainable variables, in order) under
 * `optimizer/`. An optimizer never built (no training step yet) has, as in Keras, only its
 * iterations and learning rate; writing does not build it.
 */
export function writeOptimizerState(root: H5Group, optimizer: Optimizer, session: Session, trained: readonly StoredVariable[]): void {
  if (!optimizer.built) {
    const unbuilt: H5Array[] = [
      { dtype: 'int32', shape: [], data: Int32Array.of(0) },
      { dtype: 'float32', shape: [], data: Float32Array.of(optimizer.learningRate) },
    ];
    writeVarsGroup(root, OPTIMIZER_PATH, optimizer.name, unbuilt);
    return;
  }
  const vars = optimizer.stateVariables(session, trained);
  writeVarsGroup(root, OPTIMIZER_PATH, optimizer.name, vars.map((v, i) => asArray(session, v, i)));
}

/** Checks the shapes of `values` against `vars` and converts them; throws (changing nothing) on a mismatch. */
function checkedValues(vars: ReadonlyArray<{ readonly shape: readonly number[]; readonly label: string }>, values: readonly H5Array[], fileName: string): Float64Array[] {
  return vars.map((v, i) => {
    const got = values[i].shape;
    if (got.length !== v.shape.length || got.some((d, k) => d !== v.shape[k])) {
      throw new Error(`${fileName}: optimizer variable ${i} ('${v.label}', optimizer/vars/${i}) has shape ${formatShape(got)} in the file, but the optimizer expects shape ${formatShape(v.shape)}`);
    }
    return toNumbers(values[i], `${fileName}: optimizer/vars/${i}`);
  });
}

/**
 * Writes checked values into the optimizer's variables (iterations, learning rate, then the rest);
 * the learning rate also goes through the setter so `optimizer.learningRate` reports the loaded one.
 */
function writeState(optimizer: Optimizer, session: Session, vars: readonly StoredVariable[], values: readonly ArrayLike<number>[]): void {
  vars.forEach((v, i) => session.write(v, values[i]));
  // A schedule's rate is recomputed by every step (and not settable), so only a fixed rate is synced.
  if (optimizer.schedule === undefined && values.length > 1) optimizer.learningRate = values[1][0];
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
  writeState(optimizer, session, vars, checkedValues(vars, values, fileName));
}

/**
 * Restores `optimizer/vars` of a `.keras` file (or backup) when the file has them; the optimizer is
 * built here, as Keras's compile_from_config builds it. An optimizer Keras never built (saved before
 * any training step) holds only iterations and learning rate; then the slots keep their fresh zeros.
 */
export function restoreOptimizer(model: CompiledModel, root: H5Group, fileName: string): void {
  if (model.compiled === undefined || groupAt(root, OPTIMIZER_PATH) === undefined) return;
  const optimizer = model.compiled.optimizer;
  const session = getSession();
  const trained = model.trainableVariables();
  const values = readVarsGroup(root, OPTIMIZER_PATH);
  const expected = optimizer.stateVariables(session, trained);
  if (values.length === 2 && expected.length > 2) {
    writeState(optimizer, session, expected.slice(0, 2), checkedValues(expected.slice(0, 2), values, fileName));
    return;
  }
  loadOptimizerState(root, optimizer, session, trained, fileName);
}

/**
 * `load_weights` of a `.weights.h5` file into a compiled model, as Keras's optimizer
 * load_own_variables: the optimizer has 2 variables (iterations, learning rate) until built, all of
 * them after; a file with another count is skipped with Keras's warning. Checks everything now and
 * returns what assigns the values (undefined when nothing is to be loaded), so the caller can apply
 * it only once the layer weights are known to load too. A shape mismatch throws.
 */
export function planOptimizerLoad(model: CompiledModel, root: H5Group, fileName: string): (() => void) | undefined {
  if (model.compiled === undefined || groupAt(root, OPTIMIZER_PATH) === undefined) return undefined;
  const optimizer = model.compiled.optimizer;
  const session = getSession();
  const trained = model.trainableVariables();
  const values = readVarsGroup(root, OPTIMIZER_PATH);
  const built = optimizer.built;
  // Not building an unbuilt optimizer yet: a load that fails must leave it as it was.
  const count = built ? optimizer.stateVariables(session, trained).length : 2;
  if (values.length !== count) {
    console.warn(`Skipping variable loading for optimizer '${optimizer.name}', because it has ${count} variables whereas the saved optimizer has ${values.length} variables. `);
    return undefined;
  }
  const targets = built ? optimizer.stateVariables(session, trained) : [
    { shape: [], label: `${optimizer.name}/iterations` }, { shape: [], label: `${optimizer.name}/learning_rate` },
  ];
  const converted = checkedValues(targets, values, fileName);
  return () => {
    writeState(optimizer, session, optimizer.stateVariables(session, trained).slice(0, count), converted);
  };
}
