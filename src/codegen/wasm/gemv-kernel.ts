/**
 * Compiles the GEMV kernels of gemv-emit.ts and instantiates them over a caller's memory. A
 * compiled module depends on shape and options only, so it is cached. The kernel keeps no state
 * between calls (no scratch, no packed copy of B), so a weight changed by fit, setWeights or
 * loadWeights is simply what the next call reads.
 */
import type { Node } from '../../ir/node.js';
import { WebAssemblyApi as WA, type CompiledModule, type WasmMemory } from './engine.js';
import { wasmFeatures } from './features.js';
import { emitGemvModule } from './gemv-emit.js';
import { IDENTITY, type NativeEpilogue } from './matmul-emit.js';
import type { MatmulFn } from './matmul-kernel.js';
import { shapeOfMatmul, type MatmulShape } from '../matmul-shape.js';
import { compileOptimized } from './optimized-compile.js';
import { encodeModule, type WasmModule } from './module.js';
import { printWat } from './wat.js';

export interface WasmGemvOptions {
  /** Defaults to what the engine supports. */
  readonly relaxed?: boolean;
  readonly epilogue?: NativeEpilogue;
  /** The memory it will run over is shared (a worker pool's); default false. */
  readonly shared?: boolean;
}

export interface WasmGemvKernel {
  readonly kind: 'gemv';
  /** Readable, e.g. `gemv_1x784x512_bias_relu`; also the export's name. */
  readonly name: string;
  readonly shape: MatmulShape;
  readonly relaxed: boolean;
  readonly epilogue: NativeEpilogue;
  readonly shared: boolean;
  readonly module: CompiledModule;
  wat(): string;
  instantiate(memory: WasmMemory): MatmulFn;
}

const cache = new Map<string, WasmGemvKernel>();

export const gemvName = (s: MatmulShape, e: NativeEpilogue) => `gemv_${s.M}x${s.K}x${s.N}${e.bias ? '_bias' : ''}${e.relu ? '_relu' : ''}`;

export function compileWasmGemv(what: MatmulShape | Node<'matmul'>, options: WasmGemvOptions = {}): WasmGemvKernel {
  const shape = 'op' in what ? shapeOfMatmul(what) : what;
  if (!wasmFeatures().simd) throw new Error('wasm: this engine has no WebAssembly SIMD');
  const relaxed = options.relaxed ?? wasmFeatures().relaxedSimd;
  if (relaxed && !wasmFeatures().relaxedSimd) throw new Error('wasm: relaxed SIMD was asked for but the engine lacks it');
  const epilogue = options.epilogue ?? IDENTITY;
  const shared = options.shared ?? false;
  const name = gemvName(shape, epilogue);
  const key = JSON.stringify([shape, relaxed, epilogue, shared]);
  const known = cache.get(key);
  if (known !== undefined) return known;
  const spec: WasmModule = emitGemvModule(shape, { name, relaxed, epilogue, shared });
  const module = compileOptimized(encodeModule(spec));
  const kernel: WasmGemvKernel = {
    kind: 'gemv', name, shape, relaxed, epilogue, shared, module,
    wat: () => printWat(spec),
    instantiate(memory: WasmMemory): MatmulFn {
      return new WA.Instance(module, { env: { memory } }).exports[name] as MatmulFn;
    },
  };
  cache.set(key, kernel);
  return kernel;
}
