/**
 * Op sets derived from the op table, as types and as run-time sets, so code that handles "every
 * elementwise op" or "every contraction" is checked against the table: an op added to the table
 * without its emitter is a type error, not a run-time "cannot be computed inline".
 */
import type { Conv2DAttrs, OpAttrs, OpName } from './attrs.js';
import type { Node } from './node.js';
import type { FusionKind } from './ops/rule.js';
import { OPS, RULES } from './optable.js';

/** The ops of `Table` whose record declares fusion kind `Kind` (generic so a test can grow a table). */
export type OpsOfKind<Table extends { readonly [op: string]: { readonly kind: FusionKind } }, Kind extends FusionKind> =
  { [N in keyof Table & string]: Table[N]['kind'] extends Kind ? N : never }[keyof Table & string];

/** The op table's ops of fusion kind `Kind`. */
export type OpOfKind<Kind extends FusionKind> = OpsOfKind<typeof RULES, Kind> & OpName;

export type ElementwiseOp = OpOfKind<'elementwise'>;
export type GeneratorOp = OpOfKind<'generator'>;
export type ContractionOp = OpOfKind<'contraction'>;
export type OpaqueOp = OpOfKind<'opaque'>;
/** The contractions with a convolution's window attributes (conv2d and its two gradients). */
export type ConvOp = { [N in ContractionOp]: OpAttrs[N] extends Conv2DAttrs ? N : never }[ContractionOp];

/** Every ConvOp, as a record so the type checker keeps it complete. */
const CONV_OPS: { readonly [K in ConvOp]: true } = { conv2d: true, conv2dBackpropInput: true, conv2dBackpropFilter: true };
export const isConvOp = (op: OpName): op is ConvOp => Object.hasOwn(CONV_OPS, op);

/** See OpRule.coordinates: movement ops by their kind, others by their record. */
export function readsCoordinates(node: Node): boolean {
  const rule = OPS[node.op];
  return rule.kind === 'movement' || rule.coordinates === true;
}
