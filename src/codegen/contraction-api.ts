import type * as ES from 'estree';
import type { Node } from '../ir/node.js';
import type { ContractionOp } from '../ir/op-kinds.js';

/** Where one output element of a contraction lives: its flat index and, lazily, its coordinates. */
export interface OutputIndex {
  readonly flat: ES.Expression;
  /** The coordinate along an output axis; emitters may compute it only when asked. */
  coord(axis: number): ES.Expression;
}

/**
 * Stores one finished output element. The fused-group code generator supplies it: the plain
 * store `F[out + flat] = acc`, or an epilogue (bias, activation, several outputs). It is called
 * once per output element with the complete sum; `acc` must be a cheap expression (a local).
 */
export type Epilogue = (acc: ES.Expression, at: OutputIndex) => ES.Statement[];

export type { ContractionOp } from '../ir/op-kinds.js';

export interface ContractionSpec {
  /** The contraction node; every shape is concrete. */
  readonly node: Node<ContractionOp>;
  /** Element offsets (into F) of input 0 and input 1, usually the identifiers o1, o2. */
  readonly a: ES.Expression;
  readonly b: ES.Expression;
  readonly epilogue: Epilogue;
}

export interface ContractionCode {
  /** Base of the kernel name, from op and shapes only, e.g. `matmul_128x784x512` or `matmul_tn_784x128x512`. */
  readonly name: string;
  /** Run once at kernel creation: scratch panels and tables the kernel closes over. */
  readonly prelude: ES.Statement[];
  readonly body: ES.Statement[];
}
