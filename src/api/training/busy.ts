/**
 * Which models are training. fit() yields to the event loop between steps (callbacks may be
 * async), so a second fit() on the same model, started without awaiting the first or from a
 * callback, would interleave its steps and optimizer updates with the first. It is refused
 * instead, before it touches anything; evaluate() and predict() stay allowed during fit(), as in
 * Keras, because they change no weights.
 */
const training = new WeakSet<object>();

export function isTraining(model: object): boolean {
  return training.has(model);
}

/** Marks the model as training, or throws when it already is. `fn` names the refused call. */
export function beginTraining(model: object & { readonly name: string }, fn: string): void {
  if (training.has(model)) {
    throw new Error(`${fn}: the model '${model.name}' is already training (a fit() on it has not finished); await the running fit() before starting ${fn === 'fit' ? 'another' : `${fn}()`}`);
  }
  training.add(model);
}

export function endTraining(model: object): void {
  training.delete(model);
}

/** Runs `run` with the model marked as training; the mark is removed however `run` ends. */
export async function whileTraining<T>(model: object & { readonly name: string }, fn: string, run: () => Promise<T>): Promise<T> {
  beginTraining(model, fn);
  try {
    return await run();
  } finally {
    endTraining(model);
  }
}
