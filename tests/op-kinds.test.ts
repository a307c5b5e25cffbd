/**
 * The op sets of ir/op-kinds.ts are derived from the op table, so an op added to the table
 * without its emitter is a type error. The compile-time half of this test is the
 * `@ts-expect-error` below: `npm test` runs tsc, which fails if that line stops being an error.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ELEMENTWISE } from '../src/codegen/elementwise-emitters.js';
import { OPAQUE } from '../src/codegen/opaque.js';
import { SIMD_ELEMENTWISE_OPS } from '../src/codegen/wasm/elementwise-match.js';
import type { OpName } from '../src/ir/attrs.js';
import { isConvOp, type OpsOfKind } from '../src/ir/op-kinds.js';
import type { FusionKind } from '../src/ir/ops/rule.js';
import { OPS, RULES } from '../src/ir/optable.js';

// A table with one more elementwise op than the real one: the JavaScript emitters lack it.
const grown = { ...RULES, hypot: RULES.add };
type GrownElementwise = OpsOfKind<typeof grown, 'elementwise'>;
// @ts-expect-error ELEMENTWISE has no emitter for 'hypot'
export const grownEmitters: { readonly [K in GrownElementwise]: unknown } = ELEMENTWISE;
// The real table's elementwise ops are exactly those ELEMENTWISE covers.
export const tableEmitters: { readonly [K in OpsOfKind<typeof RULES, 'elementwise'>]: unknown } = ELEMENTWISE;

const opsOfKind = (kind: FusionKind): string[] => (Object.keys(OPS) as OpName[]).filter((op) => OPS[op].kind === kind).sort();

test('every elementwise op of the table has a JavaScript emitter, and nothing else has one', () => {
  assert.equal(Object.keys(ELEMENTWISE).sort(), opsOfKind('elementwise'));
});

test('every opaque op of the table has a kernel body, and nothing else has one', () => {
  assert.equal(Object.keys(OPAQUE).sort(), opsOfKind('opaque'));
});

test('the convolutions are the contractions with window attributes: every contraction but matmul', () => {
  const convs = (Object.keys(OPS) as OpName[]).filter(isConvOp).sort();
  assert.equal(convs, opsOfKind('contraction').filter((op) => op !== 'matmul'));
});

test('the SIMD loop computes only elementwise and generator ops, and reads reshapes, slices and pads', () => {
  // Movement ops are index maps: only these keep flat (reshape), row (slice) or column-segment (pad) addressing.
  const reads = new Set(['reshape', 'slice', 'pad']);
  for (const op of SIMD_ELEMENTWISE_OPS) assert.ok(['elementwise', 'generator'].includes(OPS[op].kind) || (reads.has(op) && OPS[op].kind === 'movement'), op);
});

test.run();
