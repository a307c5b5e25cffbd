/**
 * Convolution geometry, the same for every tier: which image a convolution's GEMM reads its
 * patches from, at which pixels, and the kernel name. The JavaScript tier (conv.ts, conv-pack.ts)
 * turns it into packing loops, the WebAssembly tier (wasm/conv-plan.ts, wasm/patch-emit.ts) into
 * patch modules; neither computes strides, padding or taps itself.
 *
 * A "patch" is one position (n, y, x) of a patch grid, a "tap" one point (ta, tb) of a grid of
 * filter positions; each (patch, tap) pair reads the R channels of the image [N, IH, IW, R] pixel
 * at ih = y*scale + offset + ta*tapStep (iw likewise), or R zeros where that is outside the image.
 */
import type { Conv2DAttrs } from '../ir/attrs.js';
import type { Node } from '../ir/node.js';
import type { ContractionOp } from './contraction-api.js';
import { axisPhases, type AxisPhase } from './conv-phases.js';

type Convolution = Exclude<ContractionOp, 'matmul'>;
type Dims4 = readonly [number, number, number, number];
const dims4 = (n: Node): Dims4 => n.shape as unknown as Dims4;

/** How one spatial axis of a patch and of a tap index the image. */
export interface PatchAxis {
  readonly scale: number;
  readonly offset: number;
  readonly tapStep: number;
  /** Taps along this axis (1 for a plain pixel copy). */
  readonly taps: number;
}

export interface PatchGeometry {
  /** The image [N, IH, IW, R]. */
  readonly imageDims: Dims4;
  /** The patch grid [n, y, x]: patches are numbered row-major over it. */
  readonly patchDims: readonly [number, number, number];
  readonly rows: PatchAxis;
  readonly cols: PatchAxis;
}

/** Patches in the grid. */
export const patchCount = (g: PatchGeometry): number => g.patchDims[0] * g.patchDims[1] * g.patchDims[2];

/** Floats in one patch row: taps x channels. */
export const rowFloats = (g: PatchGeometry): number => g.rows.taps * g.cols.taps * g.imageDims[3];

/** `_s2x2_d2x2_p0x1x0x1`, leaving out unit strides, unit dilation and zero padding. */
function attrSuffix(a: Conv2DAttrs): string {
  let s = '';
  if (a.strides[0] !== 1 || a.strides[1] !== 1) s += `_s${a.strides.join('x')}`;
  if (a.dilation[0] !== 1 || a.dilation[1] !== 1) s += `_d${a.dilation.join('x')}`;
  if (a.padding.some((p) => p !== 0)) s += `_p${a.padding.join('x')}`;
  return s;
}

/**
 * The kernel name every tier gives the op, so profiles line up: the image side (x, or dx for the
 * input gradient), the filter's taps and output channels, then the attributes.
 */
export function convName(node: Node<Convolution>): string {
  const image = node.op === 'conv2dBackpropInput' ? node : node.inputs[0];
  const filter = node.op === 'conv2dBackpropFilter' ? node : node.inputs[1];
  const [KH, KW, , F] = dims4(filter);
  return `${node.op}_${dims4(image).join('x')}_${KH}x${KW}x${F}${attrSuffix(node.attrs)}`;
}

/** Strides above 1: the input gradient then runs one GEMM per stride phase whose rows are scattered. */
export const isStrided = (a: Conv2DAttrs): boolean => a.strides[0] > 1 || a.strides[1] > 1;

/**
 * conv2d and its filter gradient read x [N, H, W, C] at ih = oh*s - pad + kh*d, one patch per
 * output pixel (of y, or of dy for the filter gradient), one tap per filter position.
 */
export function forwardPatches(node: Node<'conv2d' | 'conv2dBackpropFilter'>): PatchGeometry {
  const a = node.attrs;
  const out = dims4(node.op === 'conv2d' ? node : node.inputs[1]);
  const [KH, KW] = dims4(node.op === 'conv2d' ? node.inputs[1] : node);
  return {
    imageDims: dims4(node.inputs[0]), patchDims: [out[0], out[1], out[2]],
    rows: { scale: a.strides[0], offset: -a.padding[0], tapStep: a.dilation[0], taps: KH },
    cols: { scale: a.strides[1], offset: -a.padding[2], tapStep: a.dilation[1], taps: KW },
  };
}

/** One stride phase of the input gradient (conv-phases.ts): a stride-1 correlation of dy. */
export interface InputGradientPhase {
  readonly rows: AxisPhase;
  readonly cols: AxisPhase;
  /** The patches of dy [N, OH, OW, F] the phase's rows read, one tap per filter position of the phase. */
  readonly gather: PatchGeometry;
  /** Where the phase's rows land in dx [N, H, W, C]: every s-th pixel from (rows.first, cols.first). */
  readonly scatter: PatchGeometry;
}

/** Every phase, in row-major order, including those no filter tap reaches. */
export function inputGradientPhases(node: Node<'conv2dBackpropInput'>): InputGradientPhase[] {
  const dy = dims4(node.inputs[0]), [KH, KW] = dims4(node.inputs[1]), dx = dims4(node);
  const [N, H, W] = dx;
  const { strides: [sh, sw], dilation: [dh, dw], padding: [pt, , pl] } = node.attrs;
  const phases: InputGradientPhase[] = [];
  for (const ph of axisPhases(H, KH, sh, dh, pt)) for (const pw of axisPhases(W, KW, sw, dw, pl)) {
    const patchDims = [N, ph.count, pw.count] as const;
    phases.push({
      rows: ph, cols: pw,
      gather: {
        imageDims: dy, patchDims,
        rows: { scale: 1, offset: ph.base, tapStep: -ph.delta, taps: ph.taps.count },
        cols: { scale: 1, offset: pw.base, tapStep: -pw.delta, taps: pw.taps.count },
      },
      scatter: {
        imageDims: dx, patchDims,
        rows: { scale: sh, offset: ph.first, tapStep: 0, taps: 1 },
        cols: { scale: sw, offset: pw.first, tapStep: 0, taps: 1 },
      },
    });
  }
  return phases;
}
