/**
 * `npm run bench`: runs every bench section, prints its table and writes bench/RESULTS.md: the
 * ratios of the run and the targets of issues 5, 10 and 13 first, then each section's table.
 * `npm run bench -- training first-step` runs only the sections with those ids (and prints,
 * without rewriting RESULTS.md, which always holds one complete run); `npm run bench -- --list`
 * lists the ids.
 *
 * A section is an id, a title, a note and a function that measures and returns a table; it may
 * record what it measured in `facts` for the summary. Add new ones to SECTIONS.
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { threadCount } from '../src/runtime/threads/config.js';
import { wasmFeatures } from '../src/codegen/wasm/features.js';
import { benchElementwise } from './elementwise.js';
import { benchFirstStep } from './first-step.js';
import { benchKernels } from './kernels.js';
import { benchMatmul } from './matmul.js';
import { benchNativePeers, nativeRatio, NATIVE_PEERS } from './native-peers.js';
import { benchNativeCompile, benchNativeMatmul, benchNativeSteps, benchNativeTraining } from './native-tier.js';
import { MODELS, TF_CPU_CONV_BATCH } from './models.js';
import { benchProfile, NON_CONTRACTION } from './profile.js';
import { benchRnnCompile, RNN_COMPILE } from './rnn-compile.js';
import { benchSequences, SEQUENCE_TRAINERS } from './sequences.js';
import { SEQ_BATCH, SEQ_BATCHES, SEQ_EMBEDDING, SEQ_LENGTH, SEQ_UNITS, SEQ_VOCABULARY } from './sequences-model.js';
import { benchSharedMemory } from './shared-memory.js';
import { ratiosTable, targetsTable, type Facts } from './summary.js';
import { markdown, plain, type Table } from './table.js';
import { benchPassCosts, benchPasses } from './passes.js';
import { benchThreads } from './threads.js';
import { benchTraining } from './training.js';
import { benchWasmConv } from './wasm-conv.js';
import { benchWasmMatmul } from './wasm-matmul.js';

export type { Table } from './table.js';

export interface Section {
  /** Short name to run it alone: `npm run bench -- <id>`. */
  readonly id: string;
  readonly title: string;
  readonly note: string;
  run(facts: Facts): Promise<Table>;
}

const fmt = (x: number, digits = 2) => x.toFixed(digits);
const progress = (line: string) => process.stderr.write(`${line}\n`);

const kernelsSection: Section = {
  id: 'kernels',
  title: 'Matmul GFLOP/s per tier and thread count',
  note: 'GFLOP/s = 2·M·K·N / time of a one-matmul program compiled by the runtime for the tier, with KERAS_JIT_THREADS set at compile time; run through Program.run as training runs it. Each variant is timed twice (all in order, then in reverse) and keeps its better rate. Ratio: against the JS tier on the same shape, same run.',
  async run(facts) {
    const rows = await benchKernels(availableParallelism());
    facts.kernels = rows;
    return {
      columns: ['shape', 'ratio vs JS tier', 'tier', 'threads', 'GFLOP/s', 'kernel'],
      rows: rows.map((r) => {
        const js = rows.find((q) => q.shape === r.shape && q.tier === 'js');
        return [r.shape, js === undefined ? '-' : `${fmt(r.gflops / js.gflops, 1)}x`, r.tier, String(r.threads), fmt(r.gflops), r.name];
      }),
    };
  },
};

const trainingSection: Section = {
  id: 'training',
  title: 'Training samples/s: the example models on keras-jit and its peers',
  note: [
    'Each trainer: an untimed warm-up epoch of one step (keras-jit compiles there), one more to time a step (skipped when the warm-up took over 5 s), then epochs of as many steps as take about 0.5 s (1 at least, at most the batches prepared),',
    'timed by Benchmark.js for 3 s with at least 2 samples, so the slowest trainers run exactly 2 timed epochs of one step. Ratio: against TensorFlow.js cpu on the same model, same run.',
    `Data: the first ${MODELS.mnist_mlp.batch * MODELS.mnist_mlp.batches} shipped MNIST digits (the autoencoder: with Gaussian noise as input), and examples/two_input_embedding.ts's synthetic set.`,
    `Batches are the examples' (${Object.values(MODELS).map((m) => `${m.id} ${m.batch}`).join(', ')}), except TensorFlow.js cpu on the two convolutional models: batch ${TF_CPU_CONV_BATCH},`,
    'because one step of 128 takes minutes there, and its convolutions loop over the batch so samples/s barely depends on it (a mnist_cnn step: 9.3 s at batch 4, 18 s at batch 8).',
    'jax-js runs the MLP only (bench/jaxjs.ts: one jit-compiled step with valueAndGrad and RMSprop), on one thread: its worker pool needs a browser `Worker`, which Node lacks.',
    'TensorFlow.js wasm cannot train convolutions (no Conv2DBackpropFilter kernel) nor an Embedding (no UnsortedSegmentSum kernel, which the gradient of a gather needs).',
  ].join('\n'),
  async run(facts) {
    const rows = await benchTraining(3, progress);
    facts.training = rows;
    return {
      columns: ['model', 'trainer', 'ratio vs TF.js cpu', 'samples/s', 'batch', 'steps/epoch', 'epochs timed', '± %'],
      rows: rows.map(({ trainer, result }) => {
        const base = rows.find((r) => r.trainer.model === trainer.model && r.trainer.framework === 'TF.js cpu');
        const baseRate = base !== undefined && !('error' in base.result) ? base.result.samplesPerSecond : undefined;
        if ('error' in result) return [trainer.model, trainer.label, '-', `cannot run: ${result.error}`, String(trainer.batch), '-', '-', '-'];
        const ratio = baseRate === undefined ? '-' : `${fmt(result.samplesPerSecond / baseRate, 1)}x`;
        return [trainer.model, trainer.label, ratio, fmt(result.samplesPerSecond, 1), String(trainer.batch), String(result.steps), String(result.samples), fmt(result.rme, 0)];
      }),
    };
  },
};

const sequencesSection: Section = {
  id: 'sequences',
  title: 'Training samples/s: sequence models on keras-jit, Keras 3 on JAX, PyTorch and TensorFlow.js',
  note: [
    `Embedding(${SEQ_VOCABULARY}, ${SEQ_EMBEDDING}), then LSTM(${SEQ_UNITS}) (imdb_lstm) or GRU(${SEQ_UNITS}) (imdb_gru), then Dense(1, sigmoid); Adam, binary crossentropy; batch ${SEQ_BATCH}, ${SEQ_LENGTH} steps,`,
    `${SEQ_BATCHES} batches of random token ids an epoch (bench/sequences-model.ts, bench/peers/sequences.py). text_transformer: Keras's "Text classification with Transformer",`,
    'token + position embedding 32, one transformer block (MultiHeadAttention 2 heads, key_dim 32, feed-forward 32), GlobalAveragePooling1D, Dense 20, Dense 2 softmax, sparse categorical crossentropy, 200 steps.',
    'Every trainer runs in a fresh process of its own:',
    'an untimed epoch (compiling), then epochs for at least 5 s; 2 interleaved rounds (TF.js cpu: 1), each trainer keeping its best.',
    'Keras 3 / JAX and PyTorch (CPU) run in KERAS_JIT_BENCH_PYTHON (default python3; see the README\'s Benchmarks section); a peer whose package is missing is reported as missing.',
    'TF.js cpu: a run whose first step has not ended after 240 s is stopped and reported as a bound (at most one batch in that time; its cpu embedding gradient, unsortedSegmentSum, loops over all 20000 vocabulary rows).',
    'TF.js cpu trains one batch an epoch (its transformer is written with tf ops: TF.js layers has no MultiHeadAttention), with recurrentActivation sigmoid (its default is hardSigmoid); its GRU has resetAfter false (it rejects true, Keras 3\'s default), the same arithmetic.',
  ].join('\n'),
  async run(facts) {
    const rows = await benchSequences(2, 5, progress);
    facts.sequences = rows;
    return {
      columns: ['model', 'trainer', 'keras-jit / trainer', 'samples/s', 'rounds'],
      rows: rows.map(({ model, trainer, result }) => {
        const ours = rows.find((r) => r.model === model && r.trainer === SEQUENCE_TRAINERS[0])?.result;
        if ('error' in result) return [model, trainer, '-', `cannot run: ${result.error}`, '-'];
        const oursRate = ours !== undefined && 'samplesPerSecond' in ours ? ours.samplesPerSecond : undefined;
        if ('atMostSamplesPerSecond' in result) {
          const ratio = oursRate === undefined ? '-' : `> ${fmt(oursRate / result.atMostSamplesPerSecond)}x`;
          return [model, trainer, ratio, `< ${fmt(result.atMostSamplesPerSecond, 3)} (first step unfinished after ${fmt(result.stepSeconds, 0)} s)`, '1'];
        }
        const ratio = oursRate === undefined ? '-' : `${fmt(oursRate / result.samplesPerSecond)}x`;
        return [model, trainer, ratio, fmt(result.samplesPerSecond, 1), String(result.rounds)];
      }),
    };
  },
};

const rnnCompileSection: Section = {
  id: 'rnn-compile',
  title: 'Compiling a recurrent training step, cold',
  note: [
    `Input(${RNN_COMPILE.steps} x ${RNN_COMPILE.features}), LSTM(${RNN_COMPILE.units}), Dense(1), Adam, batch ${RNN_COMPILE.batch} (issue 10: at most 1 s cold). Each run a fresh process (bench/rnn-compile-child.ts);`,
    'compile: the training program\'s compile time from its KERAS_JIT_DEBUG=1 report (every kernel generated and instantiated, the loop body\'s included);',
    'first step: building the model, compiling and running one training step of all 200 time steps. Median of 3 runs.',
  ].join('\n'),
  async run(facts) {
    const row = await benchRnnCompile(3);
    facts.rnnCompile = row;
    return { columns: ['program', 'kernels', 'compile ms', 'first step ms', 'runs'], rows: [['train', String(row.kernels), fmt(row.compileMs, 0), fmt(row.firstStepMs, 0), String(row.runs)]] };
  },
};

const nativePeersSection: Section = {
  id: 'native-peers',
  title: 'Training samples/s (and single-sample predict) beside PyTorch (CPU) and Keras 3 on JAX',
  note: [
    'bench/native-peers.ts: each peer in its own process (bench/native_peers.py, run by KERAS_JIT_BENCH_PYTHON, default python3), keras-jit in this one, taking turns twice per model; each keeps its better round.',
    'Same layers, optimizer, loss and batch on every side, random data of the models\' shapes; epochs of 20 steps, two untimed, then the best epoch of those run in 2 s. Ratio: keras-jit samples/s over the peer\'s.',
    'PyTorch: manual loop with CrossEntropyLoss on logits (softmax folded into the loss), its default thread count. Keras 3/JAX: model.fit, one epoch per call. A peer whose framework does not import is reported as missing.',
    'The predict row is latency: one 1x784 sample per call (keras-jit predictOnBatch, PyTorch eval mode under torch.no_grad(), Keras 3/JAX a jitted stateless_call), samples/s = 1 / the best mean of 20 consecutive calls.',
    'To install the peers: see the README\'s Benchmarks section.',
  ].join('\n'),
  async run(facts) {
    const rows = await benchNativePeers(2, undefined, progress);
    facts.nativePeers = rows;
    const rate = (r: { samplesPerSecond: number } | { missing: string }) => ('samplesPerSecond' in r ? fmt(r.samplesPerSecond, 0) : r.missing);
    return {
      columns: ['model', 'task', 'batch', 'keras-jit samples/s', ...NATIVE_PEERS.flatMap((p) => [`${p} samples/s`, `keras-jit / ${p}`])],
      rows: rows.map((r) => [r.model, r.task, String(r.batch), rate(r.ours), ...NATIVE_PEERS.flatMap((p) => [rate(r.peers[p]), nativeRatio(r.ours, r.peers[p])])]),
    };
  },
};
const firstStepSection: Section = {
  id: 'first-step',
  title: 'Time to the first mnist_mlp training step, compile included (cold processes)',
  note: 'Each figure is the median of 3 fresh Node processes (bench/first-step-child.ts), interleaved; the clock starts after imports and data loading and covers building the model, compiling (keras-jit: the whole training step; jax-js: jit tracing and kernel compiles) and training: the first batch of 128, then the rest of a first epoch of 10 batches.',
  async run(facts) {
    const rows = await benchFirstStep();
    facts.firstStep = rows;
    const ours = rows.find((r) => r.trainer === 'keras-jit');
    return {
      columns: ['trainer', 'first step / keras-jit', 'first step ms', 'first epoch ms', 'epoch'],
      rows: rows.map((r) => [r.trainer, ours === undefined ? '-' : `${fmt(r.firstStepMs / ours.firstStepMs, 1)}x`, fmt(r.firstStepMs, 0), fmt(r.firstEpochMs, 0), `${r.steps} x ${r.batch}`]),
    };
  },
};

const profileSection: Section = {
  id: 'profile',
  title: 'Where the mnist_mlp training step spends its time (per-kernel profile, on the default tier or KERAS_JIT_BACKEND\'s)',
  note: 'The per-kernel profile KERAS_JIT_DEBUG=2 prints, over 60 steps of the step fit() compiled (batch 128), grouped by kernel kind: an optimizer update is a kernel writing a variable\'s new value (RMSprop), and a matmul + optimizer step a weight gradient\'s matmul applying its weight\'s update as its epilogue (a contraction, counted with the matmuls), a reduction one built around a sum or max (losses, bias gradients). Share: of the summed kernel time.',
  async run(facts) {
    const p = await benchProfile();
    facts.profile = p;
    return {
      columns: ['kernel kind', 'share of step', 'ms/step', 'kernels', 'slowest (its share)'],
      rows: [
        ...p.rows.map((r) => [r.kind, `${fmt(r.share * 100, 1)}%`, fmt(r.msPerStep, 3), fmt(r.kernels, 0), r.top]),
        ['elementwise + reduction + optimizer update', `${fmt(p.rows.filter((r) => NON_CONTRACTION.has(r.kind)).reduce((a, r) => a + r.share, 0) * 100, 1)}%`,
          fmt(p.rows.filter((r) => NON_CONTRACTION.has(r.kind)).reduce((a, r) => a + r.msPerStep, 0), 3), fmt(p.rows.filter((r) => NON_CONTRACTION.has(r.kind)).reduce((a, r) => a + r.kernels, 0), 0), ''],
        ['all kernels', '100%', fmt(p.kernelMsPerStep, 3), fmt(p.rows.reduce((a, r) => a + r.kernels, 0), 0), `step without profiling: ${fmt(p.stepMs, 3)} ms, ${p.tier} tier, ${p.threads} thread${p.threads === 1 ? '' : 's'}`],
      ],
    };
  },
};

const matmulSection: Section = {
  id: 'matmul',
  title: 'Matmul (generated JS kernel vs naive triple loop)',
  note: 'GFLOP/s = 2·M·K·N / time. The ratio is measured within one run and is the figure to compare across runs.',
  async run() {
    const rows = await benchMatmul();
    return {
      columns: ['kernel', 'ratio', 'GFLOP/s', 'naive GFLOP/s'],
      rows: rows.map((r) => [r.name, `${fmt(r.ratio, 1)}x`, fmt(r.gflops), fmt(r.naiveGflops)]),
    };
  },
};

const wasmMatmulSection: Section = {
  id: 'wasm-matmul',
  title: 'WebAssembly matmul kernels: relaxed FMA vs mul+add, beside the JS kernel (one thread)',
  note: 'The autotuned kernels alone, over one memory. GFLOP/s = 2·M·K·N / time; ratio: best wasm over JS.',
  async run() {
    const rows = await benchWasmMatmul(1);
    return {
      columns: ['kernel', 'ratio', 'FMA GFLOP/s', 'mul+add GFLOP/s', 'JS GFLOP/s', 'tiles (FMA, mul+add)'],
      rows: rows.map((r) => [r.name, `${fmt(r.ratio, 1)}x`, Number.isNaN(r.relaxedGflops) ? 'n/a' : fmt(r.relaxedGflops), fmt(r.mulAddGflops), fmt(r.jsGflops), `${r.relaxedTile}, ${r.mulAddTile}`]),
    };
  },
};

const elementwiseSection: Section = {
  id: 'elementwise',
  title: 'Fused elementwise chain (one generated kernel vs one naive loop per op)',
  note: 'Five ops on 65,536 float32 values. GB/s counts the fused kernel\'s one read and one write per element for both, so the ratio is the speed-up.',
  async run() {
    const rows = await benchElementwise();
    return {
      columns: ['chain', 'ratio', 'kernels', 'fused GB/s', 'naive GB/s'],
      rows: rows.map((r) => [r.name, `${fmt(r.ratio, 1)}x`, String(r.kernels), fmt(r.fusedGBs), fmt(r.naiveGBs)]),
    };
  },
};

const wasmConvSection: Section = {
  id: 'wasm-conv',
  title: 'Convolutions at mnist_cnn shapes (WebAssembly SIMD vs the matmul kernel and generated JS, one thread)',
  note: [
    'Batch 128, 3x3 filters, valid padding. GFLOP/s = 2·(output pixels)·KH·KW·C·F / time for each op, so Winograd\'s is an effective rate.',
    'kernel: what the cost model picks (Winograd F(2x2,3x3) for 3x3 stride-1 layers with 16+ channels in and out; for a first layer of few taps, matmuls reading the image in place (forward, filter gradient) and a direct kernel reading dy in place (input gradient); else im2col chunks into the matmul kernel).',
    'matmul: the matmul kernel at the im2col GEMM\'s K = 9·C and N = F over 256 rows (in cache, as a patch chunk is); MLP matmul: at 128x784x512. Interleaved in one run, twice, each keeping its better rate.',
  ].join('\n'),
  async run(facts) {
    const rows = await benchWasmConv(1);
    facts.wasmConv = rows;
    return {
      columns: ['kernel', 'vs matmul', 'vs MLP matmul', 'vs JS', 'GFLOP/s', 'im2col GFLOP/s', 'matmul GFLOP/s', 'MLP matmul GFLOP/s', 'JS GFLOP/s'],
      rows: rows.map((r) => [r.name, `${fmt(r.vsMatmul)}x`, `${fmt(r.wasmGflops / r.mlpGflops)}x`, `${fmt(r.ratio, 1)}x`, fmt(r.wasmGflops), fmt(r.im2colGflops), fmt(r.matmulGflops), fmt(r.mlpGflops), fmt(r.jsGflops)]),
    };
  },
};

const threadsSection: Section = {
  id: 'threads',
  title: 'WebAssembly matmul on 1 and 2 threads (worker pool over shared memory)',
  note: 'GFLOP/s = 2·M·K·N / time; column panels split between the calling thread and one worker. Needs two idle cores to show.',
  async run() {
    const rows = await benchThreads();
    return {
      columns: ['kernel', 'speed-up', '1 thread GFLOP/s', '2 threads GFLOP/s'],
      rows: rows.map((r) => [r.name, `${fmt(r.twoThreads / r.oneThread)}x`, fmt(r.oneThread), fmt(r.twoThreads)]),
    };
  },
};

const passesSection: Section = {
  id: 'passes',
  title: 'A memory-bound WebAssembly pass on 1 and 2 threads (where PARALLEL_MIN_BYTES comes from)',
  note: 'An RMSprop-like update (three float32 inputs, one output) over n elements; µs per call, best sample, interleaved. Needs two idle cores to show.',
  async run() {
    const rows = await benchPasses();
    return {
      columns: ['kernel', 'bytes', 'speed-up', '1 thread µs', '2 threads µs'],
      rows: rows.map((r) => [r.name, String(r.bytes), `${fmt(r.oneThreadUs / r.twoThreadsUs)}x`, fmt(r.oneThreadUs), fmt(r.twoThreadsUs)]),
    };
  },
};

const passCostSection: Section = {
  id: 'pass-cost',
  title: 'What an element of each costly op costs a SIMD pass, in bytes-equivalent (OpRule.passCost, which decides thread splits)',
  note: 'One thread, 64 Ki elements: (µs of the op\'s pass − µs of a pass scaling its input) × the scaling pass\'s bytes per µs, per element. The recorded figure should be near the measured one.',
  async run() {
    const rows = benchPassCosts();
    return {
      columns: ['op', 'recorded', 'measured', 'ns per element'],
      rows: rows.map((r) => [r.op, String(r.recorded), fmt(r.measured, 0), fmt(r.nsPerElement, 3)]),
    };
  },
};

const sharedMemorySection: Section = {
  id: 'shared-memory',
  title: 'JS kernels over a SharedArrayBuffer (the pool needs one) vs an ArrayBuffer',
  note: 'Runs per second over views of each kind of buffer; a ratio near 1 is why session memories are always shared.',
  async run() {
    const rows = benchSharedMemory();
    return {
      columns: ['work', 'shared / plain', 'plain runs/s', 'shared runs/s'],
      rows: rows.map((r) => [r.name, fmt(r.sharedHz / r.plainHz), fmt(r.plainHz, 0), fmt(r.sharedHz, 0)]),
    };
  },
};

const nativeTierSection: Section = {
  id: 'native-tier',
  title: 'Native tier (generated C, issue 14) beside the wasm tier: matmul GFLOP/s, training steps, PyTorch, compile latency',
  note: [
    'bench/native-tier.ts; empty where the machine has no C compiler. Matmuls: the fastest of 1 s of calls of each kernel over one shared memory, wasm on the worker pool\'s split, C on the addon\'s threads, in order then in reverse.',
    'Steps: trainOnBatch of two copies of the model in one process (batch 128), one per tier, taking turns for 60 steps each after the C kernels loaded; samples/s of the fastest and the median step.',
    'Epochs: bench/native-peers.ts\'s protocol (epochs of 20 steps, best of 2 s) on each tier and PyTorch in its own process, taking turns twice.',
    'Compile: cc -O3 -march=native of one kernel with its cache entry removed, then the cache check (SHA-256) and dlopen of the object it wrote.',
  ].join('\n'),
  async run() {
    const matmuls = await benchNativeMatmul();
    const steps = await benchNativeSteps();
    const epochs = await benchNativeTraining(2, progress);
    const compiles = benchNativeCompile();
    const rate = (r: { samplesPerSecond: number } | { missing: string }) => ('samplesPerSecond' in r ? fmt(r.samplesPerSecond, 0) : r.missing);
    return {
      columns: ['what', 'wasm', 'native', 'native / wasm', 'other'],
      rows: [
        ...matmuls.flatMap((r) => [
          [`${r.name} GFLOP/s, 1 thread`, fmt(r.wasm1, 1), fmt(r.native1, 1), `${fmt(r.native1 / r.wasm1)}x`, ''],
          [`${r.name} GFLOP/s, 2 threads`, fmt(r.wasm2, 1), fmt(r.native2, 1), `${fmt(r.native2 / r.wasm2)}x`, ''],
        ]),
        ...steps.map((r) => [`${r.model} step samples/s, best (median)`, `${fmt(r.wasm.best, 0)} (${fmt(r.wasm.median, 0)})`, `${fmt(r.native.best, 0)} (${fmt(r.native.median, 0)})`, `${fmt(r.native.best / r.wasm.best)}x (${fmt(r.native.median / r.wasm.median)}x)`, `kernels on the worker pool: ${fmt(r.nativePool.best, 0)} (${fmt(r.nativePool.median, 0)}), ${fmt(r.nativePool.best / r.wasm.best)}x (${fmt(r.nativePool.median / r.wasm.median)}x)`]),
        ...epochs.map((r) => [`${r.model} epoch samples/s`, rate(r.wasm), rate(r.native), '', `torch ${rate(r.torch)}`]),
        ...compiles.map((r) => [`${r.name} compile ms`, '', fmt(r.coldMs, 0), '', `cached load ${fmt(r.cachedMs)} ms`]),
      ],
    };
  },
};

export const SECTIONS: Section[] = [
  kernelsSection, trainingSection, nativePeersSection, sequencesSection, rnnCompileSection, firstStepSection, profileSection,
  matmulSection, wasmMatmulSection, elementwiseSection, wasmConvSection, threadsSection, passesSection, passCostSection, sharedMemorySection,
  nativeTierSection,
];

function chosenSections(args: readonly string[]): Section[] {
  const ids = args.filter((a) => !a.startsWith('--'));
  if (ids.length === 0) return SECTIONS;
  const unknown = ids.filter((id) => !SECTIONS.some((s) => s.id === id));
  if (unknown.length > 0) throw new Error(`bench: no section ${unknown.map((u) => `'${u}'`).join(', ')}; sections: ${SECTIONS.map((s) => s.id).join(', ')}`);
  return SECTIONS.filter((s) => ids.includes(s.id));
}

async function main(args: readonly string[]): Promise<void> {
  if (args.includes('--list')) {
    for (const s of SECTIONS) console.log(`${s.id.padEnd(14)} ${s.title}`);
    return;
  }
  const sections = chosenSections(args);
  const started = performance.now();
  // What else was running: the machine is shared, and a busy core halves a two-thread figure.
  const loadBefore = loadavg()[0];
  const facts: Facts = {};
  const details: string[] = [];
  for (const section of sections) {
    progress(`[bench] ${section.id}: ${section.title}`);
    const t = performance.now();
    const table = await section.run(facts);
    console.log(`\n${section.title}\n${plain(table)}`);
    progress(`[bench] ${section.id} took ${((performance.now() - t) / 1000).toFixed(0)} s`);
    details.push('', `## ${section.title}`, '', section.note, '', markdown(table));
  }
  const ratios = ratiosTable(facts), targets = targetsTable(facts);
  console.log(`\nRatios\n${plain(ratios)}\n\nTargets (issues 5, 10, 13)\n${plain(targets)}`);
  const seconds = (performance.now() - started) / 1000;
  console.log(`\n${sections.length} section${sections.length === 1 ? '' : 's'} in ${seconds.toFixed(0)} s`);
  if (sections.length !== SECTIONS.length) {
    console.log('RESULTS.md not rewritten: it holds one complete run (npm run bench with no section ids).');
    return;
  }
  const features = wasmFeatures();
  const parts = [
    '# Benchmark results',
    '',
    `Generated by \`npm run bench\` in ${seconds.toFixed(0)} s: Node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores,`,
    `keras-jit on ${threadCount()} thread${threadCount() === 1 ? '' : 's'} by default (WebAssembly SIMD ${features.simd ? 'yes' : 'no'}, relaxed SIMD ${features.relaxedSimd ? 'yes' : 'no'}), ${new Date().toISOString()};`,
    `load average ${loadBefore.toFixed(2)} when the run started and ${loadavg()[0].toFixed(2)} when it ended (the bench itself keeps one to two cores busy).`,
    'The machine is shared and noisy: absolute figures move between runs by tens of percent; the ratios, measured side by side',
    'in the same run, are steadier and come first.',
    '',
    '## Ratios',
    '',
    'keras-jit over each peer on the same work in the same run (time ratios: how many times longer the peer takes).',
    '',
    markdown(ratios),
    '',
    '## Targets (issues 5, 10, 13)',
    '',
    markdown(targets),
    ...details,
  ];
  const path = fileURLToPath(new URL('../../bench/RESULTS.md', import.meta.url));
  writeFileSync(path, `${parts.join('\n')}\n`);
  console.log(`wrote ${path}`);
}

await main(process.argv.slice(2));
// The worker pool's threads do not keep the process alive, but TensorFlow.js and jax-js may hold
// handles; the bench is done, so leave now rather than wait on them.
process.exit(0);
