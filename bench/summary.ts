/**
 * The head of bench/RESULTS.md: the ratios of the run (keras-jit over each peer, measured side
 * by side, which survive a noisy shared machine better than absolute figures) and the targets of
 * issue 5 with the measured value and whether it is met. Both are derived from what the sections
 * measured; a target whose section did not run says so.
 */
import type { FirstStepRow } from './first-step.js';
import type { KernelRow } from './kernels.js';
import type { ModelId } from './models.js';
import { nativeRatio, NATIVE_PEERS, type NativeRow } from './native-peers.js';
import { NON_CONTRACTION, type KernelClass, type MlpProfile } from './profile.js';
import type { SequenceRow } from './sequences.js';
import type { Table } from './table.js';
import type { TrainingRow } from './training.js';

/** What the sections measured, for the summary. */
export interface Facts {
  training?: readonly TrainingRow[];
  kernels?: readonly KernelRow[];
  firstStep?: readonly FirstStepRow[];
  profile?: MlpProfile;
  sequences?: readonly SequenceRow[];
  nativePeers?: readonly NativeRow[];
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
    if (ours === undefined || 'error' in ours) continue;
    for (const peer of ['Keras 3 / JAX', 'PyTorch', 'TF.js cpu']) {
      const theirs = of(peer);
      if (theirs === undefined) continue;
      rows.push([`${model}: keras-jit / ${peer}`, 'error' in theirs ? `peer cannot run: ${theirs.error}` : x(ours.samplesPerSecond / theirs.samplesPerSecond), 'training samples/s, own processes']);
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
  vs('mnist_mlp', 'jax-js', 2, 'mnist_mlp training >= 2x jax-js');
  vs('mnist_mlp', 'TF.js cpu', 60, 'mnist_mlp training >= 60x TF.js cpu');
  vs('mnist_cnn', 'TF.js cpu', 30, 'mnist_cnn training >= 30x TF.js cpu');
  for (const [threads, need] of [[1, 40], [2, 75]] as const) {
    const label = `matmul 128x784x512 >= ${need} GFLOP/s on ${threads} thread${threads === 1 ? '' : 's'}`;
    const row = f.kernels?.find((r) => r.tier === 'wasm' && r.threads === threads && r.shape.endsWith('128x784x512'));
    if (f.kernels === undefined) targets.push({ target: label, measured: notRun('kernels'), met: undefined });
    else if (row === undefined) targets.push({ target: label, measured: 'not measured (fewer cores)', met: undefined });
    else targets.push({ target: label, measured: `${row.gflops.toFixed(1)} GFLOP/s`, met: row.gflops >= need });
  }
  const profileLabel = 'elementwise, reduction and optimizer kernels not the bottleneck of the mnist_mlp step (their share below the matmuls\')';
  if (f.profile === undefined) targets.push({ target: profileLabel, measured: notRun('profile'), met: undefined });
  else {
    const share = (kinds: (kind: string) => boolean) => (f.profile?.rows ?? []).filter((r) => kinds(r.kind)).reduce((a, r) => a + r.share, 0);
    const rest = share((k) => NON_CONTRACTION.has(k as KernelClass)), matmul = share((k) => k === 'matmul');
    targets.push({ target: profileLabel, measured: `${(rest * 100).toFixed(1)}% of kernel time (matmuls ${(matmul * 100).toFixed(1)}%)`, met: rest < matmul });
  }
  const first = f.firstStep?.find((r) => r.trainer === 'keras-jit');
  if (first === undefined) targets.push({ target: 'first mnist_mlp training step, compile included, <= 300 ms', measured: notRun('first-step'), met: undefined });
  else targets.push({ target: 'first mnist_mlp training step, compile included, <= 300 ms', measured: `${first.firstStepMs.toFixed(0)} ms (median of ${first.runs} cold processes)`, met: first.firstStepMs <= 300 });
  return {
    columns: ['target', 'measured', 'status'],
    rows: targets.map((t) => [t.target, t.measured, t.met === undefined ? '-' : t.met ? 'met' : 'NOT met']),
  };
}
