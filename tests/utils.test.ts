import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Input, Model, Sequential, layers, tensor, utils } from '../src/index.js';
import type { LayerGraphNode } from '../src/api/engine-types.js';
import { modelToDot, plotModel, toCategorical, type PlottableModel } from '../src/api/utils/index.js';
import { escapeDotHtml } from '../src/api/utils/model-to-dot.js';
import { loadMnist, toImages, NUM_CLASSES, PIXELS, TEST_SIZE, TRAIN_SIZE } from '../examples/data/mnist.js';

// ---- toCategorical -------------------------------------------------------------------------

test('toCategorical: number[] with numClasses gives [n, numClasses] float32 one-hot rows', () => {
  const y = toCategorical([3, 0, 1], 4);
  assert.equal(y.shape, [3, 4]);
  assert.is(y.dtype, 'float32');
  assert.equal(y.toArray(), [[0, 0, 0, 1], [1, 0, 0, 0], [0, 1, 0, 0]]);
});

test('toCategorical: numClasses is inferred as max + 1', () => {
  const y = toCategorical([2, 0, 5]);
  assert.equal(y.shape, [3, 6]);
  assert.equal(Array.from(y.data.slice(0, 6)), [0, 0, 1, 0, 0, 0]);
});

test('toCategorical: accepts int32 and float32 Tensors holding integers', () => {
  const fromInt = toCategorical(tensor(new Int32Array([1, 2]), [2], 'int32'), 3);
  const fromFloat = toCategorical(tensor([1, 2]), 3);
  assert.equal(fromInt.toArray(), [[0, 1, 0], [0, 0, 1]]);
  assert.equal(fromFloat.toArray(), fromInt.toArray());
});

test('toCategorical: a trailing axis of size 1 is replaced, other shapes gain an axis (Keras)', () => {
  assert.equal(toCategorical([[1], [0]], 2).shape, [2, 2]);
  assert.equal(toCategorical(tensor(new Int32Array([1, 0]), [2, 1], 'int32'), 2).shape, [2, 2]);
  const grid = toCategorical([[0, 1, 2], [2, 1, 0]]);
  assert.equal(grid.shape, [2, 3, 3]);
  assert.equal(grid.toArray(), [[[1, 0, 0], [0, 1, 0], [0, 0, 1]], [[0, 0, 1], [0, 1, 0], [1, 0, 0]]]);
  assert.equal(toCategorical(2, 3).shape, [3]);
  assert.equal(toCategorical([], 5).shape, [0, 5]);
});

test('toCategorical: out-of-range labels are errors naming the label and the valid range', () => {
  assert.throws(() => toCategorical([0, 4, 1], 4), (e: Error) => /label 4\b/.test(e.message) && /\[0, 3\]/.test(e.message));
  assert.throws(() => toCategorical([1, -1], 3), (e: Error) => /label -1\b/.test(e.message) && /\[0, 2\]/.test(e.message));
  assert.throws(() => toCategorical([-2]), (e: Error) => /label -2\b/.test(e.message) && /non-negative/.test(e.message));
});

test('toCategorical: non-integer labels and bad numClasses are errors', () => {
  assert.throws(() => toCategorical([0, 1.5], 3), (e: Error) => /label 1\.5\b/.test(e.message) && /integers in \[0, 2\]/.test(e.message));
  assert.throws(() => toCategorical(tensor([0, Number.NaN]), 3), /label NaN/);
  assert.throws(() => toCategorical([0, 1], 0), /numClasses must be a positive integer/);
  assert.throws(() => toCategorical([0, 1], 2.5), /numClasses must be a positive integer/);
  assert.throws(() => toCategorical([]), /cannot infer numClasses/);
  assert.throws(() => toCategorical([[0, 1], [2]] as number[][]), /ragged/);
});

// ---- plotModel ----------------------------------------------------------------------------

/** A model stand-in: plotModel only needs layerGraph(). */
function stub(layers: LayerGraphNode[]): PlottableModel {
  return { layerGraph: () => layers };
}

function node(name: string, className: string, inbound: string[], outputShape: (number | null)[], inputShapes: (number | null)[][] = []): LayerGraphNode {
  return { name, className, inbound, inputShapes, outputShapes: [outputShape], params: 0 };
}

const mlp = stub([
  node('input_1', 'InputLayer', [], [null, 10]),
  node('dense', 'Dense', ['input_1'], [null, 20], [[null, 10]]),
  node('dense_1', 'Dense', ['dense'], [null, 1], [[null, 20]]),
]);

test('modelToDot: one box per layer "name: ClassName", one edge per connection, rankdir', () => {
  const dot = modelToDot(mlp);
  assert.match(dot, /^digraph model \{/);
  assert.match(dot, /rankdir=TB/);
  assert.match(dot, /layer0 \[label=<input_1: InputLayer>\]/);
  assert.match(dot, /layer1 \[label=<dense: Dense>\]/);
  assert.match(dot, /layer0 -> layer1;/);
  assert.match(dot, /layer1 -> layer2;/);
  assert.not.match(dot, /\(None/);
  assert.match(modelToDot(mlp, { rankdir: 'LR', dpi: 200 }), /rankdir=LR, concentrate=true, dpi=200/);
  assert.match(modelToDot(mlp, { showLayerNames: false }), /layer1 \[label=<Dense>\]/);
});

test('modelToDot: showShapes adds input and output shapes; Input layers show their own shape', () => {
  const dot = modelToDot(mlp, { showShapes: true });
  assert.match(dot, /input_1: InputLayer<\/TD><TD>input:<\/TD><TD>\(None, 10\)<\/TD>.*<TD>output:<\/TD><TD>\(None, 10\)/);
  assert.match(dot, /dense: Dense<\/TD><TD>input:<\/TD><TD>\(None, 10\)<\/TD>.*<TD>output:<\/TD><TD>\(None, 20\)/);
});

test('modelToDot: several inbound tensors print as a list, repeated edges are drawn once', () => {
  const merged = stub([
    node('a', 'InputLayer', [], [null, 4]),
    node('b', 'InputLayer', [], [null, 4]),
    node('concatenate', 'Concatenate', ['a', 'b'], [null, 8], [[null, 4], [null, 4]]),
    node('add', 'Add', ['concatenate', 'concatenate'], [null, 8], [[null, 8], [null, 8]]),
  ]);
  const dot = modelToDot(merged, { showShapes: true });
  assert.match(dot, /\[\(None, 4\), \(None, 4\)\]/);
  assert.is(dot.match(/layer2 -> layer3;/g)?.length, 1);
});

test('modelToDot: quotes, backslashes, newlines and markup in names are escaped', () => {
  assert.is(escapeDotHtml('a"b\\c<d>&e\nf'), 'a&quot;b\\c&lt;d&gt;&amp;e<BR/>f');
  assert.is(escapeDotHtml('x\u0001y\ud800'), 'x\\x01y\ufffd');
  const evil = stub([
    node('in"put\\', 'InputLayer', [], [null, 3]),
    node('</TD>"]; evil -> x; //\nline', 'My<Layer>', ['in"put\\'], [null, 2], [[null, 3]]),
  ]);
  const dot = modelToDot(evil, { showShapes: true });
  assert.match(dot, /in&quot;put\\: InputLayer/);
  assert.match(dot, /&lt;\/TD&gt;&quot;\]; evil -&gt; x; \/\/<BR\/>line: My&lt;Layer&gt;/);
  // Every line is one of the generated forms: no user text escapes its label.
  const lines = dot.trim().split('\n');
  const forms = [/^digraph model \{$/, /^  graph \[.*\];$/, /^  node \[.*\];$/, /^  layer\d+ \[label=<[^\n]*>\];$/, /^  layer\d+ -> layer\d+;$/, /^\}$/];
  for (const line of lines) assert.ok(forms.some((f) => f.test(line)), `unexpected DOT line: ${line}`);
  assert.is(lines.filter((l) => l.includes(' -> ')).length, 1);
});

test('modelToDot: rejects unknown inbound layers, duplicate names, bad options', () => {
  assert.throws(() => modelToDot(stub([node('d', 'Dense', ['nowhere'], [null, 1])])), /inbound layer "nowhere"/);
  assert.throws(() => modelToDot(stub([node('d', 'Dense', [], [1]), node('d', 'Dense', [], [1])])), /two layers are named "d"/);
  assert.throws(() => modelToDot(mlp, { rankdir: 'XY' as 'TB' }), /rankdir must be one of/);
  assert.throws(() => modelToDot(mlp, { dpi: -1 }), /dpi must be a positive number/);
});

let dir = '';
test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'keras-jit-utils-'));
});
test.after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('plotModel: .dot writes the DOT text', async () => {
  const file = join(dir, 'model.dot');
  await plotModel(mlp, { toFile: file, showShapes: true });
  assert.is(await readFile(file, 'utf8'), modelToDot(mlp, { showShapes: true }));
});

test('plotModel: .svg is laid out by Graphviz, with every label, even hostile ones', async () => {
  const file = join(dir, 'sub', 'model.svg');
  const tricky = stub([
    node('it\'s in"put\\', 'InputLayer', [], [null, 3]),
    node('two\nlines & <tags>', 'Dense', ['it\'s in"put\\'], [null, 2], [[null, 3]]),
  ]);
  await plotModel(tricky, { toFile: file, showShapes: true });
  const svg = await readFile(file, 'utf8');
  assert.match(svg, /<svg[\s>]/);
  assert.match(svg, /it&#39;s in&quot;put\\: InputLayer/);
  assert.match(svg, />two<\/text>/);
  assert.match(svg, />lines &amp; &lt;tags&gt;: Dense<\/text>/);
  assert.match(svg, /\(None, 3\)/);
  assert.is(svg.match(/class="edge"/g)?.length, 1);
});

test('plotModel: .png is a PNG image sized by dpi', async () => {
  const low = join(dir, 'low.png'), high = join(dir, 'high.png');
  await plotModel(mlp, { toFile: low, showShapes: true });
  await plotModel(mlp, { toFile: high, showShapes: true, dpi: 192 });
  const png = await readFile(low);
  assert.equal(Array.from(png.subarray(0, 8)), [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const width = (b: Buffer): number => b.readUInt32BE(16);
  const hi = await readFile(high);
  assert.ok(Math.abs(width(hi) / width(png) - 2) < 0.02, `width ${width(hi)} should be twice ${width(png)}`);
});

test('plotModel: an unsupported extension is an error listing the supported ones', async () => {
  for (const toFile of [join(dir, 'model.jpg'), join(dir, 'model')]) {
    try {
      await plotModel(mlp, { toFile });
      assert.unreachable('should have thrown');
    } catch (e) {
      assert.match((e as Error).message, /supported: \.dot, \.gv, \.svg, \.png/);
    }
    assert.is(await stat(toFile).catch(() => undefined), undefined, 'no file written');
  }
});

test('plotModel on real models: Sequential and a two-input functional model with a shared layer', async () => {
  const seq = new Sequential([
    new layers.Dense(8, { activation: 'relu', inputShape: [4], name: 'hidden' }),
    new layers.Dense(2, { name: 'out' }),
  ]);
  const seqDot = utils.modelToDot(seq, { showShapes: true });
  assert.match(seqDot, /hidden: Dense<\/TD><TD>input:<\/TD><TD>\(None, 4\)<\/TD>.*<TD>\(None, 8\)/);
  assert.match(seqDot, /out: Dense<\/TD>.*\(None, 2\)/);

  const a = Input({ shape: [8], name: 'a' }), b = Input({ shape: [8], name: 'b' });
  const shared = new layers.Dense(4, { name: 'shared' });
  const merged = layers.concatenate([shared(a), shared(b)], { name: 'concatenate' });
  const two = new Model({ inputs: [a, b], outputs: [new layers.Dense(1, { name: 'y1' })(merged), new layers.Dense(3, { name: 'y2' })(merged)] });
  const dot = utils.modelToDot(two, { showShapes: true });
  const id = (name: string): string => dot.match(new RegExp(`(layer\\d+) \\[label=<[^\\n]*>${name}: `))?.[1] ?? `missing ${name}`;
  for (const [from, to] of [['a', 'shared'], ['b', 'shared'], ['shared', 'concatenate'], ['concatenate', 'y1'], ['concatenate', 'y2']]) {
    assert.match(dot, `${id(from)} -> ${id(to)};`);
  }
  assert.match(dot, /\[\(None, 4\), \(None, 4\)\]/);
  const file = join(dir, 'two.svg');
  await utils.plotModel(two, { toFile: file, showShapes: true, rankdir: 'LR' });
  const svg = await readFile(file, 'utf8');
  assert.is(svg.match(/class="node"/g)?.length, 6);
  assert.is(svg.match(/class="edge"/g)?.length, 5);
});

test('plotModel on a real model: hostile layer names stay inside their labels', async () => {
  const input = Input({ shape: [4], name: 'in"put\\' });
  const output = new layers.Dense(2, { name: '</TD>" -> x;\n}' })(input);
  const dot = utils.modelToDot(new Model({ inputs: input, outputs: output }));
  assert.match(dot, /in&quot;put\\: InputLayer/);
  assert.match(dot, /&lt;\/TD&gt;&quot; -&gt; x;<BR\/>}: Dense/);
  assert.is(dot.split('\n').filter((l) => l.includes(' -> ')).length, 1);
});

// ---- MNIST --------------------------------------------------------------------------------

const mnist = loadMnist();

test('mnist: 8,000 training and 2,000 test images, [n, 784] float32 in [0, 1], int32 labels 0..9', () => {
  assert.equal(mnist.train.x.shape, [TRAIN_SIZE, PIXELS]);
  assert.equal(mnist.test.x.shape, [TEST_SIZE, PIXELS]);
  assert.equal(mnist.train.y.shape, [TRAIN_SIZE]);
  assert.equal(mnist.test.y.shape, [TEST_SIZE]);
  assert.is(mnist.train.x.dtype, 'float32');
  assert.is(mnist.train.y.dtype, 'int32');
  for (const split of [mnist.train, mnist.test]) {
    let min = Infinity, max = -Infinity;
    for (const v of split.x.data) { if (v < min) min = v; if (v > max) max = v; }
    assert.ok(min >= 0 && max <= 1 && max > 0.9, `pixels in [0, 1], got [${min}, ${max}]`);
    const counts = new Array<number>(NUM_CLASSES).fill(0);
    for (const label of split.y.data) counts[label]++;
    // Every class is present in reasonable numbers (about a tenth each).
    assert.ok(counts.every((c) => c > split.y.size / 20), `class counts ${counts}`);
  }
});

test('mnist: the split is deterministic, and train and test are disjoint', () => {
  const again = loadMnist();
  assert.equal(Array.from(again.train.y.data), Array.from(mnist.train.y.data));
  assert.ok(again.test.x.data.every((v, i) => v === mnist.test.x.data[i]));
  // Disjoint: no test image appears in the training set (compare by a cheap content hash).
  const key = (data: ArrayLike<number>, i: number): string => Array.from({ length: PIXELS }, (_, j) => data[i * PIXELS + j]).join(',');
  const trainKeys = new Set(Array.from({ length: TRAIN_SIZE }, (_, i) => key(mnist.train.x.data, i)));
  let shared = 0;
  for (let i = 0; i < TEST_SIZE; i++) if (trainKeys.has(key(mnist.test.x.data, i))) shared++;
  assert.is(shared, 0, `${shared} test images also in training`);
  const other = loadMnist({ seed: 7 });
  assert.not.equal(Array.from(other.train.y.data.slice(0, 50)), Array.from(mnist.train.y.data.slice(0, 50)));
});

test('mnist: toImages gives channels-last [n, 28, 28, 1] with the same pixels', () => {
  const images = toImages(mnist.test.x);
  assert.equal(images.shape, [TEST_SIZE, 28, 28, 1]);
  assert.is(images.data[123 * PIXELS + 400], mnist.test.x.data[123 * PIXELS + 400]);
  assert.throws(() => toImages(tensor([1, 2, 3])), /expects \[n, 784\]/);
});

test.run();
