/**
 * `node dist/bench/cnn-profile.js`: the per-kernel profile (KERAS_JIT_DEBUG=2's table) of
 * mnist_cnn's training step at batch 128 on the default tier, on synthetic data (only the shapes
 * matter), after fit() has compiled and warmed the step (and, on the native tier, every C kernel is in place). STEPS (default 20) steps are profiled.
 */
import { stepProgram, sigsOf } from '../src/api/training/programs.js';
import { formatProfile } from '../src/runtime/profile.js';
import { backend, Session, tensor } from '../src/index.js';
import { kerasModel } from './models.js';
import { nativeCompilesSettled } from '../src/runtime/tiers/native/kernels.js';

const BATCH = 128;
const steps = Number(process.env.STEPS ?? 20);
const session = new Session({ seed: 1 });
backend.setSession(session);
const n = BATCH * 4;
const xs = Float32Array.from({ length: n * 784 }, (_, i) => ((i * 2654435761) % 1000) / 1000);
const ys = new Float32Array(n * 10);
for (let i = 0; i < n; i++) ys[i * 10 + (i % 10)] = 1;
const x = tensor(xs, [n, 28, 28, 1]), y = tensor(ys, [n, 10]);
const model = kerasModel('mnist_cnn');
await model.fit(x, y, { batchSize: BATCH, epochs: 2, verbose: 0 });
// On the native tier, the C kernels replace their WebAssembly twins once compiled: profile those.
await nativeCompilesSettled();
// The program fit() used: the same cache key, so no compile here.
const { program } = stepProgram(session, model, 'train', BATCH, true, sigsOf([x]), sigsOf([y]));
if (program.profile === undefined) throw new Error('cnn-profile: the train program has no profile (KERAS_JIT_BACKEND=interpret?)');
program.input(0).set(xs.subarray(0, BATCH * 784));
program.input(1).set(ys.subarray(0, BATCH * 10));
backend.setDebug(2);
program.profile.reset();
const start = performance.now();
for (let s = 0; s < steps; s++) session.run(program);
console.log(`step ${((performance.now() - start) / steps).toFixed(2)} ms with the profiler on`);
console.log(formatProfile('mnist_cnn train step', program.profile));
session.clear();
