import { wasmFeatures } from '../../../codegen/wasm/features.js';
import type { KernelTier } from '../tier.js';
import { contractionLowering } from './contraction.js';
import { convFamily } from './conv.js';
import { matmulFamily } from './matmul.js';
import { elementwiseLowering, groupLowering, poolLowering, rowLowering } from './simd-loop.js';

/**
 * WebAssembly SIMD (the default where the engine has it): matmuls and convolutions, flat
 * elementwise groups, max pooling, the bias gradient's sum and row kernels (reductions over the
 * last axis); the rest stays on JavaScript.
 */
export const wasmTier: KernelTier<'wasm'> = {
  name: 'wasm',
  unavailable: () => (wasmFeatures().simd ? undefined : "needs WebAssembly SIMD, which this engine lacks; use 'js'"),
  lowerings: [contractionLowering(matmulFamily), contractionLowering(convFamily), elementwiseLowering, groupLowering, poolLowering, rowLowering],
};
