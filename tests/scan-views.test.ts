/**
 * A scan's results are parts of its packed buffer; the fusion plan reads them in place (a view at
 * the part's offset) instead of copying each part out. Checked on the fused dump of an LSTM
 * training step, where the backward loop reads six saved residual stacks and the weight
 * gradients read two more: no kernel may be a bare copy of scan results (ops only scanOutput and
 * reshape), and the compiled step must still equal the reference interpreter (tests/scan-*.test.ts
 * and tests/rnn-*.test.ts compare values; this file checks the structure). The recurrent layer's
 * bias also lands in the input projection's epilogue (simplify moves it in front of the reshape).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { backend, layers, Sequential, Session } from '../src/index.js';

interface DumpedKernel { readonly name: string; readonly ops: readonly string[] }

function trainKernels(layer: () => layers.Layer): DumpedKernel[] {
  backend.setSession(new Session({ seed: 1 }));
  const model = new Sequential([new layers.Embedding(50, 16, { inputLength: 12 }), layer(), new layers.Dense(1)]);
  model.compile({ optimizer: 'adam', loss: 'mse' });
  const dump = model.dump({ graph: 'train', stage: 'fused', batchSize: 8 });
  backend.getSession().clear();
  return dump.split(/^(?=kernel \d+ )/m).filter((b) => b.startsWith('kernel ')).map((block) => ({
    name: /^kernel \d+ (\S+)/.exec(block)![1],
    ops: [...block.matchAll(/= (\w+)/g)].map((m) => m[1]),
  }));
}

for (const [name, make] of [
  ['LSTM', () => new layers.LSTM(24, { returnSequences: false })],
  ['GRU', () => new layers.GRU(24)],
  ['SimpleRNN', () => new layers.SimpleRNN(24)],
] as const) {
  test(`${name} training step: scan results are read in place, never copied out`, () => {
    const kernels = trainKernels(make);
    const copies = kernels.filter((k) => k.ops.length > 0 && k.ops.includes('scanOutput') && k.ops.every((op) => op === 'scanOutput' || op === 'reshape'));
    assert.equal(copies.map((k) => `${k.name}: ${k.ops.join(' ')}`), []);
    assert.is(kernels.filter((k) => k.name.startsWith('scan12_')).length, 2);
  });

  test(`${name} training step: the input projection's bias is its matmul's epilogue`, () => {
    const kernels = trainKernels(make);
    const projection = kernels.filter((k) => k.name.startsWith('matmul_96x16x'));
    assert.is(projection.length, 1, kernels.map((k) => k.name).join(' '));
    assert.ok(projection[0].ops.includes('add'), `${projection[0].name}: ${projection[0].ops.join(' ')}`);
  });
}

test.run();
