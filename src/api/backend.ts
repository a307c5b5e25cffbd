/**
 * The `backend` (K) namespace: the default session and the learning phase. Layers create their
 * weights in the default session at build time; fit/evaluate/predict run there too.
 */
import { debugLevel, setDebugLevel } from '../runtime/debug.js';
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

/**
 * Sets the debug level, overriding KERAS_JIT_DEBUG (undefined goes back to the variable): 0 silent;
 * 1 a line per compiled program; 2 also a per-kernel profile after each epoch of fit(); 3 also the
 * IR after each compiler pass; 4 also the generated kernel source. Everything goes to stderr.
 */
export function setDebug(level: number | undefined): void {
  if (level !== undefined && (!Number.isInteger(level) || level < 0)) {
    throw new Error(`setDebug: expected a non-negative integer or undefined, got ${String(level)}`);
  }
  setDebugLevel(level);
}

/** The debug level in effect (setDebug's, else KERAS_JIT_DEBUG's, else 0). */
export function getDebug(): number {
  return debugLevel();
}
