/**
 * `.weights.h5` of a compiled model carries its optimizer state, as Keras's save_weights writes it
 * and load_weights restores it (tests/fixtures/keras_optimizer_weights.py: Adam trained 3 steps in
 * Keras 3). Loading restores iterations and slots, so the next step is Keras's next step; an
 * unbuilt optimizer skips the state with Keras's warning; a failed load changes nothing.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Sequential, backend, callbacks, layers, optimizers, tensor, type Tensor } from '../src/index.js';
import { dataset, describeTree, groupAt, readHdf5, writeHdf5, type H5Group } from '../src/api/saving/hdf5/index.js';
import { getSession } from '../src/api/backend.js';
import { loadWeightsFromBytes, weightsToBytes } from '../src/api/saving/weights/index.js';

interface Fixture {
  readonly init: number[][]; readonly x: number[][]; readonly y: number[][]; readonly steps: number;
  readonly saved_weights: unknown[]; readonly optimizer_vars: unknown[]; readonly next_weights: unknown[];
  readonly unbuilt_load_warning: string[]; readonly unbuilt_iterations_after_load: number;
}
const dir = new URL('../../tests/fixtures/keras3/optimizer_weights/', import.meta.url);
const file = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(name, dir)));
const fx = JSON.parse(readFileSync(new URL('trained.json', dir), 'utf8')) as Fixture;
const flat = (a: unknown): number[] => (Array.isArray(a) ? (a as unknown[]).flat(Infinity) as number[] : [a as number]);
const f32 = (a: unknown): number[] => Array.from(Float32Array.from(flat(a)));
const x = (): Tensor => tensor(flat(fx.x), [5, 4]);
const y = (): Tensor => tensor(flat(fx.y), [5, 2]);

function model(): Sequential {
  const m = new Sequential([new layers.Dense(3, { inputShape: [4], activation: 'relu' }), new layers.Dense(2)]);
  m.setWeights(fx.init.map((w, i) => tensor(flat(w), m.weights[i].shape)));
  m.compile({ optimizer: new optimizers.Adam({ learningRate: 0.01 }), loss: 'mse' });
  return m;
}

const weightsOf = (m: Sequential): number[][] => m.getWeights().map((t) => Array.from(t.data));
function optimizerValues(m: Sequential): number[][] {
  const session = getSession();
  return m.compiled!.optimizer.stateVariables(session, m.trainableVariables()).map((v) => Array.from(session.read(v)));
}

/** A model whose optimizer is built (Keras's load only restores into a built one), by one step on other data. */
async function builtModel(): Promise<Sequential> {
  const m = model();
  await m.trainOnBatch(tensor(new Array(20).fill(0.5), [5, 4]), tensor(new Array(10).fill(-1), [5, 2]));
  return m;
}

function maxRelDiff(a: readonly number[], b: readonly number[]): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return worst;
}

test("Keras's file restores weights, iterations and Adam slots exactly; the next step is Keras's", async () => {
  backend.clearSession();
  const m = await builtModel();
  assert.is(m.compiled!.optimizer.iterations, 1);
  await loadWeightsFromBytes(m, file('trained.weights.h5'), { fileName: 'trained.weights.h5' });
  assert.equal(weightsOf(m), fx.saved_weights.map(f32));
  assert.is(m.compiled!.optimizer.iterations, fx.steps);
  assert.equal(optimizerValues(m), fx.optimizer_vars.map(f32));
  await m.trainOnBatch(x(), y());
  const diff = maxRelDiff(weightsOf(m).flat(), fx.next_weights.map(f32).flat());
  assert.ok(diff <= 1e-6, `next step differs from Keras's by ${diff}`);
});

test("saveWeights of a compiled model writes Keras's tree (layers, optimizer/vars), trained or not", async () => {
  for (const name of ['unbuilt', 'trained']) {
    backend.clearSession();
    const m = model();
    if (name === 'trained') for (let i = 0; i < fx.steps; i++) await m.trainOnBatch(x(), y());
    const ours = await readHdf5(await weightsToBytes(m), 'ours');
    const theirs = await readHdf5(file(`${name}.weights.h5`), name);
    assert.equal(describeTree(ours), describeTree(theirs), name);
    const nameAttr = (root: H5Group) => groupAt(root, 'optimizer/vars')!.attrs.get('name');
    assert.equal(nameAttr(ours), nameAttr(theirs), `${name}: optimizer/vars name attribute`);
    if (name === 'unbuilt') assert.not.ok(m.compiled!.optimizer.built, 'saving does not build the optimizer');
  }
});

test('save, load into another compiled model, one step: bit for bit the uninterrupted run', async () => {
  backend.clearSession();
  const a = model();
  for (let i = 0; i < fx.steps; i++) await a.trainOnBatch(x(), y());
  const bytes = await weightsToBytes(a);
  await a.trainOnBatch(x(), y());
  const b = await builtModel();
  await loadWeightsFromBytes(b, bytes);
  assert.is(b.compiled!.optimizer.iterations, fx.steps);
  await b.trainOnBatch(x(), y());
  assert.equal(weightsOf(b), weightsOf(a));
  assert.equal(optimizerValues(b), optimizerValues(a));
});

test("an unbuilt optimizer skips the saved state with Keras's warning; the layer weights load", async () => {
  backend.clearSession();
  const m = model();
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (msg: string) => warnings.push(msg);
  try {
    await loadWeightsFromBytes(m, file('trained.weights.h5'));
  } finally {
    console.warn = warn;
  }
  assert.equal(warnings, fx.unbuilt_load_warning);
  assert.equal(weightsOf(m), fx.saved_weights.map(f32));
  assert.is(m.compiled!.optimizer.iterations, fx.unbuilt_iterations_after_load);
  // And the other way round: a built optimizer (6 variables) and a file from an unbuilt one (2).
  const b = await builtModel();
  const seen: string[] = [];
  console.warn = (msg: string) => seen.push(msg);
  try {
    await loadWeightsFromBytes(b, file('unbuilt.weights.h5'));
  } finally {
    console.warn = warn;
  }
  assert.equal(seen, ["Skipping variable loading for optimizer 'adam', because it has 10 variables whereas the saved optimizer has 2 variables. "]);
  assert.is(b.compiled!.optimizer.iterations, 1);
  assert.equal(weightsOf(b), fx.init.map(f32));
});

test('an unbuilt optimizer and a file from an unbuilt one: iterations and learning rate load', async () => {
  backend.clearSession();
  const root = await readHdf5(file('unbuilt.weights.h5'), 'unbuilt');
  const vars = groupAt(root, 'optimizer/vars')!;
  vars.children.set('1', dataset({ dtype: 'float32', shape: [], data: Float32Array.of(0.25) }));
  const m = model();
  await loadWeightsFromBytes(m, await writeHdf5(root));
  assert.is(m.compiled!.optimizer.learningRate, 0.25);
});

/** A copy of Keras's trained file with one dataset replaced by a wrong-shaped one. */
async function damaged(path: string, shape: number[]): Promise<Uint8Array> {
  const root = await readHdf5(file('trained.weights.h5'), 'trained');
  const [group, index] = [path.slice(0, path.lastIndexOf('/')), path.slice(path.lastIndexOf('/') + 1)];
  groupAt(root, group)!.children.set(index, dataset({ dtype: 'float32', shape, data: new Float32Array(shape.reduce((p, d) => p * d, 1)) }));
  return writeHdf5(root);
}

for (const [path, shape] of [['layers/dense_1/vars/1', [3]], ['optimizer/vars/2', [3, 4]]] as const) {
  test(`a wrong shape at ${path} changes neither weights nor optimizer state`, async () => {
    backend.clearSession();
    const m = await builtModel();
    const [weights, state] = [weightsOf(m), optimizerValues(m)];
    const bytes = await damaged(path, [...shape]);
    try {
      await loadWeightsFromBytes(m, bytes, { fileName: 'damaged.weights.h5' });
      assert.unreachable('the load must fail');
    } catch (e) {
      assert.instance(e, Error);
      assert.match((e as Error).message, path.startsWith('optimizer') ? 'optimizer/vars/2' : 'dense_1');
      assert.match((e as Error).message, 'no weight was changed');
    }
    assert.equal(weightsOf(m), weights);
    assert.equal(optimizerValues(m), state);
  });
}

test('ModelCheckpoint({ saveWeightsOnly: true }) files carry the optimizer state; resuming from one is the uninterrupted run', async () => {
  backend.clearSession();
  const dir = mkdtempSync(join(tmpdir(), 'wopt-'));
  try {
    const a = model();
    const path = join(dir, 'last.weights.h5');
    await a.fit(x(), y(), { epochs: fx.steps, batchSize: 5, shuffle: false, verbose: 0, callbacks: [new callbacks.ModelCheckpoint(path, { saveWeightsOnly: true })] });
    await a.trainOnBatch(x(), y());
    const b = await builtModel();
    await b.loadWeights(path);
    assert.is(b.compiled!.optimizer.iterations, fx.steps);
    await b.trainOnBatch(x(), y());
    assert.equal(weightsOf(b), weightsOf(a));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
