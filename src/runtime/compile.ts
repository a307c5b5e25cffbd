import { compiledProgram } from './compiled.js';
import { interpretedProgram } from './interpreted.js';
import type { Program, ProgramSpec } from './program.js';
import type { Session } from './session.js';

export type Backend = 'js' | 'interpret';

/** KERAS_JIT_BACKEND picks the tier: `js` (generated JavaScript kernels, the default) or `interpret` (the float64 reference). */
export function backendFromEnv(): Backend {
  const v = process.env.KERAS_JIT_BACKEND;
  if (v === undefined || v === '' || v === 'js') return 'js';
  if (v === 'interpret') return 'interpret';
  throw new Error(`KERAS_JIT_BACKEND='${v}' is not a backend; expected 'js' or 'interpret'`);
}

/** Compiles a program for the session's backend. */
export function compileProgram(spec: ProgramSpec, session: Session): Program {
  return backendFromEnv() === 'interpret' ? interpretedProgram(spec, session) : compiledProgram(spec, session);
}
