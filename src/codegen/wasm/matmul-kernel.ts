/**
 * Compiles WebAssembly matmul kernels and instantiates them over a caller's memory. A compiled
 * module depends on shape and options only, so it is cached; an instance binds one memory and
 * one scratch region (one instance per thread: see src/runtime/threads).
 *
 * Kernel signature: `(c, a, b[, bias])`, byte offsets into the memory of C (M x N, row-major,
 * batch-major when batched), A, B and, with the bias epilogue, the N-float bias row vector. The
 * module's export adds a range of column panels, `(c, a, b, bias, p0, p1)`, for threads.
 */
import type { Node } from '../../ir/node.js';
import { align16 } from '../align.js';
import type { CompiledModule, WasmMemory } from './engine.js';
import { wasmFeatures } from './features.js';
import { emitMatmulModule, IDENTITY, type NativeEpilogue } from './matmul-emit.js';
import { matmulName, shapeOfMatmul, type MatmulShape } from '../matmul-shape.js';
import { DEFAULT_KC, defaultTile, layout, tileName, type Tile } from './matmul-plan.js';
import { compileOptimized } from './optimized-compile.js';
import { encodeModule, type WasmModule } from './module.js';
import { printWat } from './wat.js';
import { rangeKernel } from './range-kernel.js';

export type MatmulFn = (c: number, a: number, b: number, bias?: number) => void;
/** The export itself: column panels [p0, p1) only (see `panels`); bias is ignored without the bias epilogue. */
export type PanelFn = (c: number, a: number, b: number, bias: number, p0: number, p1: number) => void;

export interface WasmMatmulOptions {
  /** Defaults to `defaultTile(shape)`; `autotuneMatmul` times the candidates instead. */
  readonly tile?: Tile;
  readonly maxKc?: number;
  /** Defaults to what the engine supports. */
  readonly relaxed?: boolean;
  readonly epilogue?: NativeEpilogue;
  /** The memory it will run over is shared (a worker pool's); default false. */
  readonly shared?: boolean;
  /** C += op(A)·op(B) instead of C = op(A)·op(B) (see EmitOptions); default false. */
  readonly accumulate?: boolean;
  /** B read where it is, no panel packed (see EmitOptions); default false. */
  readonly inPlaceB?: boolean;
}

export interface WasmMatmulKernel {
  /** Readable, e.g. `matmul_nt_128x512x512_2x16_bias_relu`; also the export's name. */
  readonly name: string;
  readonly shape: MatmulShape;
  readonly tile: Tile;
  readonly maxKc: number;
  readonly relaxed: boolean;
  readonly epilogue: NativeEpilogue;
  readonly shared: boolean;
  /** C += op(A)·op(B) rather than C = (WasmMatmulOptions.accumulate). */
  readonly accumulate: boolean;
  /** Arguments the function from `instantiate` takes: 3, or 4 with a bias. */
  readonly arity: number;
  /** Column panels of C (the last may be narrower): the unit threads split the work in. */
  readonly panels: number;
  readonly bytes: Uint8Array;
  readonly module: CompiledModule;
  /** Bytes of scratch each instance needs (one packed B panel), 16-byte aligned. */
  readonly scratchBytes: number;
  /** The module in text form, for dumps. */
  wat(): string;
  /**
   * Binds the kernel to a memory and to `scratchOffset`, the byte offset of `scratchBytes`
   * reserved for this instance alone (16-byte aligned is best).
   */
  instantiate(memory: WasmMemory, scratchOffset: number): MatmulFn;
  /** As `instantiate`, but the export itself, which computes a range of column panels. */
  instantiatePanels(memory: WasmMemory, scratchOffset: number): PanelFn;
}

const cache = new Map<string, WasmMatmulKernel>();

export function wasmMatmulCacheSize(): number {
  return cache.size;
}

function epilogueSuffix(e: NativeEpilogue): string {
  return `${e.bias ? '_bias' : ''}${e.relu ? '_relu' : ''}`;
}

export function compileWasmMatmul(what: MatmulShape | Node<'matmul'>, options: WasmMatmulOptions = {}): WasmMatmulKernel {
  const shape = 'op' in what ? shapeOfMatmul(what) : what;
  if (!wasmFeatures().simd) throw new Error('wasm: this engine has no WebAssembly SIMD');
  const relaxed = options.relaxed ?? wasmFeatures().relaxedSimd;
  const tile = options.tile ?? defaultTile(shape, relaxed);
  const maxKc = options.maxKc ?? DEFAULT_KC;
  if (relaxed && !wasmFeatures().relaxedSimd) throw new Error('wasm: relaxed SIMD was asked for but the engine lacks it');
  const epilogue = options.epilogue ?? IDENTITY;
  const shared = options.shared ?? false;
  const accumulate = options.accumulate ?? false;
  const inPlaceB = options.inPlaceB ?? false;
  const name = `${matmulName(shape)}_${tileName(tile)}${epilogueSuffix(epilogue)}${accumulate ? '_acc' : ''}${inPlaceB ? '_bip' : ''}`;
  const key = JSON.stringify([shape, tile, maxKc, relaxed, epilogue, shared, accumulate, inPlaceB]);
  const known = cache.get(key);
  if (known !== undefined) return known;

  const spec: WasmModule = emitMatmulModule(shape, { name, tile, maxKc, relaxed, epilogue, shared, accumulate, inPlaceB });
  // Encoded and compiled on first use: on the native tier a C twin loaded from its cache takes
  // the kernel's place before it ever runs, and compiling it would only delay the first step.
  let bytes: Uint8Array | undefined;
  const bytesNow = (): Uint8Array => (bytes ??= encodeModule(spec));
  const lay = layout(shape, tile, maxKc);
  const scratchBytes = align16(lay.scratchBytes);
  const panels = lay.fullPanels + (lay.edgeColumns > 0 ? 1 : 0);
  const range = rangeKernel(name, () => compileOptimized(bytesNow()), panels, scratchBytes, shared);
  const kernel: WasmMatmulKernel = {
    name, panels, scratchBytes, shared, shape, tile, maxKc, relaxed, epilogue, accumulate,
    get bytes() { return bytesNow(); },
    get module() { return range.module; },
    instantiate: range.instantiate,
    instantiatePanels: range.instantiatePanels,
    arity: epilogue.bias ? 4 : 3,
    wat: () => printWat(spec),
  };
  cache.set(key, kernel);
  return kernel;
}
