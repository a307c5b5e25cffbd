/**
 * Issue 10's compile target: the training step of LSTM(128) over 200 steps at batch 32 compiles in
 * at most 1 s cold. Each run is a fresh process (rnn-compile-child.ts) with KERAS_JIT_DEBUG=1, whose
 * compile report gives the training program's compile time; several runs, the median kept.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { RnnColdStart } from './rnn-compile-child.js';
import { median } from './measure.js';

const run = promisify(execFile);

/** The model of the target; its own module, since importing the child would run it. */
export const RNN_COMPILE = { steps: 200, features: 32, units: 128, batch: 32 } as const;

export interface RnnCompileRow {
  readonly compileMs: number;
  readonly firstStepMs: number;
  readonly kernels: number;
  readonly runs: number;
}

interface Once extends RnnColdStart { readonly compileMs: number; readonly kernels: number }

async function once(): Promise<Once> {
  const script = fileURLToPath(new URL('./rnn-compile-child.js', import.meta.url));
  const env = { ...process.env, KERAS_JIT_DEBUG: '1' };
  const { stdout, stderr } = await run(process.execPath, [script], { env, timeout: 120_000, maxBuffer: 1 << 24 });
  const report = /^\[keras-jit\] compiled train batch 32 .*: (\d+) kernels, arena \d+ bytes .*, ([\d.]+) ms$/m.exec(stderr);
  if (report === null) throw new Error(`rnn-compile: no compile report of the training program in the child's output:\n${stderr.slice(0, 400)}`);
  const cold = JSON.parse(stdout.trim().split('\n').pop() ?? '') as RnnColdStart;
  return { ...cold, kernels: Number(report[1]), compileMs: Number(report[2]) };
}

export async function benchRnnCompile(runs = 3): Promise<RnnCompileRow> {
  const all: Once[] = [];
  for (let r = 0; r < runs; r++) all.push(await once());
  return {
    compileMs: median(all.map((o) => o.compileMs)), firstStepMs: median(all.map((o) => o.firstStepMs)),
    kernels: all[0].kernels, runs,
  };
}
