/**
 * The shape facts a WebAssembly matmul kernel is specialised to, and its tiling: register tile,
 * k blocking and scratch size. Pure arithmetic, no code: the emitter and the tests share it.
 */
import type { MatmulShape } from '../matmul-shape.js';

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
 * The untimed choice, from timings of the candidates over the MLP and CNN shapes (bench/RESULTS.md):
 * - with relaxed FMA, 3x12 led in most shapes, and clearly when N fits one 12-wide panel;
 * - with mul+add, 3x12 spills (its products need a 14th register), so 2x16, or 4x8 when A is
 *   transposed (its four rows share each cache line of A);
 * - at N <= 8 a wider panel is mostly padding: 4x8.
 */
export function defaultTile(s: MatmulShape, relaxed: boolean): Tile {
  if (s.N <= 8) return TILES[1];
  if (relaxed) return TILES[2];
  return s.transposeA ? TILES[1] : DEFAULT_TILE;
}

export const DEFAULT_KC = 512;

export const tileName = (t: Tile) => `${t.rows}x${4 * t.vecs}`;

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
