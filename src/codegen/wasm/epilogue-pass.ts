/**
 * The fallback for epilogues the WebAssembly kernel cannot apply itself: the kernel stores the
 * raw product, then this JavaScript pass reads it back and runs the fused group's epilogue (the
 * same `Epilogue` callback the JS GEMM tier calls per element) over every output element. The
 * pass may run in place: each element is read into `acc` before anything is stored.
 */
import type * as ES from 'estree';
import type { Node } from '../../ir/node.js';
import type { ContractionCode, Epilogue, OutputIndex } from '../contraction-api.js';
import { expr, ident, stmts } from '../template.js';
import { baseName, shapeOfMatmul } from './matmul-plan.js';

export function emitEpiloguePass(node: Node<'matmul'>, raw: ES.Expression, epilogue: Epilogue): ContractionCode {
  const s = shapeOfMatmul(node);
  const batched = s.batch > 1;
  const lead = batched ? 1 : 0;
  const at: OutputIndex = {
    flat: ident('at'),
    coord(axis: number): ES.Expression {
      if (batched && axis === 0) return ident('bt');
      if (axis === lead) return ident('i');
      if (axis === lead + 1) return ident('j');
      throw new Error(`codegen: output axis ${axis} is out of range`);
    },
  };
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
  return { name: `${baseName(s)}_epilogue`, prelude: [], body: loops };
}
