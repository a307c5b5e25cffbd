/**
 * Golden files in tests/golden/. Run with UPDATE_GOLDEN=1 to (re)write them after an intended
 * change of a format, then review the diff.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as assert from 'uvu/assert';
import { defaultTier } from '../../src/runtime/tiers/index.js';

const GOLDEN = new URL('../../../tests/golden/', import.meta.url);

/**
 * Compares with tests/golden/<name>. Kernel-level views (fused, code) differ by tier: with
 * `perTier`, the file is <stem>.<tier>.<ext>, so the suite checks both tiers' goldens.
 */
export function golden(name: string, actual: string, options: { perTier?: boolean } = {}): void {
  const file = new URL(options.perTier === true ? name.replace(/(\.[a-z]+)$/, `.${defaultTier()}$1`) : name, GOLDEN);
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(file, actual);
  else if (!existsSync(file)) throw new Error(`golden file ${name} is missing; run with UPDATE_GOLDEN=1 to create it`);
  assert.fixture(actual, readFileSync(file, 'utf8'));
}
