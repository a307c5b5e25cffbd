/**
 * The shape facts a WebAssembly matmul kernel is specialised to, and its tiling: register tile,
 * k blocking and scratch size. Pure arithmetic, no code: the emitter and the tests share it.
 */
import type { Node } from '../../ir/node.js';
import { matmulDims } from '../matmul.js';

export interface MatmulShape {
  /** Independent products of equal shape, one after another; 1 when unbatched. */
  readonly batch: number;
  readonly M: number;
  readonly K: number;
  readonly N: number;
  /** A is stored K x M (its transpose) rather than M x K. */
  readonly transposeA: boolean;
  /** B is stored N x K rather than K x N. */
  readonly transposeB: boolean;
}

/** Register tile: `rows` rows of C by `vecs` f32x4 vectors (4·vecs columns). */
export interface Tile {
  readonly rows: number;
  readonly vecs: number;
}

/**
 * Tiles worth trying. Live vectors are rows·vecs accumulators + vecs B vectors + 1 A splat (+1
 * product without FMA), and x64 has 16 XMM registers of which V8 keeps one as scratch: 2x16 and
 * 4x8 need 13 and 11 (+1), 3x12 needs 13 with FMA but spills without. 3x16 (17) or 4x12 (16)
 * spill always.
 */
export const TILES: readonly Tile[] = [{ rows: 2, vecs: 4 }, { rows: 4, vecs: 2 }, { rows: 3, vecs: 3 }];
export const DEFAULT_TILE: Tile = TILES[0];

/**
 * The untimed choice, from timings at 128x784x512, 128x512x512 (B transposed), 512x128x784 (A
 * transposed), 128x512x784, 784x128x512 and 512x128x10 on the target machine (all tiles land at
 * 50-60 GFLOP/s, near this core's 128-bit peak, except where noted):
 * - with relaxed FMA, 3x12 led in 5 of 7 shapes by 2-5% and by 30% at N = 10 (one 12-wide panel);
 * - with mul+add, 3x12 spills (its products need a 14th register) and drops to 33-43, so 2x16,
 *   or 4x8 when A is transposed (its four rows share each cache line of A: 57 against 54);
 * - at N <= 8 a wider panel is mostly padding: 4x8.
 */
export function defaultTile(s: MatmulShape, relaxed: boolean): Tile {
  if (s.N <= 8) return TILES[1];
  if (relaxed) return TILES[2];
  return s.transposeA ? TILES[1] : DEFAULT_TILE;
}

export const DEFAULT_KC = 512;

export const tileName = (t: Tile) => `${t.rows}x${4 * t.vecs}`;

export function shapeOfMatmul(node: Node<'matmul'>): MatmulShape {
  const { batch, M, K, N } = matmulDims(node);
  return { batch, M, K, N, transposeA: node.attrs.transposeA, transposeB: node.attrs.transposeB };
}

/** The JS tier's name for the same product (e.g. `matmul_nt_128x512x512`), so profiles line up. */
export function baseName(s: MatmulShape): string {
  const flags = s.transposeA || s.transposeB ? `_${s.transposeA ? 't' : 'n'}${s.transposeB ? 't' : 'n'}` : '';
  return `matmul${s.batch > 1 ? `_b${s.batch}` : ''}${flags}_${s.M}x${s.K}x${s.N}`;
}

export interface KBlocking {
  /** Size of every block but possibly the last, which gets the remainder. */
  readonly kc: number;
  readonly blocks: number;
}

/** Near-equal k blocks no larger than `maxKc`, so no block is a sliver. */
export function kBlocking(K: number, maxKc: number): KBlocking {
  const blocks = Math.ceil(K / maxKc);
  const kc = Math.ceil(K / blocks);
  return { kc, blocks: Math.ceil(K / kc) };
}

export interface MatmulLayout {
  readonly tile: Tile;
  /** Columns per B panel: 4·vecs. */
  readonly width: number;
  readonly fullPanels: number;
  /** Columns of the last, narrower panel (0 when N is a multiple of the width). */
  readonly edgeColumns: number;
  readonly fullRowTiles: number;
  readonly edgeRows: number;
  readonly k: KBlocking;
  /** Bytes of scratch for one packed B panel. */
  readonly scratchBytes: number;
}

export function layout(s: MatmulShape, tile: Tile, maxKc = DEFAULT_KC): MatmulLayout {
  const width = 4 * tile.vecs;
  const k = kBlocking(s.K, maxKc);
  return {
    tile, width, k,
    fullPanels: Math.floor(s.N / width),
    edgeColumns: s.N % width,
    fullRowTiles: Math.floor(s.M / tile.rows),
    edgeRows: s.M % tile.rows,
    scratchBytes: k.kc * width * 4,
  };
}
