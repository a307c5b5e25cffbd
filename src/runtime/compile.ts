import { compiledProgram } from './compiled.js';
import { interpretedProgram } from './interpreted.js';
import type { Program, ProgramSpec } from './program.js';
import type { Session } from './session.js';
import { backend } from './tiers/index.js';

/** Compiles a program for the backend the environment selects (KERAS_JIT_BACKEND, see env.ts). */
export function compileProgram(spec: ProgramSpec, session: Session): Program {
  const selected = backend();
  return selected === 'interpret' ? interpretedProgram(spec, session) : compiledProgram(spec, session, selected);
}
