import { interpretedProgram } from './interpreted.js';
import type { Program, ProgramSpec } from './program.js';
import type { Session } from './session.js';

/** Compiles a program for the session's backend. */
export function compileProgram(spec: ProgramSpec, session: Session): Program {
  return interpretedProgram(spec, session);
}
