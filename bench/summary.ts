/**
 * The head of bench/RESULTS.md: the ratios of the run (keras-jit over each peer, measured side
 * by side, which survive a noisy shared machine better than absolute figures) and the targets of
 * issues 5, 10 and 13 with the measured value and whether it is met. Both are derived from what the sections
 * measured; a target whose section did not run says so.
 */
import type { FirstStepRow } from './first-step.js';
import type { KernelRow } from './kernels.js';
import type { ModelId } from './models.js';
import { nativeRatio, NATIVE_PEERS, type NativeModel, type NativePeer, type NativeRow } from './native-peers.js';
import { NON_CONTRACTION, type KernelClass, type MlpProfile } from './profile.js';
import type { RnnCompileRow } from './rnn-compile.js';
import type { SequenceModelId } from './sequences-model.js';
import type { SequenceRow } from './sequences.js';
import type { Table } from './table.js';
import type { TrainingRow } from './training.js';
import type { WasmConvRow } from './wasm-conv.js';

/** What the sections measured, for the summary. */
export interface Facts {
  training?: readonly TrainingRow[];
  kernels?: readonly KernelRow[];
  firstStep?: readonly FirstStepRow[];
  profile?: MlpProfile;
  sequences?: readonly SequenceRow[];
  rnnCompile?: RnnCompileRow;
  nativePeers?: readonly NativeRow[];
  wasmConv?: readonly WasmConvRow[];
}

const x = (r: number) => `${r >= 10 ? r.toFixed(0) : r.toFixed(2)}x`;

/** samples/s of the first trainer of `model` whose label starts with `prefix`, or its error. */
function throughput(rows: readonly TrainingRow[], model: ModelId, prefix: string): { value?: number; error?: string; label?: string } {
  const row = rows.find((r) => r.trainer.model === model && r.trainer.label.startsWith(prefix));
  if (row === undefined) return {};
  return 'error' in row.result ? { error: row.result.error, label: row.trainer.label } : { value: row.result.samplesPerSecond, label: row.trainer.label };
}

function ratioCell(ours: number | undefined, theirs: { value?: number; error?: string }): string {
  if (theirs.error !== undefined) return `peer cannot run: ${theirs.error}`;
  if (ours === undefined || theirs.value === undefined) return 'not measured';
  return x(ours / theirs.value);
}

const MODEL_IDS: readonly ModelId[] = ['mnist_mlp', 'mnist_cnn', 'conv_autoencoder', 'two_input_embedding'];

export function ratiosTable(f: Facts): Table {
  const rows: string[][] = [];
  if (f.training !== undefined) {
    const t = f.training;
    for (const model of MODEL_IDS) {
      const ours = throughput(t, model, 'keras-jit, wasm tier');
      if (ours.value === undefined) {
        rows.push([`${model}: ${ours.label ?? 'keras-jit'}`, ours.error !== undefined ? `cannot run: ${ours.error}` : 'not measured', '']);
        continue;
      }
      for (const peer of ['jax-js', 'TF.js cpu', 'TF.js wasm'] as const) {
        const theirs = throughput(t, model, peer);
        if (theirs.value === undefined && theirs.error === undefined) continue;
        rows.push([`${model}: ${ours.label} / ${theirs.label ?? peer}`, ratioCell(ours.value, theirs), 'training samples/s']);
      }
      if (model === 'mnist_mlp') {
        const one = throughput(t, model, 'keras-jit, wasm tier, 1 thread');
        const js = throughput(t, model, 'keras-jit, JS tier');
        if (one.value !== undefined && js.value !== undefined) rows.push(['mnist_mlp: keras-jit wasm tier, 1 thread / JS tier', x(one.value / js.value), 'training samples/s']);
        if (one.value !== undefined && ours.value !== one.value && ours.label !== one.label) rows.push([`mnist_mlp: ${ours.label} / 1 thread`, x(ours.value / one.value), 'training samples/s']);
      }
    }
  }
  for (const model of new Set((f.sequences ?? []).map((r) => r.model))) {
    const of = (trainer: string) => f.sequences?.find((r) => r.model === model && r.trainer === trainer)?.result;
    const ours = of('keras-jit');
    if (ours === undefined || !('samplesPerSecond' in ours)) continue;
    for (const peer of ['Keras 3 / JAX', 'PyTorch', 'TF.js cpu']) {
      const theirs = of(peer);
      if (theirs === undefined) continue;
      const cell = 'error' in theirs ? `peer cannot run: ${theirs.error}`
        : 'atMostSamplesPerSecond' in theirs ? `> ${x(ours.samplesPerSecond / theirs.atMostSamplesPerSecond)} (peer's first step unfinished after ${theirs.stepSeconds.toFixed(0)} s)`
          : x(ours.samplesPerSecond / theirs.samplesPerSecond);
      rows.push([`${model}: keras-jit / ${peer}`, cell, 'training samples/s, own processes']);
    }
  }
  for (const r of f.nativePeers ?? []) {
    for (const p of NATIVE_PEERS) rows.push([`${r.model} ${r.task ?? 'train'} batch ${r.batch}: keras-jit / ${p}`, nativeRatio(r.ours, r.peers[p]), r.task === 'predict' ? 'single-sample predict calls/s' : 'training samples/s']);
  }
  if (f.kernels !== undefined) {
    const k = f.kernels.filter((r) => r.shape.endsWith('128x784x512'));
    const js = k.find((r) => r.tier === 'js'), one = k.find((r) => r.tier === 'wasm' && r.threads === 1), two = k.find((r) => r.tier === 'wasm' && r.threads === 2);
    if (js !== undefined && one !== undefined) rows.push(['matmul 128x784x512: wasm tier, 1 thread / JS tier', x(one.gflops / js.gflops), 'GFLOP/s']);
    if (one !== undefined && two !== undefined) rows.push(['matmul 128x784x512: wasm tier, 2 threads / 1 thread', x(two.gflops / one.gflops), 'GFLOP/s']);
  }
  if (f.firstStep !== undefined) {
    const ours = f.firstStep.find((r) => r.trainer === 'keras-jit'), jax = f.firstStep.find((r) => r.trainer === 'jax-js');
    if (ours !== undefined && jax !== undefined) {
      rows.push(['mnist_mlp first step, compile included: jax-js / keras-jit (time)', x(jax.firstStepMs / ours.firstStepMs), 'cold process']);
      rows.push([`mnist_mlp first epoch (${ours.steps} steps), compile included: jax-js / keras-jit (time)`, x(jax.firstEpochMs / ours.firstEpochMs), 'cold process']);
    }
  }
  return { columns: ['comparison', 'ratio', 'of'], rows };
}

/** Issue 13's ratios to the native peers, from the native-peers section. */
function nativeTargets(f: Facts, targets: Target[]): void {
  const wanted: readonly [NativeModel, number, NativePeer, number, 'train' | 'predict'][] = [
    ['mnist_cnn', 128, 'torch', 1.0, 'train'], ['mnist_cnn', 128, 'keras-jax', 1.5, 'train'],
    ['mnist_mlp', 128, 'torch', 1.2, 'train'], ['mnist_mlp', 32, 'torch', 1.0, 'train'],
    ['tabular_mlp', 32, 'torch', 10, 'train'], ['tabular_mlp', 32, 'keras-jax', 6, 'train'],
    ['mnist_mlp', 1, 'torch', 1.0, 'predict'],
  ];
  for (const [model, batch, peer, need, task] of wanted) {
    const label = `${model} ${task === 'train' ? 'training' : 'single-sample predict'}, batch ${batch}: >= ${need}x ${peer === 'torch' ? 'PyTorch' : 'Keras 3 / JAX'}`;
    const row = f.nativePeers?.find((r) => r.model === model && r.batch === batch && r.task === task);
    if (row === undefined) { targets.push({ target: label, measured: "not measured (section 'native-peers' did not run)", met: undefined }); continue; }
    const ours = row.ours, theirs = row.peers[peer];
    if ('missing' in ours || 'missing' in theirs) { targets.push({ target: label, measured: `cannot compare: ${'missing' in ours ? ours.missing : 'missing' in theirs ? theirs.missing : ''}`, met: undefined }); continue; }
    const r = ours.samplesPerSecond / theirs.samplesPerSecond;
    targets.push({ target: label, measured: `${x(r)} (${ours.samplesPerSecond.toFixed(0)} vs ${theirs.samplesPerSecond.toFixed(0)} samples/s)`, met: r >= need });
  }
}

/** Issue 10's ratios for the sequence models, from the sequences section; a peer stopped in its first step gives a bound. */
function sequenceTargets(f: Facts, targets: Target[]): void {
  const wanted: readonly [SequenceModelId, string, number][] = [
    ['imdb_lstm', 'TF.js cpu', 100], ['text_transformer', 'TF.js cpu', 100],
    ['imdb_lstm', 'PyTorch', 0.6], ['text_transformer', 'PyTorch', 0.7],
  ];
  for (const [model, peer, need] of wanted) {
    const label = `${model} training: >= ${need}x ${peer}`;
    const of = (trainer: string) => f.sequences?.find((r) => r.model === model && r.trainer === trainer)?.result;
    const ours = of('keras-jit'), theirs = of(peer);
    if (ours === undefined || theirs === undefined) { targets.push({ target: label, measured: "not measured (section 'sequences' did not run)", met: undefined }); continue; }
    if (!('samplesPerSecond' in ours) || 'error' in theirs) { targets.push({ target: label, measured: `cannot compare: ${'error' in ours ? ours.error : 'error' in theirs ? theirs.error : ''}`, met: undefined }); continue; }
    if ('atMostSamplesPerSecond' in theirs) {
      const r = ours.samplesPerSecond / theirs.atMostSamplesPerSecond;
      targets.push({ target: label, measured: `> ${x(r)} (${ours.samplesPerSecond.toFixed(1)} vs < ${theirs.atMostSamplesPerSecond.toFixed(3)} samples/s)`, met: r >= need ? true : undefined });
      continue;
    }
    const r = ours.samplesPerSecond / theirs.samplesPerSecond;
    targets.push({ target: label, measured: `${x(r)} (${ours.samplesPerSecond.toFixed(1)} vs ${theirs.samplesPerSecond.toFixed(1)} samples/s)`, met: r >= need });
  }
}

interface Target {
  readonly target: string;
  readonly measured: string;
  readonly met: boolean | undefined;
}

export function targetsTable(f: Facts): Table {
  const targets: Target[] = [];
  const notRun = (section: string) => `not measured (section '${section}' did not run)`;
  const vs = (model: ModelId, peer: string, need: number, label: string) => {
    if (f.training === undefined) return targets.push({ target: label, measured: notRun('training'), met: undefined });
    const ours = throughput(f.training, model, 'keras-jit, wasm tier'), theirs = throughput(f.training, model, peer);
    if (ours.value === undefined || theirs.value === undefined) {
      return targets.push({ target: label, measured: `cannot compare: ${ours.error ?? theirs.error ?? 'missing row'}`, met: false });
    }
    const r = ours.value / theirs.value;
    return targets.push({ target: label, measured: `${x(r)} (${ours.value.toFixed(1)} vs ${theirs.value.toFixed(1)} samples/s)`, met: r >= need });
  };
  vs('mnist_mlp', 'jax-js', 3, 'mnist_mlp training >= 3x jax-js');
  vs('mnist_mlp', 'TF.js cpu', 100, 'mnist_mlp training >= 100x TF.js cpu');
  vs('mnist_cnn', 'TF.js cpu', 30, 'mnist_cnn training >= 30x TF.js cpu');
  for (const [threads, need] of [[1, 40], [2, 75]] as const) {
    const label = `matmul 128x784x512 >= ${need} GFLOP/s on ${threads} thread${threads === 1 ? '' : 's'}`;
    const row = f.kernels?.find((r) => r.tier === 'wasm' && r.threads === threads && r.shape.endsWith('128x784x512'));
    if (f.kernels === undefined) targets.push({ target: label, measured: notRun('kernels'), met: undefined });
    else if (row === undefined) targets.push({ target: label, measured: 'not measured (fewer cores)', met: undefined });
    else targets.push({ target: label, measured: `${row.gflops.toFixed(1)} GFLOP/s`, met: row.gflops >= need });
  }
  const convLabel = 'wasm convolutions at mnist_cnn shapes, all three forms: >= 0.85x the matmul kernel';
  if (f.wasmConv === undefined) targets.push({ target: convLabel, measured: notRun('wasm-conv'), met: undefined });
  else {
    const worst = f.wasmConv.reduce((a, r) => (r.vsMatmul < a.vsMatmul ? r : a));
    targets.push({ target: convLabel, measured: `lowest ${x(worst.vsMatmul)} (${worst.name})`, met: worst.vsMatmul >= 0.85 });
  }
  nativeTargets(f, targets);
  sequenceTargets(f, targets);
  const rnnLabel = 'LSTM(128) x 200 steps, batch 32: training step compiles in <= 1 s cold';
  if (f.rnnCompile === undefined) targets.push({ target: rnnLabel, measured: notRun('rnn-compile'), met: undefined });
  else targets.push({ target: rnnLabel, measured: `${f.rnnCompile.compileMs.toFixed(0)} ms (median of ${f.rnnCompile.runs} cold processes)`, met: f.rnnCompile.compileMs <= 1000 });
  const profileLabel = 'mnist_mlp step: non-matmul kernels <= 8% of kernel time';
  if (f.profile === undefined) targets.push({ target: profileLabel, measured: notRun('profile'), met: undefined });
  else {
    const share = (kinds: (kind: string) => boolean) => (f.profile?.rows ?? []).filter((r) => kinds(r.kind)).reduce((a, r) => a + r.share, 0);
    const rest = share((k) => NON_CONTRACTION.has(k as KernelClass)), matmul = share((k) => k === 'matmul' || k === 'matmul + optimizer step');
    targets.push({ target: profileLabel, measured: `${(rest * 100).toFixed(1)}% of kernel time (matmuls ${(matmul * 100).toFixed(1)}%)`, met: rest <= 0.08 });
  }
  const first = f.firstStep?.find((r) => r.trainer === 'keras-jit');
  const firstLabel = 'first mnist_mlp training step, compile included, <= 150 ms';
  if (first === undefined) targets.push({ target: firstLabel, measured: notRun('first-step'), met: undefined });
  else targets.push({ target: firstLabel, measured: `${first.firstStepMs.toFixed(0)} ms (median of ${first.runs} cold processes)`, met: first.firstStepMs <= 150 });
  return {
    columns: ['target', 'measured', 'status'],
    rows: targets.map((t) => [t.target, t.measured, t.met === undefined ? '-' : t.met ? 'met' : 'NOT met']),
  };
}
