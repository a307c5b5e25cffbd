/**
 * `npm run bench`: runs each bench section, prints its table and writes bench/RESULTS.md.
 * A section is a title, a note and a function that measures and returns a table; add new ones
 * to SECTIONS.
 */
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { benchElementwise } from './elementwise.js';
import { benchMatmul } from './matmul.js';
import { benchWasmMatmul } from './wasm-matmul.js';
import { benchTraining } from './mlp.js';

export interface Table {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

export interface Section {
  readonly title: string;
  readonly note: string;
  run(): Promise<Table>;
}

const fmt = (x: number, digits = 2) => x.toFixed(digits);

const matmulSection: Section = {
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

const elementwiseSection: Section = {
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

const trainingSection: Section = {
  title: 'Training mnist_mlp (784-512-512-10, Dropout 0.2, RMSprop, batch 128) beside TensorFlow.js',
  note: 'Samples per second over epochs of the same 1,280 shipped MNIST digits, after an untimed warm-up epoch (compilation). Ratio: against TensorFlow.js cpu in the same run.',
  async run() {
    const rows = await benchTraining();
    return {
      columns: ['trainer', 'ratio vs TF.js cpu', 'samples/s'],
      rows: rows.map((r) => [r.name, `${fmt(r.ratio, 1)}x`, fmt(r.samplesPerSecond, 0)]),
    };
  },
};

export const SECTIONS: Section[] = [matmulSection, elementwiseSection, trainingSection];

function markdown(t: Table): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(t.columns), line(t.columns.map(() => '---')), ...t.rows.map(line)].join('\n');
}

function plain(t: Table): string {
  const widths = t.columns.map((c, i) => Math.max(c.length, ...t.rows.map((r) => r[i].length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
  return [line(t.columns), ...t.rows.map(line)].join('\n');
}

async function main(): Promise<void> {
  const parts = [
    '# Benchmark results',
    '',
    `Node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${new Date().toISOString()}.`,
    'The machine is shared and noisy: absolute GFLOP/s move between runs by tens of percent; ratios',
    'against the baseline measured in the same run are steadier and are listed first.',
  ];
  for (const section of SECTIONS) {
    const table = await section.run();
    console.log(`\n${section.title}\n${plain(table)}`);
    parts.push('', `## ${section.title}`, '', section.note, '', markdown(table));
  }
  const path = fileURLToPath(new URL('../../bench/RESULTS.md', import.meta.url));
  writeFileSync(path, `${parts.join('\n')}\n`);
  console.log(`\nwrote ${path}`);
}

await main();
