/**
 * GFLOP/s of the three convolutions on the WebAssembly tier (im2col chunks into the matmul
 * kernel) beside the generated JS implicit-GEMM kernels, at the mnist_cnn shapes (batch 128),
 * over one memory in the same run so the ratio is the figure to compare across runs.
 */
import Benchmark from 'benchmark';
import type { Epilogue } from '../src/codegen/contraction-api.js';
import { emitContraction } from '../src/codegen/contraction.js';
import { instantiate } from '../src/codegen/kernel.js';
import { ident, stmts } from '../src/codegen/template.js';
import { compileWasmConv } from '../src/codegen/wasm/conv-kernel.js';
import type { ConvOp } from '../src/codegen/wasm/conv-plan.js';
import { WebAssemblyApi as WA, pagesFor } from '../src/codegen/wasm/engine.js';
import * as b from '../src/ir/build.js';
import type { Node } from '../src/ir/node.js';

export interface WasmConvRow {
  readonly name: string;
  readonly wasmGflops: number;
  readonly jsGflops: number;
  readonly ratio: number;
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

export async function benchWasmConv(maxTime = 2, cases = convCases()): Promise<WasmConvRow[]> {
  const rows: WasmConvRow[] = [];
  for (const node of cases) {
    const wasm = compileWasmConv(node);
    const code = emitContraction({ node, a: ident('o1'), b: ident('o2'), epilogue: store });
    const js = instantiate({ name: code.name, buffers: 3, prelude: code.prelude, body: code.body });
    const [outSize, aSize, bSize] = [size(node), size(node.inputs[0]), size(node.inputs[1])];
    const scratch = Math.ceil((outSize + aSize + bSize) / 16) * 16 * 4;
    const memory = new WA.Memory({ initial: pagesFor(scratch + wasm.scratchBytes) });
    const F = new Float32Array(memory.buffer), I = new Int32Array(memory.buffer), U = new Uint8Array(memory.buffer);
    for (let i = outSize; i < outSize + aSize + bSize; i++) F[i] = Math.random() - 0.5;
    const [o0, o1, o2] = [0, outSize, outSize + aSize];
    const flops = convFlops(node);
    const run = wasm.instantiate(memory, scratch);
    const wasmGflops = (hz(wasm.name, () => run(o0 * 4, o1 * 4, o2 * 4), maxTime) * flops) / 1e9;
    const jsGflops = (hz(js.name, () => js.run(F, I, U, o0, o1, o2), maxTime) * flops) / 1e9;
    rows.push({ name: wasm.name, wasmGflops, jsGflops, ratio: wasmGflops / jsGflops });
    await new Promise((resolve) => setImmediate(resolve));
  }
  return rows;
}
