/**
 * GFLOP/s of the three convolutions on the WebAssembly tier, one thread, at the mnist_cnn shapes
 * (batch 128): the kernel the cost model picks (Winograd F(2x2,3x3) or im2col chunks into the
 * matmul kernel), the im2col kernel alone, the matmul kernel on the im2col GEMM's K = 3·3·C and
 * N = F with M = MATMUL_ROWS rows (its operands stay in cache, as a patch chunk does: the rate the
 * kernel reaches at those K and N), the matmul kernel at mnist_mlp's first layer (128x784x512,
 * the usual reference figure), and the generated JS implicit-GEMM kernel. All over one memory in the same run, interleaved, so the
 * ratios are the figures to compare across runs. GFLOP/s counts the direct convolution's
 * multiply-adds for every kernel, so Winograd's rate is an effective one.
 */
import Benchmark from 'benchmark';
import type { Epilogue } from '../src/codegen/contraction-api.js';
import { emitContraction } from '../src/codegen/contraction.js';
import { instantiate } from '../src/codegen/kernel.js';
import { ident, stmts } from '../src/codegen/template.js';
import { compileWasmConv } from '../src/codegen/wasm/conv-kernel.js';
import { compileWasmMatmul } from '../src/codegen/wasm/matmul-kernel.js';
import type { ConvOp } from '../src/codegen/wasm/conv-plan.js';
import { WebAssemblyApi as WA, pagesFor } from '../src/codegen/wasm/engine.js';
import * as b from '../src/ir/build.js';
import type { Node } from '../src/ir/node.js';

export interface WasmConvRow {
  /** The kernel the cost model picks. */
  readonly name: string;
  readonly wasmGflops: number;
  /** The im2col kernel (the same as `wasmGflops` when it is the one picked). */
  readonly im2colGflops: number;
  /** The matmul kernel at the same K and N, MATMUL_ROWS rows. */
  readonly matmulGflops: number;
  /** The matmul kernel at 128x784x512. */
  readonly mlpGflops: number;
  readonly jsGflops: number;
  /** The picked kernel over the JS kernel. */
  readonly ratio: number;
  /** The picked kernel over the matmul kernel at the same K and N. */
  readonly vsMatmul: number;
}

const size = (n: Node) => (n.shape as readonly number[]).reduce((p, q) => p * q, 1);

/** The mnist_cnn convolutions (3x3, valid padding) and the gradients training computes. */
export function convCases(batch = 128): Node<ConvOp>[] {
  const layers = [{ x: [batch, 28, 28, 1], w: [3, 3, 1, 32] }, { x: [batch, 26, 26, 32], w: [3, 3, 32, 64] }];
  return layers.flatMap(({ x, w }) => {
    const xi = b.input('x', x), wi = b.input('w', w);
    const y = b.conv2d(xi, wi, [1, 1], [0, 0, 0, 0]);
    const dy = b.input('dy', y.shape);
    return [y, b.conv2dBackpropInput(dy, wi, [x[1], x[2]], [1, 1], [0, 0, 0, 0]), b.conv2dBackpropFilter(xi, dy, [w[0], w[1]], [1, 1], [0, 0, 0, 0])];
  });
}

/**
 * 2 x multiply-adds of the forward convolution the op belongs to, (output pixels) x KH·KW·C·F:
 * exact for these shapes, whose taps all fall inside the image (valid padding).
 */
export function convFlops(node: Node<ConvOp>): number {
  const y = node.op === 'conv2d' ? node : node.op === 'conv2dBackpropInput' ? node.inputs[0] : node.inputs[1];
  const w = node.op === 'conv2dBackpropFilter' ? node : node.inputs[1];
  const [KH, KW, C, F] = w.shape as readonly number[];
  return 2 * (size(y) / F) * KH * KW * C * F;
}

function hz(name: string, fn: () => void, maxTime: number): number {
  const end = performance.now() + 300;
  do fn(); while (performance.now() < end);
  const bench = new Benchmark(name, fn, { maxTime, minSamples: 5 });
  bench.run({ async: false });
  if (bench.error !== undefined) throw bench.error;
  return bench.hz;
}

const store: Epilogue = (acc, at) => stmts('F[o0 + $flat] = $acc;', { $flat: at.flat, $acc: acc });

const MATMUL_ROWS = 256;
const MLP = { batch: 1, M: 128, K: 784, N: 512, transposeA: false, transposeB: false };

export async function benchWasmConv(maxTime = 2, cases = convCases()): Promise<WasmConvRow[]> {
  const rows: WasmConvRow[] = [];
  for (const node of cases) {
    const picked = compileWasmConv(node);
    const im2col = compileWasmConv(node, { winograd: false, fewTaps: false });
    const code = emitContraction({ node, a: ident('o1'), b: ident('o2'), epilogue: store });
    const js = instantiate({ name: code.name, buffers: 3, prelude: code.prelude, body: code.body });
    const flops = convFlops(node);
    const w = node.op === 'conv2dBackpropFilter' ? node : node.inputs[1];
    const [KH, KW, C, F] = w.shape as readonly number[];
    const M = MATMUL_ROWS;
    const matmul = compileWasmMatmul({ batch: 1, M, K: KH * KW * C, N: F, transposeA: false, transposeB: false });
    const mlp = compileWasmMatmul(MLP);
    const [outSize, aSize, bSize] = [size(node), size(node.inputs[0]), size(node.inputs[1])];
    const floats = Math.max(outSize + aSize + bSize, M * F + M * KH * KW * C + KH * KW * C * F, MLP.M * MLP.N + MLP.M * MLP.K + MLP.K * MLP.N);
    const scratch = Math.ceil(floats / 16) * 16 * 4;
    const memory = new WA.Memory({ initial: pagesFor(scratch + Math.max(picked.scratchBytes, im2col.scratchBytes, matmul.scratchBytes, mlp.scratchBytes)) });
    const F32 = new Float32Array(memory.buffer), I = new Int32Array(memory.buffer), U = new Uint8Array(memory.buffer);
    for (let i = 0; i < floats; i++) F32[i] = Math.random() - 0.5;
    const [o0, o1, o2] = [0, outSize, outSize + aSize];
    const gflops = (rate: number) => (rate * flops) / 1e9;
    const runPicked = picked.instantiate(memory, scratch), runIm2col = im2col.instantiate(memory, scratch), runMatmul = matmul.instantiate(memory, scratch);
    const m1 = M * F, m2 = m1 + M * KH * KW * C;
    const runMlp = mlp.instantiate(memory, scratch), mlpFlops = 2 * MLP.M * MLP.K * MLP.N;
    // Interleaved, twice, each keeping its better rate: the load falls on all of them.
    let wasmGflops = 0, im2colGflops = 0, matmulGflops = 0, mlpGflops = 0;
    for (let round = 0; round < 2; round++) {
      wasmGflops = Math.max(wasmGflops, gflops(hz(picked.name, () => runPicked(o0 * 4, o1 * 4, o2 * 4), maxTime)));
      im2colGflops = picked === im2col ? wasmGflops : Math.max(im2colGflops, gflops(hz(im2col.name, () => runIm2col(o0 * 4, o1 * 4, o2 * 4), maxTime)));
      const matmulFlops = 2 * M * KH * KW * C * F;
      matmulGflops = Math.max(matmulGflops, (hz(matmul.name, () => runMatmul(0, m1 * 4, m2 * 4), maxTime) * matmulFlops) / 1e9);
      mlpGflops = Math.max(mlpGflops, (hz(mlp.name, () => runMlp(0, MLP.M * MLP.N * 4, (MLP.M * MLP.N + MLP.M * MLP.K) * 4), maxTime) * mlpFlops) / 1e9);
    }
    const jsGflops = gflops(hz(js.name, () => js.run(F32, I, U, o0, o1, o2), maxTime));
    rows.push({ name: picked.name, wasmGflops, im2colGflops, matmulGflops, mlpGflops, jsGflops, ratio: wasmGflops / jsGflops, vsMatmul: wasmGflops / matmulGflops });
    await new Promise((resolve) => setImmediate(resolve));
  }
  return rows;
}
