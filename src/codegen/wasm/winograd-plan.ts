/**
 * Winograd F(2x2, 3x3) for 3x3 stride-1 undilated convolutions on the WebAssembly tier: when it
 * applies, its geometry, how the tiles are cut into chunks, and the filter transform. Pure
 * arithmetic, no code; winograd-emit.ts turns the geometry into the kernel.
 *
 * Both ops it serves are one correlation of an image [N, H, W, Cin] with a 3x3 filter g into
 * [N, OH, OW, Cout], out(oy, ox, co) = Σ_{a, b, ci} img(oy - padTop + a, ox - padLeft + b, ci)
 * · g(a, b, ci, co), zero outside the image:
 *   conv2d               img = x, g(a, b, ci, co) = w[a, b, ci, co], pads as given
 *   conv2dBackpropInput  img = dy, g(a, b, f, c) = w[2 - a, 2 - b, c, f] (the flipped filter,
 *                        in and out swapped), padTop' = 2 - padTop, padLeft' = 2 - padLeft
 * The filter gradient dw(a, b, ci, co) = Σ_{oy, ox} x(oy - padTop + a, ox - padLeft + b, ci)
 * · dy(oy, ox, co) is the same tiling seen from the other side (F(3x3, 2x2)): by the
 * transposition principle, the trilinear form Σ_ξ (A e Aᵀ)_ξ (G g Gᵀ)_ξ (Bᵀ d B)_ξ that F(2x2, 3x3)
 * evaluates, differentiated by g, gives each tile's share dw = Gᵀ [(A e Aᵀ) ⊙ (Bᵀ d B)] G with
 * e the tile's 2x2 of dy. Summed over tiles, the 16 sums over tiles per (ci, co) are matmuls
 * Vᵀ · E with K = tiles, and Gᵀ (·) G is applied once, to the 16·Cin·Cout sums, at the end.
 * Each 2x2 output tile reads a 4x4 input tile d and computes Y = Aᵀ [Σ_ci (Bᵀ d B) ⊙ (G g Gᵀ)] A:
 * the sum over ci for each of the 16 points of the transformed tile is a matmul
 * [tiles, Cin] x [Cin, Cout], so 16 of them per chunk of tiles replace the 3x3 convolution's
 * one [pixels, 9·Cin] x [9·Cin, Cout] with 16/36 of its multiply-adds.
 */
import type { Node } from '../../ir/node.js';
import type { ConvOp } from '../../ir/op-kinds.js';

export type WinogradOp = ConvOp;

export interface WinogradSpec {
  readonly op: WinogradOp;
  /** The image read: x, or dy for the input gradient. */
  readonly N: number;
  readonly H: number;
  readonly W: number;
  readonly Cin: number;
  /** The output. */
  readonly OH: number;
  readonly OW: number;
  readonly Cout: number;
  /** Image row = output row - padTop + a (a = 0..2); likewise columns. May be negative. */
  readonly padTop: number;
  readonly padLeft: number;
  /** 2x2 output tiles per image, down and across (the last may hang over the edge). */
  readonly TY: number;
  readonly TX: number;
  readonly tiles: number;
  /** Tiles per chunk: the rows of each chunk's 16 matmuls, a multiple of every matmul tile's rows. */
  readonly chunkTiles: number;
  readonly chunks: number;
}

type Dims4 = readonly [number, number, number, number];
const dims4 = (n: Node): Dims4 => n.shape as unknown as Dims4;

/** Points of the transformed 4x4 tile: the number of matmuls per chunk. */
export const WINOGRAD_POINTS = 16;

/** Chunk rows are a multiple of 12, as the im2col chunks (every matmul tile's rows divide it). */
const TILE_UNIT = 12;
/**
 * Bytes of transformed input and product per chunk: both are re-read by the matmul and the output
 * transform right after they are written, so they should stay in L2 (as conv-kernel.ts's chunks).
 */
const CHUNK_BYTES = 256 * 1024;

/**
 * The correlation a 3x3 stride-1 undilated conv2d or input gradient is, or undefined for any
 * other convolution (other filters, strides, dilations; the filter gradient). Channels must be
 * multiples of 4 so every transform works on whole f32x4 vectors of channels.
 */
export function winogradSpec(node: Node<ConvOp>, chunkBytes = CHUNK_BYTES): WinogradSpec | undefined {
  const { strides, dilation, padding } = node.attrs;
  if (strides[0] !== 1 || strides[1] !== 1 || dilation[0] !== 1 || dilation[1] !== 1) return undefined;
  const filterGradient = node.op === 'conv2dBackpropFilter';
  const [KH, KW] = dims4(filterGradient ? node : node.inputs[1]);
  if (KH !== 3 || KW !== 3) return undefined;
  const [N, H, W, Cin] = dims4(node.inputs[0]);
  // The filter gradient's tiles are dy's: its 2x2 tiles of output pixels meet the same 4x4 tiles of x.
  const [, OH, OW, Cout] = dims4(filterGradient ? node.inputs[1] : node);
  if (Cin % 4 !== 0 || Cout % 4 !== 0 || OH < 1 || OW < 1) return undefined;
  const input = node.op === 'conv2dBackpropInput';
  const padTop = input ? KH - 1 - padding[0] : padding[0];
  const padLeft = input ? KW - 1 - padding[2] : padding[2];
  const TY = Math.ceil(OH / 2), TX = Math.ceil(OW / 2);
  const tiles = N * TY * TX;
  const perTile = WINOGRAD_POINTS * (Cin + Cout) * 4;
  const want = Math.max(TILE_UNIT, Math.floor(chunkBytes / perTile / TILE_UNIT) * TILE_UNIT);
  const chunkTiles = Math.min(want, Math.ceil(tiles / TILE_UNIT) * TILE_UNIT);
  return { op: node.op, N, H, W, Cin, OH, OW, Cout, padTop, padLeft, TY, TX, tiles, chunkTiles, chunks: Math.ceil(tiles / chunkTiles) };
}

/**
 * Whether the cost model takes Winograd for this convolution (bench/wasm-conv.ts times both).
 * Its 16 matmuls have K = Cin instead of 9·Cin, and its two transforms are memory passes of
 * 16·(Cin + Cout) floats per tile: with few channels the matmuls are too short to run near the
 * kernel's peak and the transforms dominate, so it pays from CHANNELS_MIN channels in and out.
 */
const CHANNELS_MIN = 16;
export function preferWinograd(s: WinogradSpec): boolean {
  return s.Cin >= CHANNELS_MIN && s.Cout >= CHANNELS_MIN;
}

/** G of F(2x2, 3x3): the filter transform, U = G g Gᵀ. */
const G = [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]] as const;

/** Index of g(a, b, ci, co) in the op's filter w [3, 3, C, F]. */
function filterIndex(s: WinogradSpec, a: number, b: number, ci: number, co: number): number {
  // conv2d: w[a, b, ci, co] with C = Cin, F = Cout; input gradient: w[2-a, 2-b, co, ci] with C = Cout, F = Cin.
  return s.op === 'conv2d' ? ((a * 3 + b) * s.Cin + ci) * s.Cout + co : (((2 - a) * 3 + (2 - b)) * s.Cout + co) * s.Cin + ci;
}

/**
 * The transformed filter U[ξ][ci][co] = (G g Gᵀ)[ξ] (ξ = 4·row + column), computed in float64 and
 * rounded once: the B operands of the 16 matmuls, one after the other. Small (16·Cin·Cout floats),
 * so plain JS on the calling thread; `w` and `dst` are float indices into `F`.
 */
export function transformFilter(F: Float32Array<ArrayBufferLike>, w: number, dst: number, s: WinogradSpec): void {
  const { Cin, Cout } = s;
  const g = new Float64Array(9), t = new Float64Array(12);
  for (let ci = 0; ci < Cin; ci++) {
    for (let co = 0; co < Cout; co++) {
      for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) g[a * 3 + b] = F[w + filterIndex(s, a, b, ci, co)];
      // t = G g (4x3), then U = t Gᵀ (4x4).
      for (let i = 0; i < 4; i++) for (let b = 0; b < 3; b++) t[i * 3 + b] = G[i][0] * g[b] + G[i][1] * g[3 + b] + G[i][2] * g[6 + b];
      for (let i = 0; i < 4; i++) {
        for (let j = 0; j < 4; j++) {
          const u = t[i * 3] * G[j][0] + t[i * 3 + 1] * G[j][1] + t[i * 3 + 2] * G[j][2];
          F[dst + ((i * 4 + j) * Cin + ci) * Cout + co] = u;
        }
      }
    }
  }
}

/**
 * dw[a, b, ci, co] = Σ_{p, q} G[p][a] · S[4p + q][ci][co] · G[q][b]: the filter gradient's
 * output transform, from the 16 sums over tiles S (floats at `sums`) into the filter at `dst`.
 */
export function filterGradientOut(F: Float32Array<ArrayBufferLike>, sums: number, dst: number, s: WinogradSpec): void {
  const { Cin, Cout } = s;
  const plane = Cin * Cout;
  const t = new Float64Array(12);
  for (let e = 0; e < plane; e++) {
    // t = Gᵀ S (3x4), then dw = t G (3x3).
    for (let a = 0; a < 3; a++) {
      for (let q = 0; q < 4; q++) t[a * 4 + q] = G[0][a] * F[sums + q * plane + e] + G[1][a] * F[sums + (4 + q) * plane + e] + G[2][a] * F[sums + (8 + q) * plane + e] + G[3][a] * F[sums + (12 + q) * plane + e];
    }
    for (let a = 0; a < 3; a++) {
      for (let b = 0; b < 3; b++) F[dst + (a * 3 + b) * plane + e] = t[a * 4] * G[0][b] + t[a * 4 + 1] * G[1][b] + t[a * 4 + 2] * G[2][b] + t[a * 4 + 3] * G[3][b];
    }
  }
}
