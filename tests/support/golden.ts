/**
 * Golden files in tests/golden/. Run with UPDATE_GOLDEN=1 to (re)write them after an intended
 * change of a format, then review the diff.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as assert from 'uvu/assert';

const GOLDEN = new URL('../../../tests/golden/', import.meta.url);

export function golden(name: string, actual: string): void {
  const file = new URL(name, GOLDEN);
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(file, actual);
  else if (!existsSync(file)) throw new Error(`golden file ${name} is missing; run with UPDATE_GOLDEN=1 to create it`);
  assert.fixture(actual, readFileSync(file, 'utf8'));
}
