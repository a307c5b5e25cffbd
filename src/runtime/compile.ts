import { wasmFeatures } from '../codegen/wasm/features.js';
import { compiledProgram } from './compiled.js';
import { interpretedProgram } from './interpreted.js';
import type { Program, ProgramSpec } from './program.js';
import type { Session } from './session.js';

export type Backend = 'wasm' | 'js' | 'interpret';

/**
 * KERAS_JIT_BACKEND picks how programs run: `wasm` (the default where the engine has WebAssembly
 * SIMD: matmuls in WebAssembly, everything else in generated JavaScript), `js` (generated
 * JavaScript only) or `interpret` (the float64 reference interpreter).
 */
export function backendFromEnv(): Backend {
  const v = process.env.KERAS_JIT_BACKEND;
  if (v === undefined || v === '') return wasmFeatures().simd ? 'wasm' : 'js';
  if (v === 'wasm' || v === 'js' || v === 'interpret') {
    if (v === 'wasm' && !wasmFeatures().simd) throw new Error("KERAS_JIT_BACKEND='wasm' needs WebAssembly SIMD, which this engine lacks; use 'js'");
    return v;
  }
  throw new Error(`KERAS_JIT_BACKEND='${v}' is not a backend; expected 'wasm', 'js' or 'interpret'`);
}

/** Compiles a program for the backend the environment selects. */
export function compileProgram(spec: ProgramSpec, session: Session): Program {
  const backend = backendFromEnv();
  return backend === 'interpret' ? interpretedProgram(spec, session) : compiledProgram(spec, session, backend);
}
