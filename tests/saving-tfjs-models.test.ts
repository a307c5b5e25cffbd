/**
 * Whole models in the TF.js layers format against TensorFlow.js 4.22: models TF.js saves load here and
 * predict as TF.js predicts (through tf.io.fromMemory-style handlers and real file:// directories);
 * what we save, tf.loadLayersModel loads and predicts as we do; sharded, quantized and converter-style
 * files load; compiled files come back compiled; bad files fail with the file named and harm nothing.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdtemp, readdir, readFile, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Input, layers, loadLayersModel, Model, models, optimizers, saving, Sequential, tensor, type Tensor } from '../src/index.js';
import type { Model as ModelType } from '../src/api/models/model.js';
import { buildTfjsModels, inputsFor, saveTfjs, type SavedTfjs } from './support/tfjs-artifacts.js';

await tf.setBackend('cpu');
const tfModels = buildTfjsModels();
const root = await mkdtemp(join(tmpdir(), 'keras-jit-tfjs-models-'));
/** The largest |ours - TF.js| over every prediction compared, reported at the end. */
let largest = 0;

const ours = (t: tf.Tensor): Tensor => tensor(t.dtype === 'int32' ? Int32Array.from(t.dataSync()) : Float32Array.from(t.dataSync()), t.shape, t.dtype === 'int32' ? 'int32' : 'float32');
const predictOurs = (m: ModelType, xs: tf.Tensor[]): Float32Array => {
  const y = m.predict(xs.length === 1 ? ours(xs[0]) : xs.map(ours), { verbose: 0 }) as Tensor;
  return Float32Array.from(y.data as ArrayLike<number>);
};
const predictTf = (m: tf.LayersModel, xs: tf.Tensor[]): Float32Array => Float32Array.from((m.predict(xs.length === 1 ? xs[0] : xs) as tf.Tensor).dataSync());

/** Float32 predictions of two implementations: close to rounding (relative 1e-5 of the output scale). */
function close(got: Float32Array, want: Float32Array, what: string): void {
  assert.is(got.length, want.length, `${what}: length`);
  const scale = Math.max(1, ...Array.from(want, Math.abs));
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
  largest = Math.max(largest, worst);
  if (!(worst <= 1e-5 * scale)) assert.unreachable(`${what}: predictions differ by up to ${worst} (scale ${scale})`);
}

const fromSaved = (s: SavedTfjs) => tf.io.fromMemory({ modelTopology: s.modelJson.modelTopology as object, weightSpecs: s.weightSpecs, weightData: s.weightData.slice().buffer });

async function writeDir(name: string, modelJson: unknown, files: Record<string, Uint8Array>): Promise<string> {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'model.json'), JSON.stringify(modelJson));
  for (const [f, data] of Object.entries(files)) await writeFile(join(dir, f), data);
  return dir;
}

async function rejects(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  try { await p; } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (!pattern.test(msg)) assert.unreachable(`error "${msg}" does not match ${pattern}`);
    return;
  }
  assert.unreachable(`expected an error matching ${pattern}`);
}

/** TF.js loads what we write (bytes from the directory we saved to) and predicts as we do. */
async function tfjsLoadsDir(dir: string): Promise<tf.LayersModel> {
  assert.equal((await readdir(dir)).sort(), ['model.json', 'weights.bin']);
  const mj = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
  const bytes = new Uint8Array(await readFile(join(dir, 'weights.bin')));
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: mj.modelTopology, weightSpecs: mj.weightsManifest[0].weights, weightData: bytes.buffer, trainingConfig: mj.trainingConfig }));
}

for (const [name, tfModel] of Object.entries(tfModels)) {
  test(`${name}: saved by TF.js, loads (IOHandler and file://) and predicts as TF.js`, async () => {
    const saved = await saveTfjs(tfModel);
    const xs = inputsFor(name);
    const want = predictTf(tfModel, xs);
    const viaHandler = await loadLayersModel(fromSaved(saved));
    assert.equal(viaHandler.layers.filter((l) => l.weights.length > 0).map((l) => l.name), tfModel.layers.filter((l) => l.weights.length > 0).map((l) => l.name));
    close(predictOurs(viaHandler, xs), want, `${name} via IOHandler`);
    const dir = await writeDir(`tfjs-${name}`, saved.modelJson, { 'weights.bin': saved.weightData });
    for (const p of [`file://${dir}`, dir, join(dir, 'model.json')]) close(predictOurs(await saving.loadTfjsModel(p), xs), want, `${name} from ${p}`);
  });

  test(`${name}: loaded here, saved with saveTfjsModel('file://...'), TF.js loads it and predicts as we do`, async () => {
    const saved = await saveTfjs(tfModel);
    const model = await loadLayersModel(fromSaved(saved));
    const dir = join(root, `ours-${name}`);
    await saving.saveTfjsModel(model, `file://${dir}`);
    const back = await tfjsLoadsDir(dir);
    const xs = inputsFor(name);
    close(predictTf(back, xs), predictOurs(model, xs), `${name}: TF.js on our file`);
    // And the in-memory form is the same bytes, and loads back (model.json as object or as text).
    const { modelJson, weightData } = saving.tfjsArtifactsOf(model);
    assert.equal(weightData, new Uint8Array(await readFile(join(dir, 'weights.bin'))));
    assert.equal(modelJson, JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')));
    const read = (p: string) => { assert.is(p, 'weights.bin'); return weightData; };
    close(predictOurs(await saving.loadTfjsArtifacts(modelJson, read), xs), predictOurs(model, xs), `${name}: in-memory round trip`);
    close(predictOurs(await saving.loadTfjsArtifacts(JSON.stringify(modelJson), read), xs), predictOurs(model, xs), `${name}: in-memory round trip from text`);
    await rejects(saving.loadTfjsArtifacts('{"modelTopology": ', read, { file: 'upload.json' }), /upload\.json: not valid JSON/);
  });
}


/** More TF.js layer kinds, each: TF.js saves, we load and predict the same, TF.js loads what we write. */
const L = tf.layers;
const zoo: Record<string, () => [tf.Sequential, number[]]> = {
  simple_rnn: () => seqOf([5, 3], L.simpleRNN({ units: 4, inputShape: [5, 3], returnSequences: true }), L.simpleRNN({ units: 2 })),
  time_distributed: () => seqOf([4, 3], L.timeDistributed({ layer: L.dense({ units: 2 }), inputShape: [4, 3] })),
  conv1d_gap: () => seqOf([8, 3], L.conv1d({ filters: 4, kernelSize: 3, inputShape: [8, 3], activation: 'elu' }), L.globalAveragePooling1d()),
  depthwise: () => seqOf([6, 6, 2], L.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, inputShape: [6, 6, 2], biasInitializer: 'randomNormal' }), L.flatten()),
  separable: () => seqOf([6, 6, 2], L.separableConv2d({ filters: 3, kernelSize: 3, inputShape: [6, 6, 2] }), L.averagePooling2d({ poolSize: 2 }), L.flatten()),
  layer_norm_leaky: () => seqOf([5], L.dense({ units: 4, inputShape: [5] }), L.layerNormalization({ betaInitializer: 'randomNormal' }), L.leakyReLU({ alpha: 0.1 })),
  prelu: () => seqOf([5], L.dense({ units: 4, inputShape: [5] }), L.prelu({ alphaInitializer: 'randomUniform' })),
  padding: () => seqOf([4, 4, 1], L.zeroPadding2d({ padding: 1, inputShape: [4, 4, 1] }), L.upSampling2d({ size: [2, 2] }), L.cropping2D({ cropping: 1 }), L.flatten()),
  repeat_permute: () => seqOf([3], L.repeatVector({ n: 2, inputShape: [3] }), L.permute({ dims: [2, 1] }), L.reshape({ targetShape: [6] }), L.dropout({ rate: 0.3 }), L.activation({ activation: 'softplus' })),
  selu_elu_softmax: () => seqOf([4], L.dense({ units: 4, inputShape: [4], activation: 'selu' }), L.elu(), L.softmax()),
  lstm_sequences: () => seqOf([4, 2], L.lstm({ units: 3, inputShape: [4, 2], returnSequences: true, unitForgetBias: true }), L.globalMaxPooling1d()),
  conv2d_transpose: () => seqOf([4, 4, 2], L.conv2dTranspose({ filters: 2, kernelSize: 3, strides: 2, padding: 'same', inputShape: [4, 4, 2] }), L.flatten()),
};
function seqOf(shape: number[], ...ls: tf.layers.Layer[]): [tf.Sequential, number[]] {
  const m = tf.sequential();
  for (const l of ls) m.add(l);
  return [m, shape];
}

for (const [name, make] of Object.entries(zoo)) {
  test(`layer kinds: ${name} from TF.js loads and predicts the same, and TF.js loads it back`, async () => {
    const [m, shape] = make();
    const xs = [tf.randomNormal([2, ...shape], 0, 1, 'float32', 3)];
    const loaded = await loadLayersModel(fromSaved(await saveTfjs(m)));
    const got = predictOurs(loaded, xs);
    close(got, predictTf(m, xs), name);
    const { modelJson, weightData } = saving.tfjsArtifactsOf(loaded);
    const manifest = modelJson.weightsManifest as unknown as Array<{ weights: tf.io.WeightsManifestEntry[] }>;
    const back = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: modelJson.modelTopology as object, weightSpecs: manifest[0].weights, weightData: weightData.slice().buffer }));
    close(predictTf(back, xs), got, `${name} back in TF.js`);
  });
}

test('TF.js LSTM/GRU use the Keras 2 hard_sigmoid: loaded recurrent activation is clip(0.2x + 0.5, 0, 1)', async () => {
  const m = tf.sequential();
  m.add(tf.layers.gru({ units: 3, inputShape: [4, 2], recurrentActivation: 'hardSigmoid' }));
  // Fixed weights large enough that the gates reach the clipped part of hard_sigmoid.
  m.setWeights(m.getWeights().map((w, k) => tf.tensor(Array.from({ length: w.size }, (_, i) => 3 * Math.sin(1.7 * i + k)), w.shape)));
  const x = tf.randomNormal([2, 4, 2], 0, 3, 'float32', 7);
  const loaded = await loadLayersModel(fromSaved(await saveTfjs(m)));
  close(predictOurs(loaded, [x]), predictTf(m, [x]), 'hard_sigmoid gru');
  const cfg = JSON.parse(loaded.toJSON()).config.layers[1].config;
  // Written by name or in Keras 3's registered-function form, depending on the config serializer.
  const act = cfg.recurrent_activation as string | { config: string };
  assert.is(typeof act === 'string' ? act : act.config, 'keras_jit>keras2_hard_sigmoid');
  // The inputs reach the clipped region, so Keras 3's hard_sigmoid (x/6 + 1/2) would predict otherwise.
  // With Keras 3's hard_sigmoid (x/6 + 1/2) in its place the predictions differ: the check can fail.
  const keras3 = models.modelFromJSON(loaded.toJSON().replace('keras_jit>keras2_hard_sigmoid', 'hard_sigmoid'));
  keras3.setWeights(loaded.getWeights());
  const off = predictOurs(keras3, [x]), want = predictTf(m, [x]);
  assert.ok(Math.max(...Array.from(want, (v, i) => Math.abs(v - off[i]))) > 1e-2, 'Keras 3 hard_sigmoid predicts differently');
});

test('a model built in keras-jit (Keras 3 defaults) saves to file:// and TF.js predicts the same', async () => {
  const a = Input({ shape: [3], name: 'a' });
  const b = Input({ shape: [4], name: 'b' });
  const h = new layers.Dense(5, { activation: 'tanh', name: 'h' }).apply(a);
  const c = new layers.Concatenate({ name: 'cat' }).apply([h, b]);
  const bn = new layers.BatchNormalization({ name: 'bn' }).apply(c);
  const out = new layers.Dense(2, { activation: 'softmax', name: 'out' }).apply(bn);
  const model = new Model({ inputs: [a, b], outputs: out, name: 'two_in' });
  // Moving statistics that are not the initial 0 / 1, so their order in the file matters.
  const bnLayer = model.getLayer('bn');
  bnLayer.setWeights(bnLayer.getWeights().map((w, i) => tensor(Float32Array.from(w.data as ArrayLike<number>, (_, k) => 0.5 + 0.1 * k + 0.3 * i), w.shape)));
  const dir = join(root, 'keras-jit-born');
  await saving.saveTfjsModel(model, `file://${dir}`);
  const back = await tfjsLoadsDir(dir);
  const xs = [tf.randomNormal([4, 3], 0, 1, 'float32', 1), tf.randomNormal([4, 4], 0, 1, 'float32', 2)];
  close(predictTf(back, xs), predictOurs(model, xs), 'keras-jit functional on TF.js');
  // TF.js's model weights: moving stats by name, not by position.
  const tfBn = back.getLayer('bn').getWeights().map((w) => Array.from(w.dataSync()));
  assert.equal(tfBn, bnLayer.getWeights().map((w) => Array.from(w.data as ArrayLike<number>, Math.fround)));
  // And back again.
  const again = await saving.loadTfjsModel(`file://${dir}`);
  close(predictOurs(again, xs), predictOurs(model, xs), 'keras-jit functional round trip');
});

test('compiled TF.js model (adam, categoricalCrossentropy, accuracy) loads compiled; compile: false does not compile', async () => {
  const m = tf.sequential();
  m.add(tf.layers.dense({ units: 3, inputShape: [4], activation: 'softmax' }));
  m.compile({ optimizer: tf.train.adam(0.01, 0.8, 0.99), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  let artifacts: tf.io.ModelArtifacts | undefined;
  await m.save(tf.io.withSaveHandler(async (a) => { artifacts = a; return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }; }), { includeOptimizer: true });
  const a = artifacts!;
  assert.ok(a.trainingConfig, 'TF.js wrote a training config');
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (msg: string) => warnings.push(msg);
  let loaded: ModelType;
  try {
    loaded = await loadLayersModel(tf.io.fromMemory(a));
  } finally {
    console.warn = warn;
  }
  assert.ok(loaded.compiled, 'compiled');
  const opt = loaded.compiled!.optimizer as optimizers.Adam;
  assert.ok(opt instanceof optimizers.Adam);
  assert.is(Math.fround(opt.learningRate), Math.fround(0.01));
  assert.equal([opt.beta1, opt.beta2].map(Math.fround), [Math.fround(0.8), Math.fround(0.99)]);
  assert.is(loaded.compileOptions?.loss, (a.trainingConfig as { loss: string }).loss);
  assert.equal(loaded.compileOptions?.metrics, ['accuracy']);
  assert.ok(warnings.some((w) => /optimizer state/.test(w)), 'warned that TF.js optimizer state is not read');
  const x = tf.randomNormal([2, 4], 0, 1, 'float32', 3);
  close(predictOurs(loaded, [x]), predictTf(m, [x]), 'compiled dense');
  const plain = await loadLayersModel(tf.io.fromMemory(a), { compile: false });
  assert.not.ok(plain.compiled);
});


// Adam with a tiny epsilon: TF.js adds epsilon to sqrt(v_hat), Keras to sqrt(v) (epsilon hat), a difference
// of the optimizers themselves; at 1e-12 both vanish, and the file's epsilon (not our 1e-7 default) must be used.
for (const [label, make] of [['sgd', () => tf.train.sgd(0.1)], ['adam', () => tf.train.adam(0.05, 0.8, 0.95, 1e-12)], ['rmsprop', () => tf.train.rmsprop(0.01, 0.8)]] as const) {
  test(`compiled TF.js model (${label}): one training step here after loading equals one step in TF.js`, async () => {
    const m = tf.sequential();
    m.add(tf.layers.dense({ units: 3, inputShape: [4], activation: 'softmax', biasInitializer: 'randomNormal' }));
    m.compile({ optimizer: make(), loss: 'categoricalCrossentropy' });
    let artifacts: tf.io.ModelArtifacts | undefined;
    await m.save(tf.io.withSaveHandler(async (a) => { artifacts = a; return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }; }), { includeOptimizer: true });
    const warn = console.warn;
    console.warn = () => {};
    let loaded: ModelType;
    try {
      loaded = await loadLayersModel(tf.io.fromMemory(artifacts!));
    } finally {
      console.warn = warn;
    }
    const x = tf.randomNormal([4, 4], 0, 1, 'float32', 11);
    const y = tf.oneHot(tf.tensor1d([0, 2, 1, 2], 'int32'), 3).toFloat();
    await m.fit(x, y, { epochs: 1, batchSize: 4, shuffle: false, verbose: 0 });
    await loaded.fit(ours(x), ours(y), { epochs: 1, batchSize: 4, shuffle: false, verbose: 0 });
    const want = m.getWeights().flatMap((w) => Array.from(w.dataSync()));
    const got = loaded.getWeights().flatMap((w) => Array.from(w.data as ArrayLike<number>));
    close(Float32Array.from(got), Float32Array.from(want), `${label} weights after one step`);
    // The step moved the weights (so equal results are not just the loaded values).
    assert.ok(m.getWeights()[0].dataSync().some((v, i) => v !== new Float32Array(artifacts!.weightData as ArrayBuffer)[i]), 'TF.js step changed the kernel');
  });
}

test('our compiled model saves its training config; TF.js and we load it compiled', async () => {
  const model = new Sequential([Input({ shape: [4] }), new layers.Dense(3, { activation: 'softmax' })]);
  model.compile({ optimizer: new optimizers.RMSprop({ learningRate: 0.02, rho: 0.8 }), loss: 'categorical_crossentropy', metrics: ['accuracy'] });
  const dir = join(root, 'compiled-ours');
  await saving.saveTfjsModel(model, dir);
  const back = await tfjsLoadsDir(dir);
  const tfOpt = back.optimizer as tf.RMSPropOptimizer;
  assert.is(tfOpt.getClassName(), 'RMSProp');
  assert.is(Math.fround(tfOpt.getConfig().learningRate as number), Math.fround(0.02));
  assert.is(Math.fround(tfOpt.getConfig().decay as number), Math.fround(0.8));
  const again = await saving.loadTfjsModel(dir);
  const opt = again.compiled!.optimizer as optimizers.RMSprop;
  assert.ok(opt instanceof optimizers.RMSprop);
  assert.is(Math.fround(opt.rho), Math.fround(0.8));
  assert.is(again.compileOptions?.loss, 'categorical_crossentropy');
  await rejects(saving.saveTfjsModel(model, join(root, 'x'), { includeOptimizer: true }), /includeOptimizer: true is not supported for the TensorFlow\.js format/);
  const adamw = new Sequential([Input({ shape: [4] }), new layers.Dense(3)]);
  adamw.compile({ optimizer: 'adamw', loss: 'mse' });
  await rejects(saving.saveTfjsModel(adamw, join(root, 'adamw')), /TensorFlow\.js has no AdamW optimizer/);
  assert.not.ok(await readdir(join(root, 'adamw')).catch(() => undefined), 'nothing written for an unsavable model');
});

/** uint8 quantization as the converter writes it (tensorflowjs quantization.py: scale = (max-min)/255). */
function quantizeUint8(values: Float32Array): { bytes: Uint8Array; scale: number; min: number } {
  let min = Math.min(...values), max = Math.max(...values);
  if (max === min) max = min + 1;
  const scale = (max - min) / 255;
  return { bytes: Uint8Array.from(values, (v) => Math.round((v - min) / scale)), scale, min };
}

test('sharded + quantized (uint8, float16) files load and predict as TF.js predicts on the same files', async () => {
  const tfModel = tfModels.conv;
  const saved = await saveTfjs(tfModel);
  const weights = tfModel.getWeights();
  const specs: tf.io.WeightsManifestEntry[] = [];
  const parts: Uint8Array[] = [];
  saved.weightSpecs.forEach((spec, i) => {
    const v = Float32Array.from(weights[i].dataSync());
    if (i % 2 === 0) {
      const q = quantizeUint8(v);
      specs.push({ ...spec, quantization: { dtype: 'uint8', scale: q.scale, min: q.min } });
      parts.push(q.bytes);
    } else {
      const halves = Uint16Array.from(tf.tensor(v).dataSync(), (x) => float16Bits(x));
      specs.push({ ...spec, quantization: { dtype: 'float16' } });
      parts.push(new Uint8Array(halves.buffer));
    }
  });
  const all = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) { all.set(p, at); at += p.byteLength; }
  const cut = [Math.floor(all.byteLength / 3) + 1, Math.floor((2 * all.byteLength) / 3) + 3];
  const shards = { 'group1-shard1of3.bin': all.slice(0, cut[0]), 'group1-shard2of3.bin': all.slice(cut[0], cut[1]), 'group1-shard3of3.bin': all.slice(cut[1]) };
  const modelJson = { format: 'layers-model', generatedBy: saved.modelJson.generatedBy, convertedBy: 'TensorFlow.js Converter v4.22.0', modelTopology: saved.modelJson.modelTopology, weightsManifest: [{ paths: Object.keys(shards), weights: specs }] };
  const dir = await writeDir('quantized', modelJson, shards);
  const loaded = await saving.loadTfjsModel(`file://${dir}/model.json`);
  const tfQuant = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: modelJson.modelTopology as object, weightSpecs: specs, weightData: all.slice().buffer }));
  const xs = inputsFor('conv');
  close(predictOurs(loaded, xs), predictTf(tfQuant, xs), 'quantized conv');
});

/** float32 → IEEE half bits (round to nearest even), for building float16 files. */
function float16Bits(x: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer)[0];
  const sign = (u >>> 16) & 0x8000;
  const exp = ((u >>> 23) & 0xff) - 127 + 15;
  const mant = u & 0x7fffff;
  if (exp <= 0) {
    if (exp < -10) return sign;
    const m = (mant | 0x800000) >> (1 - exp);
    return sign | ((m + 0x1000 + ((m >> 13) & 1) - 1) >> 13);
  }
  if (exp >= 31) return sign | 0x7c00;
  const rounded = (exp << 10) | (mant >> 13);
  const rest = mant & 0x1fff;
  return sign | (rest > 0x1000 || (rest === 0x1000 && (rounded & 1)) ? rounded + 1 : rounded);
}

test('converter-style file (generatedBy keras v2, nested model_config, Keras 2 names with :0, two shards) loads and predicts as TF.js', async () => {
  const tfModel = tfModels.emb_lstm;
  const saved = await saveTfjs(tfModel);
  // tf.keras names layers `embedding`, `lstm`, `dense` and weights `lstm/lstm_cell/kernel:0`.
  const rename: Record<string, string> = {};
  for (const l of tfModel.layers) rename[l.name] = l.getClassName().toLowerCase();
  const topo = JSON.parse(JSON.stringify(saved.modelJson.modelTopology)) as { config: { layers: Array<{ config: { name: string } }> } };
  for (const l of topo.config.layers) l.config.name = rename[l.config.name];
  const specs = saved.weightSpecs.map((s) => {
    const [layer, variable] = s.name.split('/');
    const cell = rename[layer] === 'lstm' ? 'lstm/lstm_cell' : rename[layer];
    return { ...s, name: `${cell}/${variable}:0` };
  });
  const cut = 4 * 7 + 2;
  const shards = { 'group1-shard1of2.bin': saved.weightData.slice(0, cut), 'group1-shard2of2.bin': saved.weightData.slice(cut) };
  const modelJson = {
    format: 'layers-model', generatedBy: 'keras v2.15.0', convertedBy: 'TensorFlow.js Converter v4.22.0',
    modelTopology: {
      keras_version: '2.15.0', backend: 'tensorflow', model_config: topo,
      training_config: { loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'], weighted_metrics: null, loss_weights: null, optimizer_config: { class_name: 'Custom>Adam', config: { name: 'Adam', weight_decay: null, clipnorm: null, global_clipnorm: null, clipvalue: null, use_ema: false, ema_momentum: 0.99, ema_overwrite_frequency: null, jit_compile: true, is_legacy_optimizer: false, learning_rate: 0.003, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7, amsgrad: false } } },
    },
    weightsManifest: [{ paths: Object.keys(shards), weights: specs }],
  };
  const dir = await writeDir('converter', modelJson, shards);
  const loaded = await saving.loadTfjsModel(dir);
  assert.equal(loaded.layers.map((l) => l.name), ['embedding', 'lstm', 'dense']);
  const xs = inputsFor('emb_lstm');
  close(predictOurs(loaded, xs), predictTf(tfModel, xs), 'converter emb_lstm');
  assert.ok(loaded.compiled?.optimizer instanceof optimizers.Adam);
  assert.is(Math.fround(loaded.compiled!.optimizer.learningRate), Math.fround(0.003));
  // An option keras-jit cannot honour is an error naming the file, not a silent default.
  const bad = JSON.parse(JSON.stringify(modelJson));
  bad.modelTopology.training_config.optimizer_config.config.clipnorm = 1;
  await rejects(saving.loadTfjsModel(await writeDir('converter-bad', bad, shards)), /converter-bad\/model\.json: training config optimizer Adam: clipnorm=1 is not supported/);
  await saving.loadTfjsModel(await writeDir('converter-bad2', bad, shards), { compile: false });
});


/** Real Keras 3.15 `.h5` model_configs of the same architectures (tests/fixtures/keras_dialects.py). */
const keras3Configs = JSON.parse(await readFile(new URL('../../tests/fixtures/keras_dialects.json', import.meta.url), 'utf8')) as Record<string, { h5_model_config: { config: { name: string; layers: Array<{ class_name: string; config: { name: string } }> } } }>;

for (const name of ['seq_dense', 'multi_input', 'conv']) {
  test(`converter-style file of a Keras 3 model (${name}: generatedBy keras v3, Keras 3 model_config, variable-path names) loads and predicts as TF.js with the same weights`, async () => {
    const tfModel = tfModels[name];
    const saved = await saveTfjs(tfModel);
    const cfg = keras3Configs[name].h5_model_config;
    // Keras's layers with weights, in order, take the TF.js layers' weights; Keras 3 names a Sequential's
    // variables `<model>/<layer>/<variable>` and a functional model's `<layer>/<variable>`.
    const kerasLayers = cfg.config.layers.filter((l) => !['InputLayer', 'Concatenate', 'MaxPooling2D', 'Flatten'].includes(l.class_name)).map((l) => l.config.name);
    const tfLayers = tfModel.layers.filter((l) => l.weights.length > 0).map((l) => l.name);
    assert.is(kerasLayers.length, tfLayers.length);
    const prefix = tfModel instanceof tf.Sequential ? `${cfg.config.name}/` : '';
    const specs = saved.weightSpecs.map((s) => {
      const [layer, variable] = s.name.split('/');
      return { ...s, name: `${prefix}${kerasLayers[tfLayers.indexOf(layer)]}/${variable}` };
    });
    const modelJson = {
      format: 'layers-model', generatedBy: 'keras v3.15.1', convertedBy: 'TensorFlow.js Converter v4.22.0',
      modelTopology: { keras_version: '3.15.1', backend: 'jax', model_config: cfg },
      weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: specs }],
    };
    const dir = await writeDir(`converter-k3-${name}`, modelJson, { 'group1-shard1of1.bin': saved.weightData });
    const loaded = await saving.loadTfjsModel(`file://${dir}`);
    const xs = inputsFor(name);
    close(predictOurs(loaded, xs), predictTf(tfModel, xs), `Keras 3 converter-style ${name}`);
  });
}

test('bad files: errors name the file; a failed load changes nothing; strict: false skips with warnings', async () => {
  const saved = await saveTfjs(tfModels.seq_dense);
  const good = await writeDir('bad-base', saved.modelJson, { 'weights.bin': saved.weightData });
  await rejects(saving.loadTfjsModel(join(root, 'nope')), /nope: cannot read the TensorFlow\.js model\.json/);
  await writeFile(join(root, 'broken.json'), '{"format": "layers-model", ');
  await rejects(saving.loadTfjsModel(join(root, 'broken.json')), /broken\.json: not valid JSON/);
  const short = await writeDir('bad-short', saved.modelJson, { 'weights.bin': saved.weightData.slice(0, 20) });
  await rejects(saving.loadTfjsModel(short), /bad-short\/model\.json: weight file 'weights\.bin' is too short/);
  const wrongShape = JSON.parse(JSON.stringify(saved.modelJson));
  wrongShape.weightsManifest[0].weights[0].shape = [3, 4];
  await rejects(saving.loadTfjsModel(await writeDir('bad-shape', wrongShape, { 'weights.bin': saved.weightData })), /bad-shape\/model\.json: layer '[^']+' weight 'kernel': expected shape \[4, 3\], found \[3, 4\]/);
  const unknown = JSON.parse(JSON.stringify(saved.modelJson));
  unknown.modelTopology.config.layers[0].class_name = 'NoSuchLayer';
  await rejects(saving.loadTfjsModel(await writeDir('bad-class', unknown, { 'weights.bin': saved.weightData })), /bad-class\/model\.json: cannot build the model from modelTopology: .*NoSuchLayer/);
  // An extra weight (of no layer) fails strict loading, and with strict: false it is skipped with a warning.
  const extra = JSON.parse(JSON.stringify(saved.modelJson));
  extra.weightsManifest[0].weights.push({ name: 'ghost/kernel', shape: [1], dtype: 'float32' });
  const extraDir = await writeDir('bad-extra', extra, { 'weights.bin': new Uint8Array([...saved.weightData, 0, 0, 128, 63]) });
  await rejects(saving.loadTfjsModel(extraDir), /bad-extra\/model\.json: weight count mismatch: 1 weights belong to no layer of the model \(ghost\/kernel\)/);
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (msg: string) => warnings.push(msg);
  try {
    const m = await saving.loadTfjsModel(extraDir, { strict: false });
    close(predictOurs(m, inputsFor('seq_dense')), predictTf(tfModels.seq_dense, inputsFor('seq_dense')), 'strict false');
  } finally {
    console.warn = warn;
  }
  assert.ok(warnings.some((w) => /ghost\/kernel/.test(w)));
  await rejects(saving.loadTfjsModel(good, { strct: true } as never), /loadTfjsModel: unknown option 'strct'. Did you mean 'strict'\?/);
  // A failed load leaves the session working: the good file still loads and predicts.
  close(predictOurs(await saving.loadTfjsModel(good), inputsFor('seq_dense')), predictTf(tfModels.seq_dense, inputsFor('seq_dense')), 'after failures');
});

test('atomic save: overwrite false refuses, a failed save keeps the previous files and leaves no temporary files', async () => {
  const model = await loadLayersModel(fromSaved(await saveTfjs(tfModels.seq_dense)));
  const dir = join(root, 'atomic');
  await saving.saveTfjsModel(model, `file://${dir}`);
  const before = await Promise.all(['model.json', 'weights.bin'].map((f) => readFile(join(dir, f))));
  await rejects(saving.saveTfjsModel(model, `file://${dir}`, { overwrite: false }), /model\.json already exists and overwrite is false/);
  const adamw = await loadLayersModel(fromSaved(await saveTfjs(tfModels.seq_dense)));
  adamw.compile({ optimizer: 'adamw', loss: 'mse' });
  await rejects(saving.saveTfjsModel(adamw, `file://${dir}`), /AdamW/);
  assert.equal((await readdir(dir)).sort(), ['model.json', 'weights.bin']);
  const after = await Promise.all(['model.json', 'weights.bin'].map((f) => readFile(join(dir, f))));
  assert.ok(before.every((b, i) => b.equals(after[i])), 'previous files unchanged');
  await rejects(saving.saveTfjsModel(model, `file://${dir}/model.json`), /names a file; the TF\.js format is saved to a directory/);
});

test.after(() => {
  console.log(`  largest |keras-jit - TF.js| prediction difference over the TF.js format tests: ${largest}`);
});

test.run();
