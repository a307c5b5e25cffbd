/**
 * Where mnist_mlp's training step spends its time on the default tier, by kind of kernel:
 * the per-kernel profile that KERAS_JIT_DEBUG=2 prints, taken from the compiled program itself
 * so that each kernel can be classed by what it is (a matmul, an elementwise loop, a reduction,
 * or an optimizer update, i.e. a kernel writing a variable's new value) rather than by its name.
 * The step is the one fit() compiles and caches; it is run directly, with the profile on, after
 * fit() has warmed it up.
 */
import { stepProgram, sigsOf } from '../src/api/training/programs.js';
import type { CompiledParts } from '../src/runtime/compiled.js';
import type { Program } from '../src/runtime/program.js';
import type { ProfileRow } from '../src/runtime/profile.js';
import { backend, Sequential, Session, layers, optimizers, tensor } from '../src/index.js';
import { NUM_CLASSES, PIXELS, digits } from './data.js';
import { since } from './measure.js';
import { threadCount } from '../src/runtime/threads/config.js';
import { nativeCompilesSettled } from '../src/runtime/tiers/native/kernels.js';
import { defaultTier, type TierName } from '../src/runtime/tiers/index.js';

/**
 * 'matmul + optimizer step': a weight gradient's matmul that applies the weight's update as its
 * epilogue (ir/fusion.ts), a contraction kernel still, listed apart so its share is in view.
 */
export type KernelClass = 'matmul' | 'matmul + optimizer step' | 'convolution' | 'elementwise' | 'reduction' | 'optimizer update' | 'other';

/** The kinds issue 5 says must not become the bottleneck once matmuls are fast. */
export const NON_CONTRACTION: ReadonlySet<KernelClass> = new Set(['elementwise', 'reduction', 'optimizer update']);

export interface ProfileClassRow {
  readonly kind: KernelClass;
  readonly kernels: number;
  readonly msPerStep: number;
  /** Fraction of the summed kernel time. */
  readonly share: number;
  /** The slowest kernel of the class and its share. */
  readonly top: string;
}

export interface MlpProfile {
  readonly steps: number;
  readonly kernelMsPerStep: number;
  /** The same steps without the profiler's per-kernel timing. */
  readonly stepMs: number;
  readonly threads: number;
  /** The tier the step ran on (KERAS_JIT_BACKEND, else the default). */
  readonly tier: TierName;
  readonly rows: readonly ProfileClassRow[];
}

const BATCH = 128;

function classify(parts: CompiledParts): Map<string, KernelClass> {
  const updated = new Set(parts.graph.updates.map((u) => u.value));
  const byName = new Map<string, KernelClass>();
  for (const { kernel, name } of parts.calls) {
    const anchor = kernel.anchor.op;
    const writesVariable = kernel.outputs.some((n) => updated.has(n));
    const kind: KernelClass = kernel.kind === 'contraction'
      ? (anchor === 'matmul' ? (writesVariable ? 'matmul + optimizer step' : 'matmul') : anchor.startsWith('conv') ? 'convolution' : 'other')
      : writesVariable ? 'optimizer update'
      : kernel.kind === 'reduce' ? 'reduction'
      : kernel.kind === 'elementwise' ? 'elementwise' : 'other';
    byName.set(name, kind);
  }
  return byName;
}

function hasParts(p: Program): p is Program & { readonly parts: CompiledParts } {
  return 'parts' in p;
}

export async function benchProfile(steps = 60): Promise<MlpProfile> {
  const session = new Session({ seed: 1 });
  backend.setSession(session);
  const data = digits(BATCH * 10);
  const x = tensor(data.x, [data.n, PIXELS]), y = tensor(data.y, [data.n, NUM_CLASSES]);
  const model = new Sequential([
    new layers.Dense(512, { activation: 'relu', inputShape: [PIXELS] }), new layers.Dropout(0.2),
    new layers.Dense(512, { activation: 'relu' }), new layers.Dropout(0.2),
    new layers.Dense(NUM_CLASSES, { activation: 'softmax' }),
  ]);
  model.compile({ optimizer: new optimizers.RMSprop(), loss: 'categorical_crossentropy', metrics: ['accuracy'] });
  await model.fit(x, y, { batchSize: BATCH, epochs: 2, verbose: 0 });
  // On the native tier, the C kernels replace their WebAssembly twins once compiled: profile those.
  await nativeCompilesSettled();

  // The program fit() used: the same cache key, so no compile here.
  const { program } = stepProgram(session, model, 'train', BATCH, true, sigsOf([x]), sigsOf([y]));
  if (!hasParts(program) || program.profile === undefined) throw new Error('profile: the train program is not a compiled program (KERAS_JIT_BACKEND=interpret?)');
  program.input(0).set(data.x.subarray(0, BATCH * PIXELS));
  program.input(1).set(data.y.subarray(0, BATCH * NUM_CLASSES));

  const plain = performance.now();
  for (let s = 0; s < steps; s++) session.run(program);
  const stepMs = since(plain) / steps;

  const previous = backend.getDebug();
  backend.setDebug(2);
  program.profile.reset();
  try {
    for (let s = 0; s < steps; s++) session.run(program);
  } finally {
    backend.setDebug(previous);
  }
  const profile = program.profile;
  const classes = classify(program.parts);
  const rows: ProfileRow[] = profile.rows();
  const total = profile.totalMs;
  const out: ProfileClassRow[] = [];
  for (const kind of ['matmul', 'matmul + optimizer step', 'convolution', 'elementwise', 'reduction', 'optimizer update', 'other'] as const) {
    const mine = rows.filter((r) => (classes.get(r.name) ?? 'other') === kind);
    if (mine.length === 0) continue;
    const ms = mine.reduce((a, r) => a + r.ms, 0);
    const top = mine[0];
    out.push({ kind, kernels: mine.reduce((a, r) => a + r.calls / profile.steps, 0), msPerStep: ms / profile.steps, share: total > 0 ? ms / total : 0, top: `${top.name} (${(top.share * 100).toFixed(1)}%)` });
  }
  const result: MlpProfile = { steps: profile.steps, kernelMsPerStep: total / profile.steps, stepMs, threads: threadCount(), tier: defaultTier(), rows: out };
  session.clear();
  return result;
}
