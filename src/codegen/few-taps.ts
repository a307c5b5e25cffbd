/**
 * Convolutions of few taps (KH·KW·C ≤ FEW_TAPS: a first layer over one to three channels), valid,
 * stride and dilation 1: their patch matrix has 9 to 27 columns, so gathering it costs what
 * multiplying it does, and both tiers read the image in place instead (native/few-taps-conv-c.ts,
 * wasm/few-taps-conv.ts). Their input gradient (also a stride-1 valid Conv2DTranspose to one to
 * three channels) is a GEMM of KH·KW·F taps by C columns, too narrow for the matmul tile: the wasm
 * tier reads dy in place (wasm/few-taps-input.ts). Their geometry, here once.
 */
import type { Node } from '../ir/node.js';

/** Taps up to which a convolution reads its image in place: RGB through a 3x3 filter is 27. */
export const FEW_TAPS = 27;

export interface FewTapsConv {
  readonly op: 'conv2d' | 'conv2dBackpropInput' | 'conv2dBackpropFilter';
  readonly N: number; readonly H: number; readonly W: number; readonly C: number;
  readonly KH: number; readonly KW: number; readonly F: number;
  readonly OH: number; readonly OW: number;
}

/** The geometry when `node` is a few-tap, valid, unit-stride convolution or one of its gradients. */
export function fewTapsConv(node: Node): FewTapsConv | undefined {
  if (node.op !== 'conv2d' && node.op !== 'conv2dBackpropInput' && node.op !== 'conv2dBackpropFilter') return undefined;
  const conv = node as Node<'conv2d' | 'conv2dBackpropInput' | 'conv2dBackpropFilter'>;
  // The image: the first input, or the input gradient itself.
  const x = node.op === 'conv2dBackpropInput' ? conv : conv.inputs[0];
  const w = node.op === 'conv2dBackpropFilter' ? conv : conv.inputs[1];
  if (![...x.shape, ...w.shape].every((d) => typeof d === 'number' && d > 0) || x.shape.length !== 4 || w.shape.length !== 4) return undefined;
  const [N, H, W, C] = x.shape as number[];
  const [KH, KW, , F] = w.shape as number[];
  const { strides, padding, dilation } = conv.attrs;
  if (!strides.every((s) => s === 1) || !dilation.every((d) => d === 1) || !padding.every((p) => p === 0)) return undefined;
  if (KH * KW * C > FEW_TAPS || H < KH || W < KW) return undefined;
  return { op: node.op, N, H, W, C, KH, KW, F, OH: H - KH + 1, OW: W - KW + 1 };
}
