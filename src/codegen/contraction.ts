/** Lowers a contraction node (matmul or one of the convolutions) to a GEMM kernel body. */
import { isOp } from '../ir/node.js';
import type { ContractionCode, ContractionSpec } from './contraction-api.js';
import { emitConv2d, emitConv2dBackpropFilter, emitConv2dBackpropInput } from './conv.js';
import { emitMatmul } from './matmul.js';

export function emitContraction(spec: ContractionSpec): ContractionCode {
  const { node, a, b, epilogue } = spec;
  if (!node.shape.every((d) => d !== null) || !node.inputs.every((i) => i.shape.every((d) => d !== null))) {
    throw new Error(`codegen: ${node.op} needs concrete shapes to be compiled`);
  }
  if (isOp(node, 'matmul')) return emitMatmul(node, a, b, epilogue);
  if (isOp(node, 'conv2d')) return emitConv2d(node, a, b, epilogue);
  if (isOp(node, 'conv2dBackpropInput')) return emitConv2dBackpropInput(node, a, b, epilogue);
  if (isOp(node, 'conv2dBackpropFilter')) return emitConv2dBackpropFilter(node, a, b, epilogue);
  throw new Error(`codegen: ${node.op} is not a contraction`);
}
