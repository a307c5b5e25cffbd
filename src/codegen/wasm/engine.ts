/**
 * The engine's WebAssembly JavaScript API, typed here because the project compiles without the
 * DOM library (where TypeScript declares it) and @types/node 20 does not declare it. Only the
 * members the kernel tier calls; a module-local binding, so nothing global is redeclared.
 */
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  /** Adds pages of 64 KiB; returns the previous size in pages. */
  grow(pages: number): number;
}

/** A compiled module: opaque to JavaScript, instantiable many times. */
export interface CompiledModule {
  readonly compiled: unique symbol;
}

export interface WasmInstance {
  readonly exports: Readonly<Record<string, unknown>>;
}

export interface MemoryDescriptor {
  readonly initial: number;
  readonly maximum?: number;
  readonly shared?: boolean;
}

interface WebAssemblyApi {
  validate(bytes: Uint8Array): boolean;
  readonly Module: new (bytes: Uint8Array) => CompiledModule;
  readonly Instance: new (module: CompiledModule, imports: Readonly<Record<string, Readonly<Record<string, unknown>>>>) => WasmInstance;
  readonly Memory: new (descriptor: MemoryDescriptor) => WasmMemory;
}

export const WebAssemblyApi: WebAssemblyApi = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

/** Pages of 64 KiB needed for `bytes`. */
export const pagesFor = (bytes: number) => Math.ceil(bytes / 65536);
