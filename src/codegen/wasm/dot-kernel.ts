/**
 * Compiles the few-column dot-product kernel (dot-emit.ts) and binds it to a memory, with the
 * matmul kernel's call shape `(c, a, bt[, bias])` so the convolution driver treats both alike.
 */
import { WebAssemblyApi as WA, type CompiledModule, type WasmMemory } from './engine.js';
import { wasmFeatures } from './features.js';
import { emitDotModule, type DotShape } from './dot-emit.js';
import type { NativeEpilogue } from './matmul-emit.js';
import type { MatmulFn } from './matmul-kernel.js';
import { encodeModule } from './module.js';
import { printWat } from './wat.js';

export interface WasmDotKernel {
  readonly name: string;
  readonly shape: DotShape;
  /** It needs none; kept so callers size scratch as for the matmul kernel. */
  readonly scratchBytes: 0;
  readonly module: CompiledModule;
  wat(): string;
  instantiate(memory: WasmMemory, scratchOffset: number): MatmulFn;
}

const cache = new Map<string, WasmDotKernel>();

export function compileWasmDot(shape: DotShape, epilogue: NativeEpilogue, shared: boolean): WasmDotKernel {
  const relaxed = wasmFeatures().relaxedSimd;
  const key = JSON.stringify([shape, epilogue, shared, relaxed]);
  const known = cache.get(key);
  if (known !== undefined) return known;
  const name = `dot_${shape.M}x${shape.K}x${shape.N}${epilogue.bias ? '_bias' : ''}${epilogue.relu ? '_relu' : ''}`;
  const spec = emitDotModule(name, shape, epilogue, relaxed, shared);
  const module = new WA.Module(encodeModule(spec));
  const kernel: WasmDotKernel = {
    name, shape, scratchBytes: 0, module,
    wat: () => printWat(spec),
    instantiate: (memory) => new WA.Instance(module, { env: { memory } }).exports[name] as MatmulFn,
  };
  cache.set(key, kernel);
  return kernel;
}
