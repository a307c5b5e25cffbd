/** H5Group tree -> HDF5 bytes, through h5wasm's in-memory file system. */
import type { Group } from 'h5wasm';
import { h5wasmDtype } from './dtypes.js';
import { loadH5wasm, scratchPath } from './h5wasm-module.js';
import type { H5Array, H5Group } from './tree.js';

export async function writeHdf5(root: H5Group): Promise<Uint8Array> {
  const { h5, module } = await loadH5wasm();
  const path = scratchPath();
  const file = new h5.File(path, 'w');
  let closed = false;
  try {
    writeGroup(file, root);
    file.close();
    closed = true;
    return module.FS.readFile(path);
  } finally {
    if (!closed) try { file.close(); } catch { /* already failing */ }
    module.FS.unlink(path);
  }
}

function writeGroup(target: Group, g: H5Group): void {
  writeAttrs(target, g.attrs);
  for (const [name, child] of g.children) {
    if (child.kind === 'group') {
      writeGroup(target.create_group(name), child);
    } else {
      const made = child.dtype === 'string'
        ? target.create_dataset({ name, data: [...(child.data as readonly string[])], shape: [...child.shape] })
        : target.create_dataset({ name, data: child.data as Float32Array, shape: [...child.shape], dtype: h5wasmDtype(child.dtype) });
      writeAttrs(made, child.attrs);
    }
  }
}

function writeAttrs(target: { create_attribute: Group['create_attribute'] }, attrs: Map<string, H5Array>): void {
  for (const [name, a] of attrs) {
    if (a.dtype === 'string') {
      const list = a.data as readonly string[];
      // A scalar string attribute (Keras's `backend`, `model_config`) is written as one string.
      if (a.shape.length === 0) target.create_attribute(name, list[0] ?? '');
      else target.create_attribute(name, [...list], [...a.shape]);
    } else {
      target.create_attribute(name, a.data as Float32Array, [...a.shape], h5wasmDtype(a.dtype));
    }
  }
}
