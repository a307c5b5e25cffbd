/**
 * The h5wasm module, loaded once. We import the ESM build, whose Emscripten file system is
 * in memory (MEMFS) in Node too: the node build maps the real file system (NODERAWFS), and bytes
 * in / bytes out must not touch the disk. HDF5's error stack is turned into thrown errors instead
 * of being printed to stderr.
 */
import type h5wasmDefault from 'h5wasm';

export type H5Wasm = typeof h5wasmDefault;
type H5Module = Awaited<H5Wasm['ready']>;

let loaded: Promise<{ h5: H5Wasm; module: H5Module }> | undefined;
let counter = 0;

/**
 * Imported on first use, not with the package: the ESM build compiles HDF5's WebAssembly as soon
 * as it is imported, which put seconds of background compile on every process (two cores share it
 * with the first training step), and an in-flight compile of it takes the optimizing tier while
 * codegen/wasm/optimized-compile.ts has Liftoff off.
 */
export function loadH5wasm(): Promise<{ h5: H5Wasm; module: H5Module }> {
  loaded ??= import('h5wasm').then(async ({ default: h5 }) => {
    const module = await h5.ready;
    module.activate_throwing_error_handler();
    return { h5, module };
  });
  return loaded;
}

/** A fresh path in the in-memory file system (never a user string: names are ours). */
export function scratchPath(): string {
  counter += 1;
  return `/keras-jit-scratch-${counter}.h5`;
}
