/**
 * The h5wasm module, loaded once. We import the ESM build, whose Emscripten file system is
 * in memory (MEMFS) in Node too: the node build maps the real file system (NODERAWFS), and bytes
 * in / bytes out must not touch the disk. HDF5's error stack is turned into thrown errors instead
 * of being printed to stderr.
 */
import h5wasm from 'h5wasm';

type H5Module = Awaited<typeof h5wasm.ready>;
export type H5Wasm = typeof h5wasm;

let loaded: Promise<{ h5: H5Wasm; module: H5Module }> | undefined;
let counter = 0;

export function loadH5wasm(): Promise<{ h5: H5Wasm; module: H5Module }> {
  loaded ??= h5wasm.ready.then((module) => {
    module.activate_throwing_error_handler();
    return { h5: h5wasm, module };
  });
  return loaded;
}

/** A fresh path in the in-memory file system (never a user string: names are ours). */
export function scratchPath(): string {
  counter += 1;
  return `/keras-jit-scratch-${counter}.h5`;
}
