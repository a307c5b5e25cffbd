/**
 * Which kernels of real training steps the wasm tier lowers to WebAssembly, read from the 'code'
 * dump (a kernel's source is a WebAssembly text module or JavaScript): every kernel of an LSTM's
 * scan bodies (gates as row slices, their gradients concatenated by pads, sigmoid and tanh on the
 * SIMD loop), and Dropout's `where` kernels beside a Flatten (a reshape inside the group). On the
 * js tier the same kernels must all be JavaScript. Results are checked elsewhere (rnn-*.test.ts
 * against Keras, wasm-elementwise.test.ts against the interpreter); this pins where they run.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Sequential, layers } from '../src/index.js';
import { defaultTier } from '../src/runtime/tiers/index.js';

// The native tier runs the wasm tier's elementwise kernels (only its products become C).
const wasm = defaultTier() === 'wasm' || defaultTier() === 'native';
const language = (source: string) => (source.startsWith('(module') ? 'wasm' : 'js');
const expected = wasm ? 'wasm' : 'js';

/** The dump's kernels: name and source, with a scan's body kernels listed under it. */
function kernels(code: string): { name: string; source: string; body: { name: string; source: string }[] }[] {
  return code.split(/\n\n(?=\/\/ kernel \d+: )/).slice(1).map((text) => {
    const name = /^\/\/ kernel \d+: (\w+)/.exec(text)![1];
    const rest = text.slice(text.indexOf('\n') + 1);
    const pieces = rest.split(/^\/\/ (\w+)\n/m);
    const body: { name: string; source: string }[] = [];
    for (let i = 1; i + 1 < pieces.length; i += 2) body.push({ name: pieces[i], source: pieces[i + 1] });
    return { name, source: rest, body };
  });
}

test('every kernel of an LSTM step body is WebAssembly on the wasm tier', () => {
  const model = new Sequential([new layers.LSTM(8, { inputShape: [5, 3] }), new layers.Dense(1, { activation: 'sigmoid' })]);
  model.compile({ optimizer: 'adam', loss: 'binary_crossentropy' });
  const scans = kernels(model.dump({ graph: 'train', stage: 'code', batchSize: 4 })).filter((k) => /^scan\d+_\d+k$/.test(k.name));
  assert.is(scans.length, 2, scans.map((s) => s.name).join(', '));
  for (const scan of scans) {
    const count = Number(/_(\d+)k$/.exec(scan.name)![1]);
    assert.is(scan.body.length, count, `${scan.name}: ${scan.body.map((b) => b.name).join(', ')}`);
    for (const k of scan.body) assert.is(language(k.source), expected, `${scan.name}: ${k.name}`);
  }
  const gates = scans.flatMap((s) => s.body).filter((k) => k.name.includes('sigmoid') || k.name.includes('tanh') || k.name.startsWith('fused_'));
  assert.ok(gates.length >= 3, `the gate kernels: ${gates.map((k) => k.name).join(', ')}`);
});

test("Dropout's where kernels beside Flatten run on the SIMD loop", () => {
  const model = new Sequential([
    new layers.Conv2D(4, 3, { activation: 'relu', inputShape: [8, 8, 1] }), new layers.MaxPooling2D(2), new layers.Dropout(0.25),
    new layers.Flatten(), new layers.Dense(10, { activation: 'softmax' }),
  ]);
  model.compile({ optimizer: 'adam', loss: 'categorical_crossentropy' });
  const wheres = kernels(model.dump({ graph: 'train', stage: 'code', batchSize: 4 })).filter((k) => /^fused_.*where/.test(k.name));
  assert.is(wheres.length, 2, `forward and backward: ${wheres.map((k) => k.name).join(', ')}`);
  for (const k of wheres) assert.is(language(k.source), expected, k.name);
});

test.run();
