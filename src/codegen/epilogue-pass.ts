/**
 * The fallback for epilogues the WebAssembly kernel cannot apply itself: the kernel stores the
 * raw product, then this JavaScript pass reads it back and runs the fused group's epilogue (the
 * same `Epilogue` callback the JS GEMM tier calls per element) over every output element. The
 * pass may run in place: each element is read into `acc` before anything is stored.
 *
 * Every contraction's output is a stack of M x N matrices in row-major order: a matmul's C
 * (batch-major when batched), a convolution's [N, OH, OW, F] (or dx [N, H, W, C], or dw
 * [KH, KW, C, F]) read as (product of the leading three axes) x (the last axis).
 */
import type * as ES from 'estree';
import { isOp, type Node } from '../ir/node.js';
import type { ContractionCode, ContractionOp, Epilogue, OutputIndex } from './contraction-api.js';
import { convName } from './conv-geometry.js';
import { unflatten } from './index-arith.js';
import { matmulName, shapeOfMatmul } from './matmul-shape.js';
import { expr, ident, stmts } from './template.js';

interface PassShape {
  readonly name: string;
  readonly batch: number;
  readonly M: number;
  readonly N: number;
  /** The output coordinate along `axis` of element (bt, i, j). */
  coord(axis: number): ES.Expression;
}

function passShape(node: Node<ContractionOp>): PassShape {
  if (isOp(node, 'matmul')) {
    const s = shapeOfMatmul(node);
    // A stack of one matrix still has its batch axis (coordinate 0) in the output's shape.
    const lead = node.shape.length === 3 ? 1 : 0;
    return {
      name: matmulName(s), batch: s.batch, M: s.M, N: s.N,
      coord(axis) {
        if (lead === 1 && axis === 0) return s.batch > 1 ? ident('bt') : expr('0', {});
        if (axis === lead) return ident('i');
        if (axis === lead + 1) return ident('j');
        throw new Error(`codegen: output axis ${axis} is out of range`);
      },
    };
  }
  const shape = node.shape as readonly number[];
  const rowDims = shape.slice(0, 3);
  return {
    name: convName(node as Node<Exclude<ContractionOp, 'matmul'>>), batch: 1, M: rowDims.reduce((p, q) => p * q, 1), N: shape[3],
    coord(axis) {
      if (axis === 3) return ident('j');
      if (axis >= 0 && axis < 3) return unflatten(ident('i'), rowDims, axis);
      throw new Error(`codegen: output axis ${axis} is out of range`);
    },
  };
}

export function emitEpiloguePass(node: Node<ContractionOp>, raw: ES.Expression, epilogue: Epilogue): ContractionCode {
  const s = passShape(node);
  const batched = s.batch > 1;
  const at: OutputIndex = { flat: ident('at'), coord: (axis) => s.coord(axis) };
  const body = epilogue(ident('acc'), at);
  // The epilogue's own declarations stay inside the element's block, as in the GEMM tile.
  const element = stmts('{ const at = row + j; const acc = F[$raw + at]; { $body; } }', { $raw: raw, $body: body });
  const rows = stmts(`
    for (let i = 0; i < $M; i++) {
      const row = $rowStart;
      for (let j = 0; j < $N; j++) { $element; }
    }`, {
    $M: s.M, $N: s.N, $element: element,
    $rowStart: batched ? expr('(bt * $M + i) * $N', { $M: s.M, $N: s.N }) : expr('i * $N', { $N: s.N }),
  });
  const loops = batched ? stmts('for (let bt = 0; bt < $B; bt++) { $rows; }', { $B: s.batch, $rows: rows }) : rows;
  return { name: `${s.name}_epilogue`, prelude: [], body: loops };
}
