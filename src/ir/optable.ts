import type { OpName } from './attrs.js';
import { contractionRules } from './ops/contraction.js';
import { elementwiseRules } from './ops/elementwise.js';
import { indexingRules } from './ops/indexing.js';
import { movementRules } from './ops/movement.js';
import { poolRules } from './ops/pool.js';
import { reduceRules } from './ops/reduce.js';
import type { RuleTable } from './ops/rule.js';
import { sourceRules } from './ops/sources.js';

/**
 * The op table: one record per primitive with its shape and dtype rules, gradient, fusion kind
 * and float64 reference. Typed over every OpName, so a primitive without rules does not compile.
 */
export const OPS: RuleTable<OpName> = {
  ...sourceRules,
  ...elementwiseRules,
  ...reduceRules,
  ...contractionRules,
  ...poolRules,
  ...movementRules,
  ...indexingRules,
};
