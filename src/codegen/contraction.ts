/** Lowers a contraction node (matmul or one of the convolutions) to a GEMM kernel body. */
import type * as ES from 'estree';
import type { Node } from '../ir/node.js';
import type { ContractionCode, ContractionOp, ContractionSpec, Epilogue } from './contraction-api.js';
import { emitConv2d, emitConv2dBackpropFilter, emitConv2dBackpropInput } from './conv.js';
import { emitMatmul } from './matmul.js';

type EmitContraction<K extends ContractionOp> = (node: Node<K>, a: ES.Expression, b: ES.Expression, epilogue: Epilogue) => ContractionCode;

/** One emitter per contraction of the op table (ir/op-kinds.ts): a new contraction without one does not type-check. */
const CONTRACTIONS: { readonly [K in ContractionOp]: EmitContraction<K> } = {
  matmul: emitMatmul,
  conv2d: emitConv2d,
  conv2dBackpropInput: emitConv2dBackpropInput,
  conv2dBackpropFilter: emitConv2dBackpropFilter,
};

export function emitContraction(spec: ContractionSpec): ContractionCode {
  const { node, a, b, epilogue } = spec;
  if (!node.shape.every((d) => d !== null) || !node.inputs.every((i) => i.shape.every((d) => d !== null))) {
    throw new Error(`codegen: ${node.op} needs concrete shapes to be compiled`);
  }
  const emit = CONTRACTIONS[node.op] as EmitContraction<ContractionOp> | undefined;
  if (emit === undefined) throw new Error(`codegen: ${node.op} is not a contraction`);
  return emit(node, a, b, epilogue);
}
