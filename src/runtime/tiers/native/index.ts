import { contractionLowering } from '../wasm/contraction.js';
import { wasmTier } from '../wasm/index.js';
import type { KernelTier } from '../tier.js';
import { cacheDir } from './cache.js';
import { nativeConvFamily } from './conv.js';
import { nativeMatmulEpilogueLowering } from './matmul-epilogue.js';
import { nativeElementwiseLowering, nativeGroupLowering, nativePoolLowering } from './elementwise.js';
import { nativeMatmulFamily } from './matmul.js';
import { compiler } from './toolchain.js';

/** Why the native tier cannot run here, or undefined: it needs the WebAssembly tier, a compiler and a cache. */
function unavailable(): string | undefined {
  const wasm = wasmTier.unavailable();
  if (wasm !== undefined) return wasm;
  const cc = compiler();
  if ('missing' in cc) return cc.missing;
  const cache = cacheDir();
  return typeof cache === 'string' ? undefined : cache.missing;
}

/**
 * Generated C compiled by the machine's compiler (docs/ARCHITECTURE.md, "Tiers"): matmuls, the
 * products inside convolutions, Winograd's chunks and flat elementwise groups as native kernels
 * swapped in for their WebAssembly twins once compiled; everything else as on the WebAssembly tier.
 */
export const nativeTier: KernelTier<'native'> = {
  name: 'native',
  unavailable,
  lowerings: [nativeMatmulEpilogueLowering, contractionLowering(nativeMatmulFamily), contractionLowering(nativeConvFamily), nativeElementwiseLowering, nativeGroupLowering, nativePoolLowering, ...wasmTier.lowerings],
};
