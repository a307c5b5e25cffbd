/**
 * The `backend` (K) namespace: the default session and the learning phase. Layers create their
 * weights in the default session at build time; fit/evaluate/predict run there too.
 */
import { Session } from '../runtime/session.js';
import { resetNames } from './naming.js';

let current = new Session();

export function getSession(): Session {
  return current;
}

export function setSession(session: Session): void {
  current = session;
}

/** 0 or 1 when forced with setLearningPhase, else undefined (fit trains with 1, evaluate/predict use 0). */
export function learningPhase(): 0 | 1 | undefined {
  return current.learningPhase;
}

export function setLearningPhase(value: 0 | 1 | undefined): void {
  if (value !== 0 && value !== 1 && value !== undefined) {
    throw new Error(`setLearningPhase: expected 0, 1 or undefined, got ${String(value)}`);
  }
  current.learningPhase = value;
}

/**
 * Drops the compiled graphs and the weights of the default session and resets the layer name
 * counters, so new layers are named `dense`, `dense_1`, ... again. Layers built before keep
 * their names, but their weights are gone: build new ones.
 */
export function clearSession(): void {
  current.clear();
  resetNames();
}

export { Session };
