/**
 * The kernel tiers, in order of preference: KERAS_JIT_BACKEND names one, and unset it picks the
 * first the engine runs. A new tier is a folder beside these and one entry here
 * (docs/ARCHITECTURE.md, "Adding a kernel tier").
 */
import type { FusedKernel } from '../../ir/fusion.js';
import { backendFromEnv } from '../env.js';
import { lowerScan } from '../scan.js';
import { jsTier } from './js/index.js';
import { jsLowering } from './js/lowering.js';
import { nativeTier } from './native/index.js';
import type { KernelTier, Lowered } from './tier.js';
import { wasmTier } from './wasm/index.js';

/**
 * The last always runs: the JavaScript lowering is every tier's fallback. Native comes first: a
 * machine with a C compiler and a writable cache trains on it by default, and one without
 * picks wasm and never notices (docs/ARCHITECTURE.md, "Decisions").
 */
const TIERS = [nativeTier, wasmTier, jsTier] as const satisfies readonly KernelTier[];

export type TierName = (typeof TIERS)[number]['name'];

/** How programs run: on a kernel tier, or on the float64 reference interpreter. */
export type Backend = TierName | 'interpret';

/** The first tier this engine runs. */
const preferredTier = (): TierName => (TIERS.find((t) => t.unavailable() === undefined) ?? jsTier).name;

/**
 * The backend KERAS_JIT_BACKEND selects (unset: the preferred tier), read on every call; throws
 * on a name it does not know or a tier the engine cannot run.
 */
export function backend(): Backend {
  return backendFromEnv(TIERS) ?? preferredTier();
}

/**
 * The tier compiled programs use unless told: the backend's, or with the interpreter selected
 * (for dumps) the preferred tier.
 */
export function defaultTier(): TierName {
  const b = backend();
  return b === 'interpret' ? preferredTier() : b;
}

/** The kernel as a call on `tier`: its first lowering that takes it, else generated JavaScript. */
export function lowerKernel(k: FusedKernel, tier: TierName): Lowered {
  if (k.kind === 'loop') return lowerScan(k, (body) => lowerKernel(body, tier));
  for (const lower of (TIERS.find((t) => t.name === tier) ?? jsTier).lowerings) {
    const lowered = lower(k);
    if (lowered !== undefined) return lowered;
  }
  return jsLowering(k);
}
