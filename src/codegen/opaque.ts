import type * as ES from 'estree';
import type { Node } from '../ir/node.js';
import type { OpaqueOp } from '../ir/op-kinds.js';
import { sizeOf } from '../ir/types.js';
import { shapeOf, viewName } from './expr-emitter.js';
import { ident, stmts } from './template.js';

/** Body of an opaque kernel: o0 is the output, o1.. the inputs in the node's order. */
export const OPAQUE: { readonly [K in OpaqueOp]: (node: Node<K>) => ES.Statement[] } = {
  maxPool2d: (node) => windowLoop(node, shapeOf(node.inputs[0]), shapeOf(node), 'max'),
  avgPool2d: (node) => windowLoop(node, shapeOf(node.inputs[0]), shapeOf(node), 'avg'),
  maxPool2dGrad: (node) => windowLoop(node, shapeOf(node.inputs[0]), shapeOf(node.inputs[1]), 'maxGrad'),
  avgPool2dGrad: (node) => windowLoop(node, shapeOf(node), shapeOf(node.inputs[0]), 'avgGrad'),
  gather: (node) => {
    const [table, indices] = node.inputs;
    const rows = shapeOf(table)[0];
    const width = sizeOf(shapeOf(table)) / rows;
    // Range errors carry numbers only; the program adds the layer's name (user strings never enter code).
    return stmts(`
      for (let i = 0; i < $N; i++) {
        const r = I[o2 + i];
        if (!(r >= 0 && r < $R)) throw new H.IndexRangeError('', r, $R);
        const src = o1 + r * $W;
        $V.copyWithin(o0 + i * $W, src, src + $W);
      }`, { $N: sizeOf(shapeOf(indices)), $R: rows, $W: width, $V: ident(viewName(table.dtype)) });
  },
  scatterAdd: (node) => {
    const [indices] = node.inputs;
    const rows = node.attrs.rows;
    const width = sizeOf(shapeOf(node)) / rows;
    // fill and copyWithin are the engine's memset/memmove: several times an element loop's speed.
    return stmts(`
      $V.fill(0, o0, o0 + $T);
      for (let i = 0; i < $N; i++) {
        const r = I[o1 + i];
        if (!(r >= 0 && r < $R)) throw new H.IndexRangeError('', r, $R);
        const src = o2 + i * $W, dst = o0 + r * $W;
        for (let k = 0; k < $W; k++) $V[dst + k] += $V[src + k];
      }`, { $T: sizeOf(shapeOf(node)), $N: sizeOf(shapeOf(indices)), $R: rows, $W: width, $V: ident(viewName(node.dtype)) });
  },
};

/**
 * Pooling and its gradients as one window walk over NHWC. `x` is the pooled input's shape, `y`
 * the pooled output's. Gradients scatter into a zeroed output; the max gradient routes to the
 * window's first maximum, as the reference does (with `positiveOnly`, only where it is positive).
 */
function windowLoop(node: Node<'maxPool2d' | 'maxPool2dGrad' | 'avgPool2d' | 'avgPool2dGrad'>, x: readonly number[], y: readonly number[], mode: 'max' | 'avg' | 'maxGrad' | 'avgGrad'): ES.Statement[] {
  const [N, H, W, C] = x;
  const [, OH, OW] = y;
  const { window, strides, padding } = node.attrs;
  const positiveOnly = node.op === 'maxPool2dGrad' && (node as Node<'maxPool2dGrad'>).attrs.positiveOnly === true;
  const holes = { $N: N, $H: H, $W: W, $C: C, $OH: OH, $OW: OW, $KH: window[0], $KW: window[1], $SH: strides[0], $SW: strides[1], $PT: padding[0], $PL: padding[2], $XS: sizeOf(x) };
  const walk = (inner: string, before: string, after: string) => stmts(`
    for (let n = 0; n < $N; n++) for (let oh = 0; oh < $OH; oh++) for (let ow = 0; ow < $OW; ow++) {
      const h0 = oh * $SH - $PT, w0 = ow * $SW - $PL;
      const hs = h0 < 0 ? 0 : h0, he = h0 + $KH > $H ? $H : h0 + $KH;
      const ws = w0 < 0 ? 0 : w0, we = w0 + $KW > $W ? $W : w0 + $KW;
      const yo = ((n * $OH + oh) * $OW + ow) * $C;
      for (let c = 0; c < $C; c++) {
        $BEFORE;
        for (let h = hs; h < he; h++) for (let w = ws; w < we; w++) {
          const xi = ((n * $H + h) * $W + w) * $C + c;
          $INNER;
        }
        $AFTER;
      }
    }`, { ...holes, $BEFORE: stmts(before), $INNER: stmts(inner), $AFTER: stmts(after) });
  switch (mode) {
    case 'max': return walk('const v = F[o1 + xi]; if (v > m) m = v;', 'let m = -Infinity;', 'F[o0 + yo + c] = m;');
    case 'avg': return walk('s += F[o1 + xi];', 'let s = 0;', 'F[o0 + yo + c] = s / ((he - hs) * (we - ws));');
    case 'maxGrad': return [
      ...stmts('F.fill(0, o0, o0 + $XS);', holes),
      ...walk('const v = F[o1 + xi]; if (best < 0 || v > m) { m = v; best = xi; }', 'let m = -Infinity, best = -1;', `if (best >= 0${positiveOnly ? ' && m > 0' : ''}) F[o0 + best] += F[o2 + yo + c];`),
    ];
    case 'avgGrad': return [
      ...stmts('F.fill(0, o0, o0 + $XS);', holes),
      ...walk('F[o0 + xi] += g;', 'const g = F[o1 + yo + c] / ((he - hs) * (we - ws));', ''),
    ];
  }
}

export function isOpaqueOp(op: string): op is OpaqueOp {
  return op in OPAQUE;
}
