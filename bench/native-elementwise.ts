/**
 * Whether the native tier should also emit C for fused elementwise groups (issue 14 asks for it
 * "if it pays"): mnist_mlp's optimizer update, RMSprop over all of its 669,706 parameters, as the
 * WebAssembly SIMD loop the wasm tier compiles for it and as the same arithmetic in C compiled by
 * `cc -O3 -march=native` (AVX-512 where the machine has it), both over one session memory, both
 * on two threads (the worker pool's for wasm, the addon's for C) and the C also on one. Rates are
 * from the fastest call, interleaved; bytes moved are 20 per element (read w, v, g; write w, v).
 * `node dist/bench/native-elementwise.js`.
 */
import * as B from '../src/ir/build.js';
import type { Node } from '../src/ir/node.js';
import { compiledProgram } from '../src/runtime/compiled.js';
import { Memory } from '../src/runtime/memory.js';
import { Session } from '../src/runtime/session.js';
import { addonSync } from '../src/runtime/tiers/native/addon.js';
import { nativeTier } from '../src/runtime/tiers/native/index.js';
import { nativeKernel } from '../src/runtime/tiers/native/kernels.js';

/** mnist_mlp's parameters: 784x512 + 512, 512x512 + 512, 512x10 + 10. */
export const RMSPROP_ELEMENTS = 784 * 512 + 512 + 512 * 512 + 512 + 512 * 10 + 10;
const RHO = 0.9, LR = 0.001, EPS = 1e-7;
const PANELS = 64;

const C_SOURCE = String.raw`
#include <math.h>
#include <stdint.h>
#define N ${RMSPROP_ELEMENTS}u
#define PANELS ${PANELS}u
uint32_t kjit_panels(void) { return PANELS; }
/* offsets: w, v, g; panel p covers elements [p N / PANELS, (p + 1) N / PANELS). */
void kjit_run(char *base, const uint32_t *offsets, uint32_t p0, uint32_t p1) {
  float *restrict w = (float *)(base + offsets[0]), *restrict v = (float *)(base + offsets[1]);
  const float *restrict g = (const float *)(base + offsets[2]);
  uint32_t i0 = (uint32_t)(((uint64_t)p0 * N) / PANELS), i1 = (uint32_t)(((uint64_t)p1 * N) / PANELS);
  for (uint32_t i = i0; i < i1; i++) {
    float gi = g[i], vi = ${RHO}f * v[i] + (1.0f - ${RHO}f) * gi * gi;
    v[i] = vi;
    w[i] -= ${LR}f * gi / (sqrtf(vi) + ${EPS}f);
  }
}
`;

export interface ElementwiseRow {
  readonly wasm2: number;
  readonly native1: number;
  readonly native2: number;
}

/** GB/s of the fastest of `calls` interleaved rounds of each function. */
function fastest(fns: readonly (() => void)[], seconds: number): number[] {
  const best = fns.map(() => Infinity);
  for (let r = 0; r < 5; r++) fns.forEach((f) => f());
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    fns.forEach((f, i) => {
      const t = performance.now();
      f();
      best[i] = Math.min(best[i], performance.now() - t);
    });
  }
  return best.map((ms) => (RMSPROP_ELEMENTS * 20) / (ms / 1000) / 1e9);
}

export function benchNativeElementwise(seconds = 2): ElementwiseRow | undefined {
  if (nativeTier.unavailable() !== undefined) return undefined;
  const n = RMSPROP_ELEMENTS;
  const g0 = Float32Array.from({ length: n }, (_, i) => ((i % 13) - 6) * 0.01);

  const session = new Session({ seed: 1 });
  const w = session.createVariable('w', [n], 'float32', new Float32Array(n));
  const v = session.createVariable('v', [n], 'float32', new Float32Array(n));
  const g = B.input('g', [n]);
  const v2 = B.add(B.multiply(RHO, v.node), B.multiply(1 - RHO, B.multiply(g, g)));
  const w2 = B.subtract(w.node, B.divide(B.multiply(LR, g), B.add(B.sqrt(v2), EPS)));
  const updates: { variable: Node<'variable'>; value: Node }[] = [{ variable: v.node, value: v2 }, { variable: w.node, value: w2 }];
  const program = compiledProgram({ name: 'rmsprop', inputs: [g], graph: { outputs: [], updates } }, session, 'wasm');
  program.input(0).set(g0);
  const names = program.parts.calls.map((c) => c.name);
  if (names.length !== 1 || !names[0].endsWith('_simd')) throw new Error(`native-elementwise: expected one SIMD kernel, got ${names.join(', ')}`);

  const addon = addonSync();
  const k = nativeKernel('rmsprop_c', C_SOURCE, true);
  if (k.index === undefined) throw new Error('native-elementwise: the C kernel did not build (KERAS_JIT_DEBUG=1 says why)');
  const index = k.index;
  const memory = new Memory(3 * 4 * n + (1 << 16), true);
  const [ow, ov, og] = [memory.alloc(4 * n), memory.alloc(4 * n), memory.alloc(4 * n)];
  memory.f32.set(g0, og / 4);
  try {
    const [wasm2, native1, native2] = fastest([
      () => program.run(0),
      () => addon.call(index, memory.u8, 1, ow, ov, og),
      () => addon.call(index, memory.u8, 2, ow, ov, og),
    ], seconds);
    return { wasm2, native1, native2 };
  } finally {
    program.dispose();
    session.clear();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = benchNativeElementwise();
  if (r === undefined) console.log('native tier unavailable (no C compiler or cache directory)');
  else console.log(`RMSprop over ${RMSPROP_ELEMENTS} parameters: wasm SIMD loop ${r.wasm2.toFixed(1)} GB/s (2 threads); C ${r.native1.toFixed(1)} GB/s (1 thread), ${r.native2.toFixed(1)} GB/s (2 threads); C/wasm ${(r.native2 / r.wasm2).toFixed(2)}x on 2 threads`);
}
