/**
 * Emits one module that runs a convolution GEMM's chunks of patches [c0, c1) by itself: per chunk
 * it calls the patch gather (patch-emit.ts) into its own scratch, then the chunk's matmul
 * (matmul-emit.ts), all as internal functions of the module. So a thread given a range of chunks
 * gathers its own patches (im2col on every thread, not only the calling one) and needs nothing
 * from the others: the rows a forward chunk writes are its own, and a filter gradient chunk adds
 * into the thread's own partial dw in scratch (the caller sums the partials).
 *
 * Export: `(out, img, b, bias, c0, c1)`, the signature of a matmul export, so the worker pool runs
 * it as one. Scratch per instance: [B panel | patch chunk | partial dw].
 */
import { FuncBuilder } from './builder.js';
import type { Chunking } from './conv-plan.js';
import type { Func, WasmModule } from './module.js';
import { envMemory } from './module.js';

export interface ChunkDriver {
  readonly name: string;
  readonly shared: boolean;
  /** The patch gather `(dst, src, count, n, y, x)`; undefined when the image is the patch matrix. */
  readonly gather?: Func;
  /** The matmuls for a full chunk and for the shorter last one (the same when they divide evenly). */
  readonly main: Func;
  readonly tail?: Func;
  /** Column panels of each matmul: the range the driver asks them for. */
  readonly mainPanels: number;
  readonly tailPanels: number;
  readonly chunks: Chunking;
  /** The patch grid [n, y, x], to find the first patch of a chunk. */
  readonly patchDims: readonly [number, number, number];
  /** Floats per patch row, and columns of the product. */
  readonly K: number;
  readonly N: number;
  /** Filter gradient: dw (K x N) += patchesᵀ · dy rows, into the partial at `partialAt`. */
  readonly accumulate: boolean;
  readonly patchAt: number;
  readonly partialAt: number;
}

export function emitChunkDriver(d: ChunkDriver): WasmModule {
  const params = ['out', 'img', 'b', 'bias', 'c0', 'c1'].map((name) => ({ name, type: 'i32' as const }));
  const f = new FuncBuilder(d.name, params);
  const [out, img, b, bias, c0, c1] = [0, 1, 2, 3, 4, 5].map((i) => f.param(i));
  const [scr, c, m0, a, count] = ['scr', 'c', 'm0', 'a', 'count'].map((name) => f.local(name, 'i32'));
  const [, PY, PX] = d.patchDims;
  // Functions: [gather?, main, tail?, driver].
  const gatherIndex = 0, mainIndex = d.gather !== undefined ? 1 : 0, tailIndex = mainIndex + 1;
  f.op('global.get', 0).set(scr);
  f.forRange(c, c0, c1, () => {
    f.get(c).i32(d.chunks.rows).op('i32.mul').set(m0);
    f.get(c).i32(d.chunks.chunks - 1).op('i32.eq').if(() => f.i32(d.chunks.last).set(count), () => f.i32(d.chunks.rows).set(count));
    if (d.gather === undefined) f.get(m0).i32(d.K * 4).op('i32.mul').get(img).op('i32.add').set(a);
    else {
      f.get(scr).i32(d.patchAt).op('i32.add').tee(a).get(img).get(count);
      // The chunk's first patch (n, y, x) in the grid.
      f.get(m0).i32(PY * PX).op('i32.div_u');
      f.get(m0).i32(PX).op('i32.div_u').i32(PY).op('i32.rem_u');
      f.get(m0).i32(PX).op('i32.rem_u');
      f.op('call', gatherIndex);
    }
    const call = (index: number, panels: number) => {
      if (d.accumulate) f.get(scr).i32(d.partialAt).op('i32.add').get(a).get(m0).i32(d.N * 4).op('i32.mul').get(b).op('i32.add');
      else f.get(m0).i32(d.N * 4).op('i32.mul').get(out).op('i32.add').get(a).get(b);
      f.get(bias).i32(0).i32(panels).op('call', index);
    };
    if (d.tail === undefined) call(mainIndex, d.mainPanels);
    else f.get(c).i32(d.chunks.chunks - 1).op('i32.eq').if(() => call(tailIndex, d.tailPanels), () => call(mainIndex, d.mainPanels));
  });
  const internal = (fn: Func): Func => ({ ...fn, exported: false });
  return {
    memory: envMemory(d.shared),
    globals: [{ module: 'env', name: 'scratch', type: 'i32', mutable: false }],
    funcs: [...(d.gather !== undefined ? [internal(d.gather)] : []), internal(d.main), ...(d.tail !== undefined ? [internal(d.tail)] : []), f.func()],
  };
}
