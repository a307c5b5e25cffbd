/**
 * What the engine supports, probed by validating tiny modules (never by version sniffing).
 * Relaxed SIMD ships behind a flag in Node 20's V8; a flag set in-process before the first
 * module that needs it compiles is honoured, so detection tries that once, then re-probes.
 */
import { setFlagsFromString } from 'node:v8';
import { encodeModule } from './module.js';
import { FuncBuilder } from './builder.js';
import type { OpName } from './opcodes.js';
import { WebAssemblyApi as WA } from './engine.js';

export interface WasmFeatures {
  readonly simd: boolean;
  /** f32x4.relaxed_madd, one fused multiply-add on x86 with FMA. */
  readonly relaxedSimd: boolean;
  /** Shared memories (the threads proposal), which a worker pool needs. */
  readonly sharedMemory: boolean;
}

/** A module with one function (v128, v128, v128) -> v128 applying `op` to all three. */
function probe(op: OpName, args: number): Uint8Array {
  const params = Array.from({ length: args }, (_, i) => ({ name: `x${i}`, type: 'v128' as const }));
  const f = new FuncBuilder('probe', params, ['v128']);
  for (let i = 0; i < args; i++) f.get(f.param(i));
  f.op(op);
  return encodeModule({ globals: [], funcs: [f.func()] });
}

const validates = (bytes: Uint8Array): boolean => {
  try {
    return WA.validate(bytes);
  } catch {
    return false;
  }
};

function sharedMemory(): boolean {
  try {
    return new WA.Memory({ initial: 1, maximum: 1, shared: true }).buffer instanceof SharedArrayBuffer;
  } catch {
    return false;
  }
}

let detected: WasmFeatures | undefined;

/** Detects once per process; `KERAS_JIT_RELAXED_SIMD=0` turns relaxed SIMD off (for comparisons). */
export function wasmFeatures(): WasmFeatures {
  if (detected !== undefined) return detected;
  const simd = validates(probe('f32x4.add', 2));
  let relaxed = false;
  if (simd && process.env.KERAS_JIT_RELAXED_SIMD !== '0') {
    const fma = probe('f32x4.relaxed_madd', 3);
    relaxed = validates(fma);
    if (!relaxed) {
      try {
        setFlagsFromString('--experimental-wasm-relaxed-simd');
      } catch {
        // An engine without V8's flags: relaxed SIMD stays off.
      }
      relaxed = validates(fma);
    }
  }
  detected = { simd, relaxedSimd: relaxed, sharedMemory: sharedMemory() };
  return detected;
}
