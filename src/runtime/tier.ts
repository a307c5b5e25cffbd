import { wasmFeatures } from '../codegen/wasm/features.js';
import type { Tier } from './lower.js';

/**
 * The kernel tier programs compile to: KERAS_JIT_BACKEND=js forces generated JavaScript for
 * everything; otherwise matmuls run on WebAssembly SIMD where the engine has it.
 */
export function defaultTier(): Tier {
  return process.env.KERAS_JIT_BACKEND !== 'js' && wasmFeatures().simd ? 'wasm' : 'js';
}
