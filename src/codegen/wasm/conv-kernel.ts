/**
 * Compiles a convolution for the WebAssembly tier and instantiates it over a caller's memory:
 * per GEMM of its plan (conv-plan.ts) and per chunk of patches, a generated wasm function
 * gathers the chunk's patch matrix into scratch (patch-emit.ts; skipped when the image already
 * is that matrix) and the matmul kernel (matmul-emit.ts, specialised to the chunk's shape; the
 * dot kernel of dot-emit.ts when there are fewer than 4 columns) multiplies it: straight into
 * the output rows, into a row buffer that is then scattered (strided input gradient), or
 * accumulating (filter gradient). JavaScript only sequences the calls and repacks the small filter.
 * Two cheaper paths come first: Winograd F(2x2, 3x3) where the cost model takes it
 * (winograd-kernel.ts), and, for a plan of one GEMM whose chunks are independent (conv2d, the
 * filter gradient, a stride-1 input gradient), one module that gathers and multiplies chunk
 * after chunk and that threads split by ranges of chunks (conv-chunks.ts). What is left (the
 * strided input gradient's phases and scatters, products of fewer than 4 columns) runs here: a
 * large one hands each chunk's matmul to the runtime's worker pool (`parallel` in `instantiate`),
 * split by column panels, while the patches are gathered on the calling thread.
 *
 * Function signature: `(out, in0, in1[, bias])`, byte offsets of the output, the op's two
 * inputs and, with the bias epilogue, the bias vector over the output's last axis.
 */
import type { Node } from '../../ir/node.js';
import { align16 } from '../align.js';
import type { PatchGeometry } from '../conv-geometry.js';
import type { MatmulShape } from '../matmul-shape.js';
import { WebAssemblyApi as WA, type CompiledModule, type WasmMemory } from './engine.js';
import { chunking, planConv, type Chunking, type ConvGemm, type ConvOp, type ConvPlan, type FilterRepack } from './conv-plan.js';
import { compileWasmDot } from './dot-kernel.js';
import { IDENTITY, type NativeEpilogue } from './matmul-emit.js';
import { compileWasmMatmul, type MatmulFn, type WasmMatmulKernel } from './matmul-kernel.js';
import { tileName, type Tile } from './matmul-plan.js';
import { encodeModule } from './module.js';
import { emitPatchModule } from './patch-emit.js';
import type { RangeKernel } from './range-kernel.js';
import { printWat } from './wat.js';
import { compileChunkedConv } from './conv-chunks.js';
import { fewTapsConv } from '../few-taps.js';
import { compileFewTapsConv, compileFewTapsFilter } from './few-taps-conv.js';
import { compileFewTapsInput } from './few-taps-input.js';
import { compileWinogradConv } from './winograd-kernel.js';
import { preferWinograd, winogradSpec, type WinogradSpec } from './winograd-plan.js';

export type ConvFn = (out: number, in0: number, in1: number, bias?: number) => void;
type PatchFn = (dst: number, src: number, count: number, n: number, y: number, x: number) => void;

export interface WasmConvOptions {
  /** Bias and relu in the kernel; only when the plan's rows land in the output in order. */
  readonly epilogue?: NativeEpilogue;
  readonly shared?: boolean;
  /** Bytes of patch matrix per chunk; defaults measured below. */
  readonly chunkBytes?: number;
  /** The matmul register tile; defaults to `convTile`. */
  readonly tile?: Tile;
  /**
   * Winograd F(2x2, 3x3) (winograd-kernel.ts) instead of im2col: true requires it (an error where
   * it does not apply), false never takes it; by default the cost model decides (`preferWinograd`).
   */
  readonly winograd?: boolean;
  /**
   * A convolution of few taps (codegen/few-taps.ts) and its filter gradient read the image in
   * place, matmuls over runs of output rows (few-taps-conv.ts), and its input gradient reads dy in
   * place (few-taps-input.ts), unless false: then im2col chunks, as for any other.
   */
  readonly fewTaps?: boolean;
}

export interface WasmConvKernel {
  /** Readable, e.g. `conv2d_128x26x26x32_3x3x64_3x12_bias_relu`. */
  readonly name: string;
  readonly plan: ConvPlan;
  readonly epilogue: NativeEpilogue;
  /** Its modules import the memory as shared (a worker pool's). */
  readonly shared: boolean;
  /** Bytes of scratch an instance needs: B panel, patch chunk, row buffer, repacked filters. */
  readonly scratchBytes: number;
  /** Multiply-adds times two, over every GEMM: what decides whether it is worth threads. */
  readonly flops: number;
  /**
   * The units threads split a call into: chunks of tiles or patches (Winograd, one-GEMM plans),
   * or the column panels every chunk's product splits into (the fewest over the GEMMs). 1 when a
   * product is the dot kernel, which does not split.
   */
  readonly panels: number;
  /** A Winograd kernel's geometry: what the native tier's C twin of its chunks is made from. */
  readonly winograd?: WinogradSpec;
  /** A filter gradient's partial sums (Winograd, or one-GEMM chunks): thread t's at scratch + t·stride + at (bytes). */
  readonly partials?: { readonly stride: number; readonly at: number };
  /** `scratchBytes` for `threads` threads: each its own B panel (and, split by chunks, its own chunk buffers). */
  scratchBytesFor(threads: number): number;
  wat(): string;
  /**
   * Binds the kernel over `memory` with `scratchBytesFor(threads)` at `scratchOffset`. With
   * `parallel` (the runtime's worker pool), the kernel's range module (split by chunks) or each
   * chunk's matmul products (split by column panels) are bound through it.
   */
  instantiate(memory: WasmMemory, scratchOffset: number, parallel?: ParallelProducts): ConvFn;
}

/** How the runtime runs a range kernel on several threads, without this module knowing the pool. */
export interface ParallelProducts {
  readonly threads: number;
  bind(kernel: RangeKernel, scratchOffset: number): MatmulFn;
}

/**
 * Patch-matrix chunk sizes, timed at the mnist_cnn shapes for every tile: a chunk's rows are
 * re-read once per column panel, so it should stay in L2 (1 MiB); sizes well below that timed
 * alike, a chunk the size of L2 was slower. The filter gradient's chunk is its k extent, where
 * longer chunks mean fewer loads and stores of dw.
 */
const ROWS_CHUNK_BYTES = 256 * 1024;
const K_CHUNK_BYTES = 512 * 1024;
/** Chunk rows are a multiple of every tile's row count (2, 3, 4) so only the tail has edges. */
const ROW_UNIT = 12;
const K_UNIT = 16;

interface PatchModule {
  readonly name: string;
  readonly module: CompiledModule;
  wat(): string;
}

const patchCache = new Map<string, PatchModule>();

function compilePatch(spec: PatchGeometry, direction: 'gather' | 'scatter', shared: boolean): PatchModule {
  const key = JSON.stringify([spec, direction, shared]);
  const known = patchCache.get(key);
  if (known !== undefined) return known;
  const [n, h, w, r] = spec.imageDims;
  const name = `${direction === 'gather' ? 'im2col' : 'col2im'}_${n}x${h}x${w}x${r}_${spec.rows.taps}x${spec.cols.taps}`;
  const mod = emitPatchModule(name, spec, direction, shared);
  const compiled: PatchModule = { name, module: new WA.Module(encodeModule(mod)), wat: () => printWat(mod) };
  patchCache.set(key, compiled);
  return compiled;
}

function bindPatch(p: PatchModule, memory: WasmMemory): PatchFn {
  return new WA.Instance(p.module, { env: { memory } }).exports[p.name] as PatchFn;
}

/** A product kernel for one chunk shape: the matmul kernel, or the dot kernel for < 4 columns. */
interface Product {
  readonly name: string;
  readonly scratchBytes: number;
  wat(): string;
  instantiate(memory: WasmMemory, scratchOffset: number): MatmulFn;
}

/** One GEMM of the plan, compiled: its patch modules, chunking and product kernels. */
export interface CompiledGemm {
  readonly gemm: ConvGemm;
  readonly chunks: Chunking;
  readonly gather: PatchModule;
  readonly scatter?: PatchModule;
  readonly main: Product;
  /** The last chunk's kernel when it is shorter. */
  readonly tail: Product;
  /** The same two as matmul kernels, which split into column panels; undefined for the dot kernel. */
  readonly matmul?: { readonly main: WasmMatmulKernel; readonly tail: WasmMatmulKernel };
  /** The product takes B transposed (N x K): the dot kernel. */
  readonly transposedB: boolean;
  /** The matmul tile, for the name; undefined for the dot kernel. */
  readonly tile?: Tile;
}

function compileGemm(g: ConvGemm, plan: ConvPlan, epilogue: NativeEpilogue, shared: boolean, chunkBytes: number | undefined, tile: Tile | undefined): CompiledGemm {
  const chunks = plan.accumulate
    ? chunking(g.patches, g.K * 4, chunkBytes ?? K_CHUNK_BYTES, K_UNIT)
    : chunking(g.patches, g.K * 4, chunkBytes ?? ROWS_CHUNK_BYTES, ROW_UNIT);
  const own = g.scatter !== undefined ? IDENTITY : epilogue;
  const common = {
    gemm: g, chunks,
    gather: compilePatch(g.gather, 'gather', shared),
    ...(g.scatter !== undefined ? { scatter: compilePatch(g.scatter, 'scatter', shared) } : {}),
  };
  if (!plan.accumulate && g.N < 4) {
    // Fewer than 4 columns: the matmul kernel's vectors would be mostly padding (dot-emit.ts).
    const main = compileWasmDot({ M: chunks.rows, K: g.K, N: g.N }, own, shared);
    const tail = chunks.last === chunks.rows ? main : compileWasmDot({ M: chunks.last, K: g.K, N: g.N }, own, shared);
    return { ...common, main, tail, transposedB: true };
  }
  const shape = (rows: number): MatmulShape => plan.accumulate
    // dw (K' x F) += patchesᵀ (K' x rows) · dy rows (rows x F): the patch chunk is A stored transposed.
    ? { batch: 1, M: g.K, K: rows, N: g.N, transposeA: true, transposeB: false }
    : { batch: 1, M: rows, K: g.K, N: g.N, transposeA: false, transposeB: false };
  const options = { epilogue: own, shared, accumulate: plan.accumulate, ...(tile !== undefined ? { tile } : {}) };
  const main: WasmMatmulKernel = compileWasmMatmul(shape(chunks.rows), options);
  const tail = chunks.last === chunks.rows ? main : compileWasmMatmul(shape(chunks.last), options);
  return { ...common, main, tail, matmul: { main, tail }, transposedB: false, tile: main.tile };
}

/**
 * B for a stride phase: B[k, c] = w[kh, kw, c, f] with k = (ta, tb, f), or its transpose Bᵀ[c, k]
 * for the dot kernel. Small (one filter), so plain JS.
 */
export function repackFilter(F: Float32Array<ArrayBufferLike>, w: number, dst: number, r: FilterRepack, transposed: boolean): void {
  const { KW, C, F: FO, rows, cols } = r;
  const K = rows.count * cols.count * FO;
  for (let ta = 0; ta < rows.count; ta++) {
    for (let tb = 0; tb < cols.count; tb++) {
      const tap = (rows.first + rows.step * ta) * KW + cols.first + cols.step * tb;
      for (let f = 0; f < FO; f++) {
        const k = (ta * cols.count + tb) * FO + f;
        for (let c = 0; c < C; c++) F[dst + (transposed ? c * K + k : k * C + c)] = F[w + (tap * C + c) * FO + f];
      }
    }
  }
}

/** Bᵀ (N x K) from B (K x N) in place elsewhere: conv2d's filter for the dot kernel. */
function transposeInto(F: Float32Array<ArrayBufferLike>, b: number, dst: number, K: number, N: number): void {
  for (let j = 0; j < N; j++) for (let k = 0; k < K; k++) F[dst + j * K + k] = F[b + k * N + j];
}

const cache = new Map<string, WasmConvKernel>();

export function compileWasmConv(node: Node<ConvOp>, options: WasmConvOptions = {}): WasmConvKernel {
  const plan = planConv(node);
  const epilogue = options.epilogue ?? IDENTITY;
  const shared = options.shared ?? false;
  if ((epilogue.bias || epilogue.relu) && !plan.rowsInOrder) throw new Error(`wasm: ${plan.name} cannot apply an epilogue in the kernel`);
  if (options.winograd !== false) {
    const spec = winogradSpec(node, options.chunkBytes);
    if (options.winograd === true && spec === undefined) throw new Error(`wasm: ${plan.name} is not a 3x3 stride-1 undilated convolution with channels in multiples of 4, so Winograd does not apply`);
    if (spec !== undefined && (options.winograd === true || preferWinograd(spec))) {
      return compileWinogradConv(node, spec, { epilogue, shared, ...(options.tile !== undefined ? { tile: options.tile } : {}) });
    }
  }
  const taps = options.fewTaps !== false ? fewTapsConv(node) : undefined;
  const key = JSON.stringify([node.op, node.attrs, node.inputs.map((i) => i.shape), epilogue, shared, options.chunkBytes, options.tile, taps !== undefined]);
  const known = cache.get(key);
  if (known !== undefined) return known;
  const direct = taps === undefined ? undefined
    : taps.op === 'conv2d' ? compileFewTapsConv(taps, plan, epilogue, shared, options.tile)
    : taps.op === 'conv2dBackpropInput' ? compileFewTapsInput(taps, plan, epilogue, shared)
    : compileFewTapsFilter(taps, plan, shared, options.tile);
  if (direct !== undefined) {
    cache.set(key, direct);
    return direct;
  }

  const gemms = plan.gemms.map((g) => compileGemm(g, plan, epilogue, shared, options.chunkBytes, options.tile));
  const only = gemms.length === 1 ? gemms[0] : undefined;
  if (only !== undefined && only.matmul !== undefined && only.scatter === undefined && (plan.accumulate || !plan.zeroFirst)) {
    // One GEMM whose chunks are independent and cover the output (or sum into it): a module per
    // call that threads split by chunks (conv-chunks.ts).
    const repack = only.gemm.repack;
    const prepare = repack === undefined ? undefined : (F: Float32Array<ArrayBufferLike>, in1: number, dst: number) => repackFilter(F, in1 / 4, dst / 4, repack, false);
    const kernel = compileChunkedConv(plan, only, kernelName(plan, gemms, epilogue), epilogue, shared, prepare);
    cache.set(key, kernel);
    return kernel;
  }
  const products = gemms.flatMap((g) => [g.main, g.tail]);
  const scratch = scratchLayout(gemms, products);
  const kernel: WasmConvKernel = {
    name: kernelName(plan, gemms, epilogue), plan, epilogue, shared,
    scratchBytes: scratch.bytesFor(1), flops: flopsOf(gemms), panels: panelsOf(gemms), scratchBytesFor: scratch.bytesFor,
    wat: () => [...new Set([...gemms.flatMap(patchModulesOf), ...products])].map((m) => m.wat()).join('\n'),
    instantiate: (memory, scratchOffset, parallel) => bindConv(plan, gemms, scratch, memory, scratchOffset, parallel),
  };
  cache.set(key, kernel);
  return kernel;
}

/** Scratch: [B panel per thread | patch chunk | row buffer | repacked filters], each 16-byte aligned. */
interface ScratchLayout {
  readonly panel: number;
  readonly patchBytes: number;
  readonly rowBytes: number;
  /** Each GEMM's repacked filter, from the start of the filters. */
  readonly repackAt: readonly number[];
  bytesFor(threads: number): number;
}

function scratchLayout(gemms: readonly CompiledGemm[], products: readonly Product[]): ScratchLayout {
  const panel = align16(Math.max(0, ...products.map((k) => k.scratchBytes)));
  const patchBytes = align16(Math.max(0, ...gemms.filter((g) => !g.gemm.inPlace).map((g) => g.chunks.rows * g.gemm.K * 4)));
  const rowBytes = align16(Math.max(0, ...gemms.filter((g) => g.scatter !== undefined).map((g) => g.chunks.rows * g.gemm.N * 4)));
  const repackAt: number[] = [];
  let repackBytes = 0;
  for (const g of gemms) {
    repackAt.push(repackBytes);
    if (g.gemm.repack !== undefined || g.transposedB) repackBytes += align16(g.gemm.K * g.gemm.N * 4);
  }
  return { panel, patchBytes, rowBytes, repackAt, bytesFor: (threads) => panel * Math.max(1, threads) + patchBytes + rowBytes + repackBytes };
}

/** The plan's name, the first GEMM's tile (or `_dot`), then the epilogue. */
function kernelName(plan: ConvPlan, gemms: readonly CompiledGemm[], epilogue: NativeEpilogue): string {
  const suffix = `${epilogue.bias ? '_bias' : ''}${epilogue.relu ? '_relu' : ''}`;
  const first = gemms[0];
  return `${plan.name}${first === undefined ? '' : first.tile !== undefined ? `_${tileName(first.tile)}` : '_dot'}${suffix}`;
}

const flopsOf = (gemms: readonly CompiledGemm[]): number => gemms.reduce((sum, g) => sum + 2 * g.gemm.patches * g.gemm.K * g.gemm.N, 0);

/** The fewest column panels over the GEMMs; no GEMM at all (every phase of an input gradient without taps): nothing to split. */
const panelsOf = (gemms: readonly CompiledGemm[]): number => (gemms.length === 0 ? 1 : Math.min(...gemms.map((g) => g.matmul?.main.panels ?? 1)));

const patchModulesOf = (g: CompiledGemm): PatchModule[] => [g.gather, ...(g.scatter !== undefined ? [g.scatter] : [])];

/** One GEMM bound over a memory: its patch functions, products and where its filter is repacked. */
interface BoundGemm {
  readonly g: CompiledGemm;
  readonly repackAt: number;
  readonly gather: PatchFn;
  readonly scatter: PatchFn | undefined;
  readonly main: MatmulFn;
  readonly tail: MatmulFn | undefined;
}

/** Where a call's GEMMs work in scratch: the patch chunk and the row buffer. */
interface CallScratch {
  readonly patchAt: number;
  readonly rowsAt: number;
}

function bindConv(plan: ConvPlan, gemms: readonly CompiledGemm[], scratch: ScratchLayout, memory: WasmMemory, scratchOffset: number, parallel?: ParallelProducts): ConvFn {
  // One B panel per thread first: a product's threads each pack their own columns of B.
  const threads = Math.max(1, parallel?.threads ?? 1);
  const patchAt = scratchOffset + scratch.panel * threads, rowsAt = patchAt + scratch.patchBytes, filtersAt = rowsAt + scratch.rowBytes;
  const product = (k: Product, m: WasmMatmulKernel | undefined): MatmulFn =>
    parallel !== undefined && threads > 1 && m !== undefined ? parallel.bind(m, scratchOffset) : k.instantiate(memory, scratchOffset);
  const bound: BoundGemm[] = gemms.map((g, i) => ({
    g, repackAt: filtersAt + scratch.repackAt[i],
    gather: bindPatch(g.gather, memory),
    scatter: g.scatter !== undefined ? bindPatch(g.scatter, memory) : undefined,
    main: product(g.main, g.matmul?.main),
    tail: g.tail === g.main ? undefined : product(g.tail, g.matmul?.tail),
  }));
  // Views for the zero fill and the filter repack, renewed when the memory grows.
  let buffer: ArrayBufferLike | undefined, F32: Float32Array<ArrayBufferLike> = new Float32Array(0), U8: Uint8Array<ArrayBufferLike> = new Uint8Array(0);
  const views = () => {
    if (buffer !== memory.buffer) { buffer = memory.buffer; F32 = new Float32Array(buffer); U8 = new Uint8Array(buffer); }
  };
  return (out, in0, in1, bias = 0) => {
    views();
    if (plan.zeroFirst) U8.fill(0, out, out + plan.size * 4);
    for (const b of bound) runGemm(plan, b, { patchAt, rowsAt }, F32, out, in0, in1, bias);
  };
}

/** One GEMM of a call: repack its filter if it needs one, then gather, multiply and store chunk by chunk. */
function runGemm(plan: ConvPlan, b: BoundGemm, at: CallScratch, F32: Float32Array<ArrayBufferLike>, out: number, in0: number, in1: number, bias: number): void {
  const { gemm, chunks } = b.g;
  const [, PY, PX] = gemm.gather.patchDims;
  let w = in1;
  if (gemm.repack !== undefined) { repackFilter(F32, in1 / 4, b.repackAt / 4, gemm.repack, b.g.transposedB); w = b.repackAt; }
  else if (b.g.transposedB) { transposeInto(F32, in1 / 4, b.repackAt / 4, gemm.K, gemm.N); w = b.repackAt; }
  for (let c = 0, m0 = 0; c < chunks.chunks; c++) {
    const last = c === chunks.chunks - 1;
    const count = last ? chunks.last : chunks.rows;
    const run = last && b.tail !== undefined ? b.tail : b.main;
    const n = Math.floor(m0 / (PY * PX)), y = Math.floor(m0 / PX) % PY, x = m0 % PX;
    const a = gemm.inPlace ? in0 + m0 * gemm.K * 4 : at.patchAt;
    if (!gemm.inPlace) b.gather(at.patchAt, in0, count, n, y, x);
    if (plan.accumulate) run(out, a, in1 + m0 * gemm.N * 4);
    else if (b.scatter !== undefined) { run(at.rowsAt, a, w); b.scatter(out, at.rowsAt, count, n, y, x); }
    else run(out + m0 * gemm.N * 4, a, w, bias);
    m0 += count;
  }
}
