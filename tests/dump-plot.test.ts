/**
 * The picture of a compiled program (utils.plotProgram, dump format 'dot') and the
 * keras-jit-dump command line.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { utils } from '../src/index.js';
import { smallModel } from './support/dump-model.js';

const dir = mkdtempSync(join(tmpdir(), 'keras-jit-dump-'));
const CLI = fileURLToPath(new URL('../src/cli/keras-jit-dump.js', import.meta.url));
const INDEX = new URL('../src/index.js', import.meta.url).href;

test('fused DOT: one cluster per kernel, labelled with its name; edges carry types', () => {
  const model = smallModel();
  const text = model.dump({ stage: 'fused', batchSize: 4 });
  const kernels = [...text.matchAll(/^kernel (\d+) (\w+) /gm)].map((m) => `kernel ${m[1]}: ${m[2]}`);
  const dot = model.dump({ stage: 'fused', format: 'dot', batchSize: 4 });
  const clusters = [...dot.matchAll(/subgraph "cluster_\d+" \{\n {4}label="([^"]+)"/g)].map((m) => m[1]);
  assert.equal(clusters, kernels);
  assert.match(dot, / -> "[a-z]+(@\d+)?" \[label="f32\[4,3\]", style=bold\];/);
  assert.match(dot, /\[style=dashed, label="update", constraint=false\]/);
});

/** The message a promise rejects with (uvu has no assert.rejects). */
async function failure(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
  throw new Error('expected a rejection');
}

test('plotProgram writes .dot, .svg and .png, and rejects other extensions and the code stage', async () => {
  const model = smallModel();
  await utils.plotProgram(model, { batchSize: 4, toFile: join(dir, 'p.dot') });
  assert.fixture(readFileSync(join(dir, 'p.dot'), 'utf8'), model.dump({ stage: 'fused', format: 'dot', batchSize: 4 }));
  await utils.plotProgram(model, { graph: 'predict', batchSize: 2, toFile: join(dir, 'sub', 'p.svg') });
  const svg = readFileSync(join(dir, 'sub', 'p.svg'), 'utf8');
  assert.match(svg, /<svg/);
  assert.match(svg, /kernel 0: (matmul_2x3x4_(add_maximum|\d+x\d+_bias_relu)|gemv_2x3x4_bias_relu)/);
  await utils.plotProgram(model, { graph: 'predict', stage: 'optimized', batchSize: 2, toFile: join(dir, 'p.png'), dpi: 48 });
  assert.equal([...readFileSync(join(dir, 'p.png')).subarray(1, 4)], [...Buffer.from('PNG')]);
  assert.match(await failure(utils.plotProgram(model, { toFile: join(dir, 'p.txt') })), /unsupported extension "\.txt"/);
  assert.match(await failure(utils.plotProgram(model, { stage: 'code' as 'fused', toFile: join(dir, 'c.svg') })), /stage 'code' is text/);
});

function cli(...args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, KERAS_JIT_DEBUG: '0' } });
}

test('keras-jit-dump prints a module\'s model: a default export, or a named function returning one', () => {
  const file = join(dir, 'model.mjs');
  writeFileSync(file, `
import { Input, Model, layers } from ${JSON.stringify(INDEX)};
export function build() {
  const x = Input({ shape: [3], name: 'features' });
  const y = new layers.Dense(2, { activation: 'softmax', name: 'probs' })(x);
  const model = new Model({ inputs: x, outputs: y });
  model.compile({ optimizer: 'sgd', loss: 'categorical_crossentropy' });
  return model;
}
const plain = build();
plain.compiled = undefined; // an uncompiled model: the CLI falls back to the predict graph
export default plain;
`);
  const fused = cli(file, '--export', 'build', '--batch-size', '2');
  assert.is(fused.status, 0, fused.stderr);
  assert.match(fused.stdout, /^program train: batch 2, \d+ kernels, arena \d+ bytes\n/);
  const ir = cli(file, '--stage', 'ir', '--batch-size', '3');
  assert.is(ir.status, 0, ir.stderr);
  assert.match(ir.stdout, /^inputs:\n {2}a:f32\[3,3\] "x:features"\n/);
  assert.not.match(ir.stdout, /"y:probs"/, 'the uncompiled default export dumps its predict graph');
  const dot = cli(file, '--export', 'build', '--format', 'dot');
  assert.match(dot.stdout, /^digraph "program" \{/);
  const missing = cli(file, '--export', 'nope');
  assert.is(missing.status, 1);
  assert.match(missing.stderr, /^keras-jit-dump: .*model\.mjs has no export named 'nope'; exports: build, default\n$/);
  const bad = cli(file, '--export', 'build', '--stage', 'fusion');
  assert.is(bad.status, 1);
  assert.match(bad.stderr, /stage must be one of/);
  const usage = cli();
  assert.is(usage.status, 2);
  assert.match(usage.stderr, /^usage: keras-jit-dump <module>/);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
