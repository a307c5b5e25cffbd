import type { OpName } from './attrs.js';
import { contractionRules } from './ops/contraction.js';
import { elementwiseRules } from './ops/elementwise.js';
import { indexingRules } from './ops/indexing.js';
import { loopRules, scanOutputRules } from './ops/loop.js';
import { movementRules } from './ops/movement.js';
import { poolRules } from './ops/pool.js';
import { reduceRules } from './ops/reduce.js';
import type { RuleTable } from './ops/rule.js';
import { generatorRules, sourceRules } from './ops/sources.js';

/** The records with each table's fusion kind in their type, for op-kinds.ts to derive op sets from. */
export const RULES = {
  ...sourceRules,
  ...generatorRules,
  ...elementwiseRules,
  ...reduceRules,
  ...contractionRules,
  ...poolRules,
  ...movementRules,
  ...indexingRules,
  ...loopRules,
  ...scanOutputRules,
} satisfies RuleTable<OpName>;

/**
 * The op table: one record per primitive with its shape and dtype rules, gradient, fusion kind,
 * float64 reference and the facts passes ask about it. Typed over every OpName, so a primitive
 * without rules does not compile.
 */
export const OPS: RuleTable<OpName> = RULES;
