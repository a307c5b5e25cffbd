/**
 * TensorFlow.js (the pure-JS `@tensorflow/tfjs`, not tfjs-node) on its cpu and wasm backends.
 * The wasm backend's binaries ship inside its npm package; `setWasmPaths` points it at the
 * package's dist folder so nothing is fetched. In Node it picks the SIMD binary without threads
 * (no cross-origin isolation or browser workers), as `backendInfo` reports.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';

export type Tf = typeof import('@tensorflow/tfjs');
export type TfBackend = 'cpu' | 'wasm';

let loaded: Tf | undefined;
let wasmPathsSet = false;

/** Runs `f` with console.log and console.warn muted: TensorFlow.js greets Node users with a banner. */
async function quietly<T>(f: () => Promise<T>): Promise<T> {
  const { log, warn } = console;
  console.log = () => {};
  console.warn = () => {};
  try {
    return await f();
  } finally {
    console.log = log;
    console.warn = warn;
  }
}

/** TensorFlow.js with `backend` active. */
export async function useTf(backend: TfBackend): Promise<Tf> {
  return quietly(async () => {
    const tf = loaded ??= await import('@tensorflow/tfjs');
    if (backend === 'wasm' && !wasmPathsSet) {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      const dist = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'));
      wasm.setWasmPaths(`${dist}/`);
      wasmPathsSet = true;
    }
    // Production mode only silences warnings, among them the banner the cpu backend prints on
    // first use in Node (in the middle of the bench's progress lines).
    tf.env().set('PROD', true);
    if (!(await tf.setBackend(backend))) throw new Error(`TensorFlow.js: backend '${backend}' failed to initialise`);
    await tf.ready();
    return tf;
  });
}

/** What the active backend runs on, e.g. 'wasm, SIMD, 1 thread'. */
export async function backendInfo(tf: Tf): Promise<string> {
  const name = tf.getBackend();
  if (name !== 'wasm') return name;
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  return `wasm, ${simd === true ? 'SIMD' : 'no SIMD'}, ${threads === true ? 'threads' : '1 thread'}`;
}
