/**
 * The three convolutions as GEMMs over patch matrices (im2col), for the WebAssembly tier. Pure
 * arithmetic, no code: which image each GEMM gathers its rows from, what B is, where its rows
 * go, and how the patches are cut into chunks so the patch matrix in scratch stays bounded.
 *   conv2d               rows: output pixels, K = KH*KW*C, columns F; rows land in y in order
 *   conv2dBackpropInput  one GEMM per stride phase (conv-phases.ts): rows are every s-th pixel of
 *                        dx, K = taps*F, columns C, B the filter with each tap's [C, F] transposed
 *   conv2dBackpropFilter dw += patchesᵀ · dy over chunks of output pixels: the patch matrix is
 *                        A transposed (K x M in memory), dy's rows are B in place
 */
import type { Node } from '../../ir/node.js';
import type { ConvOp } from '../../ir/op-kinds.js';
import { convName, forwardPatches, inputGradientPhases, isStrided, patchCount, rowFloats, type PatchGeometry } from '../conv-geometry.js';
import type { TapRun } from '../conv-phases.js';

export type { ConvOp } from '../../ir/op-kinds.js';
type Dims4 = readonly [number, number, number, number];
const dims4 = (n: Node): Dims4 => n.shape as unknown as Dims4;

/** A stride phase's B: rows (ta, tb, f), columns c, B = w[kh(ta), kw(tb), c, f]. */
export interface FilterRepack {
  readonly KW: number;
  readonly C: number;
  readonly F: number;
  readonly rows: TapRun;
  readonly cols: TapRun;
}

export interface ConvGemm {
  /** Patches gathered from the op's first input (x, or dy for the input gradient). */
  readonly gather: PatchGeometry;
  /** Patches in all: the GEMM's rows (or its K, for the filter gradient). */
  readonly patches: number;
  /** Floats per patch row. */
  readonly K: number;
  /** Columns of the product. */
  readonly N: number;
  /** B is the op's second input in place, or a filter repacked into scratch. */
  readonly repack?: FilterRepack;
  /** Rows that are not the output's rows in order go to it through this scatter. */
  readonly scatter?: PatchGeometry;
  /** The image already is the patch matrix (a 1x1 filter at stride 1, no padding): no gather. */
  readonly inPlace: boolean;
}

export interface ConvPlan {
  readonly op: ConvOp;
  /** The JS tier's kernel name for the same op, so profiles line up. */
  readonly name: string;
  readonly gemms: readonly ConvGemm[];
  /** The output is a sum over calls (the filter gradient). */
  readonly accumulate: boolean;
  /** Some output elements get no GEMM (or a sum starts from them): zero the output first. */
  readonly zeroFirst: boolean;
  /** The product's rows land in the output in order, so bias and relu can run in the kernel. */
  readonly rowsInOrder: boolean;
  /** Elements of the output. */
  readonly size: number;
}

const identity = (s: PatchGeometry) => [s.rows, s.cols].every((a) => a.taps === 1 && a.scale === 1 && a.offset === 0)
  && s.patchDims[1] === s.imageDims[1] && s.patchDims[2] === s.imageDims[2];

const gemmOf = (gather: PatchGeometry, N: number, extra: Partial<ConvGemm> = {}): ConvGemm => ({
  gather, patches: patchCount(gather), K: rowFloats(gather), N, inPlace: identity(gather), ...extra,
});

export function planConv(node: Node<ConvOp>): ConvPlan {
  const size = (node.shape as readonly number[]).reduce((p, q) => p * q, 1);
  const name = convName(node);
  if (node.op === 'conv2d' || node.op === 'conv2dBackpropFilter') {
    const forward = node as Node<'conv2d' | 'conv2dBackpropFilter'>;
    const [, , , F] = dims4(node.op === 'conv2d' ? node.inputs[1] : node);
    const filterGradient = node.op === 'conv2dBackpropFilter';
    return {
      op: node.op, name, size,
      gemms: [gemmOf(forwardPatches(forward), F)],
      accumulate: filterGradient, zeroFirst: filterGradient, rowsInOrder: !filterGradient,
    };
  }
  const bpi = node as Node<'conv2dBackpropInput'>;
  const [, KW, C, F] = dims4(bpi.inputs[1]);
  const strided = isStrided(bpi.attrs);
  const gemms: ConvGemm[] = [];
  let empty = false;
  for (const { rows, cols, gather, scatter } of inputGradientPhases(bpi)) {
    // A phase no filter tap reaches gets zero gradient: the output is zeroed first instead.
    if (rows.taps.count === 0 || cols.taps.count === 0) { empty = true; continue; }
    gemms.push(gemmOf(gather, C, { repack: { KW, C, F, rows: rows.taps, cols: cols.taps }, ...(strided ? { scatter } : {}) }));
  }
  return { op: bpi.op, name, size, gemms, accumulate: false, zeroFirst: empty, rowsInOrder: !strided };
}

export interface Chunking {
  /** Patches per chunk, every chunk but the last. */
  readonly rows: number;
  readonly chunks: number;
  /** Patches in the last chunk (equal to `rows` when they divide evenly). */
  readonly last: number;
}

/**
 * Near-equal chunks of at most ~`targetBytes` of patch matrix each, a multiple of `unit` patches
 * (so full register tiles, or whole k blocks), and no sliver at the end.
 */
export function chunking(patches: number, rowBytes: number, targetBytes: number, unit: number): Chunking {
  const want = Math.max(unit, Math.floor(targetBytes / rowBytes / unit) * unit);
  if (want >= patches) return { rows: patches, chunks: 1, last: patches };
  const chunks = Math.ceil(patches / want);
  const rows = Math.ceil(patches / chunks / unit) * unit;
  const count = Math.ceil(patches / rows);
  return { rows, chunks: count, last: patches - (count - 1) * rows };
}
