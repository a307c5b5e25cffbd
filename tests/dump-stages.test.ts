/**
 * model.dump(): golden dumps of every stage of a small model's programs, their stability, their
 * errors, and that dumping leaves training as it was. UPDATE_GOLDEN=1 rewrites the goldens.
 */
import { parse } from 'acorn';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { backend, tensor, type DumpStage } from '../src/index.js';
import { golden } from './support/golden.js';
import { smallModel } from './support/dump-model.js';

const STAGES: readonly DumpStage[] = ['ir', 'optimized', 'fused', 'code'];

for (const stage of ['ir', 'optimized', 'fused'] as const) {
  test(`golden: train graph, stage '${stage}'`, () => {
    golden(`model-train-${stage}.txt`, smallModel().dump({ graph: 'train', stage, batchSize: 4 }), { perTier: stage === 'fused' });
  });
}

interface CodeSection { readonly index: number; readonly name: string; readonly header: string; readonly body: string }

/** The 'code' dump split at its `// kernel N: name (...)` headers. */
function codeSections(code: string): { headline: string; sections: CodeSection[] } {
  const [head, ...rest] = code.split(/\n\n(?=\/\/ kernel \d+: )/);
  const sections = rest.map((text) => {
    const m = /^\/\/ kernel (\d+): (\w+) \(.*\)$/m.exec(text);
    if (m === null) throw new Error(`unexpected code section: ${text.slice(0, 80)}`);
    const newline = text.indexOf('\n');
    return { index: Number(m[1]), name: m[2], header: text.slice(0, newline), body: newline < 0 ? '' : text.slice(newline + 1) };
  });
  return { headline: head.replace(/^\/\/ /, '').trimEnd(), sections };
}

/** Checks one kernel's printed source is well formed: JavaScript that parses, or a WebAssembly text module that exports the kernel. */
function assertWellFormed(section: CodeSection): void {
  const body = section.body;
  if (body.startsWith('(module')) {
    let depth = 0;
    for (const c of body.split('\n(module')[0]) {
      depth += c === '(' ? 1 : c === ')' ? -1 : 0;
      assert.ok(depth >= 0, `${section.name}: unbalanced parentheses`);
    }
    // A contraction with an epilogue pass is named after both; its own module exports the contraction.
    const exports = [...body.matchAll(/\(export "(\w+)"/g)].map((m) => m[1]);
    assert.ok(exports.some((e) => section.name.startsWith(e)), `${section.name}: exports its kernel (exports: ${exports.join(', ')})`);
  } else {
    assert.not.throws(() => parse(body, { ecmaVersion: 'latest', sourceType: 'script', allowReturnOutsideFunction: true }), `${section.name}: parses as JavaScript`);
    assert.match(body, new RegExp(`function ${section.name}\\(`), `${section.name}: defines a function of its own name`);
  }
}

test("stage 'code': one section per kernel of the fused view, in run order, each well formed", () => {
  const model = smallModel();
  const fused = model.dump({ stage: 'fused', batchSize: 4 });
  const { headline, sections } = codeSections(model.dump({ stage: 'code', batchSize: 4 }));
  assert.is(headline, /^program .*$/m.exec(fused)![0]);
  const kernels = [...fused.matchAll(/^kernel (\d+) (\w+) \((\w+)\)$/gm)].map((m) => ({ index: Number(m[1]), name: m[2] }));
  assert.equal(sections.map((s) => ({ index: s.index, name: s.name })), kernels);
  for (const s of sections) {
    const same = /^\/\/ same source as kernel (\d+)$/.exec(s.body.trim());
    if (same !== null) {
      assert.ok(Number(same[1]) < s.index, `kernel ${s.index} refers to a later kernel`);
      continue;
    }
    assertWellFormed(s);
  }
});

test("golden: stage 'code', the smallest kernel of each kind in each language", () => {
  const model = smallModel();
  const fused = model.dump({ stage: 'fused', batchSize: 4 });
  const kindOf = new Map([...fused.matchAll(/^kernel (\d+) \w+ \((\w+)\)$/gm)].map((m) => [Number(m[1]), m[2]]));
  const { headline, sections } = codeSections(model.dump({ stage: 'code', batchSize: 4 }));
  const smallest = new Map<string, CodeSection>();
  for (const s of sections) {
    if (s.body.startsWith('// same source')) continue;
    const kind = `${kindOf.get(s.index)!} ${s.body.startsWith('(module') ? 'wasm' : 'js'}`;
    const best = smallest.get(kind);
    if (best === undefined || s.body.length < best.body.length) smallest.set(kind, s);
  }
  const kinds = [...smallest.keys()].map((k) => k.split(' ')[0]);
  assert.equal([...new Set(kinds)].sort(), ['contraction', 'elementwise', 'reduce']);
  const picked = [...smallest.values()].sort((a, b) => a.index - b.index);
  golden('model-train-kernels.txt', `// ${headline}\n${picked.map((s) => `\n${s.header}\n${s.body}`).join('\n')}\n`, { perTier: true });
});
test('golden: predict and evaluate graphs, fused', () => {
  const model = smallModel();
  golden('model-predict-fused.txt', model.dump({ graph: 'predict', stage: 'fused', batchSize: 2 }), { perTier: true });
  golden('model-evaluate-optimized.txt', model.dump({ graph: 'evaluate', stage: 'optimized', batchSize: 2 }));
});
test('golden: the fused train program as DOT', () => {
  golden('model-train-fused.dot.txt', smallModel().dump({ graph: 'train', stage: 'fused', format: 'dot', batchSize: 4 }), { perTier: true });
});

test('dumps are stable: rebuilt models and earlier traces print the same', () => {
  const first = STAGES.map((stage) => smallModel().dump({ stage, batchSize: 4 }));
  smallModel({ dropout: true }).dump({ stage: 'fused', batchSize: 3 }); // advances global counters (streams, ids, slots)
  const again = smallModel();
  assert.equal(STAGES.map((stage) => again.dump({ stage, batchSize: 4 })), first);
  assert.equal(STAGES.map((stage) => again.dump({ stage, batchSize: 4 })), first, 'dumping twice prints the same');
});

test('random streams are numbered within the dump, not by a global counter', () => {
  for (let i = 0; i < 3; i++) {
    const text = smallModel({ dropout: true }).dump({ stage: 'ir', batchSize: 2 });
    assert.match(text, /= randomUniform\[stream=0\] /);
    assert.not.match(text, /stream=[1-9]/);
  }
});

test('ir and optimized stages compile nothing; fused and code reuse the session cache, and fit reuses it too', async () => {
  const model = smallModel();
  const session = backend.getSession();
  model.dump({ stage: 'ir', batchSize: 4 });
  model.dump({ stage: 'optimized', batchSize: 4 });
  assert.is(session.programCount, 0);
  model.dump({ stage: 'fused', batchSize: 4 });
  model.dump({ stage: 'code', batchSize: 4 });
  assert.is(session.programCount, 1);
  await model.fit(tensor(new Float32Array(12), [4, 3]), tensor(new Float32Array([1, 0, 0, 1, 1, 0, 0, 1]), [4, 2]), { batchSize: 4, verbose: 0 });
  assert.is(session.programCount, 1, 'fit compiled the train program again');
});

test('the fused view lists every kernel with its buffers inside the arena', () => {
  const text = smallModel().dump({ stage: 'fused', batchSize: 4 });
  const head = /^program train: batch 4, (\d+) kernels, arena (\d+) bytes$/m.exec(text);
  assert.ok(head, 'headline');
  const kernels = Number(head[1]);
  const arena = Number(head[2]);
  const names = [...text.matchAll(/^kernel (\d+) (\w+) \((elementwise|reduce|contraction|opaque)\)$/gm)];
  assert.equal(names.map((m) => Number(m[1])), Array.from({ length: kernels }, (_, i) => i));
  assert.ok(text.endsWith(`arena: ${arena} bytes\n`));
  for (const m of text.matchAll(/arena\+(\d+) \((\d+) bytes\)/g)) {
    assert.ok(Number(m[1]) + Number(m[2]) <= arena, `buffer ${m[0]} ends past the arena`);
  }
  assert.match(text, /writes {2}\w+:f32\[3,4\] in place of variable "hidden\/kernel"/);
});

test("the interpreter backend still dumps the program the default tier would compile", () => {
  const saved = process.env.KERAS_JIT_BACKEND;
  try {
    delete process.env.KERAS_JIT_BACKEND;
    const expected = smallModel().dump({ stage: 'fused', batchSize: 4 });
    process.env.KERAS_JIT_BACKEND = 'interpret';
    assert.fixture(smallModel().dump({ stage: 'fused', batchSize: 4 }), expected);
  } finally {
    if (saved === undefined) delete process.env.KERAS_JIT_BACKEND;
    else process.env.KERAS_JIT_BACKEND = saved;
  }
});

test('errors: train and evaluate need compile(), options are checked', () => {
  const model = smallModel({ compile: false });
  assert.throws(() => model.dump({ graph: 'train' }), /The model 'small' must be compiled before dump\(\{ graph: 'train' \}\); call model\.compile/);
  assert.throws(() => model.dump({ graph: 'evaluate', stage: 'fused' }), /must be compiled/);
  assert.match(model.dump({ graph: 'predict', batchSize: 1 }), /^inputs:\n {2}a:f32\[1,3\] "x:features"/);
  const compiled = smallModel();
  assert.throws(() => compiled.dump({ stage: 'fusion' as DumpStage }), /stage must be one of 'ir', 'optimized', 'fused', 'code'; got "fusion"/);
  assert.throws(() => compiled.dump({ graph: 'training' as 'train' }), /graph must be one of 'train', 'evaluate', 'predict'/);
  assert.throws(() => compiled.dump({ batchSize: 0 }), /batchSize must be a positive integer, got 0/);
  assert.throws(() => compiled.dump({ stage: 'code', format: 'dot' }), /stage 'code' is source text/);
});

test('a dump does not change training: weights and history match an undumped twin', async () => {
  const x = tensor(new Float32Array([0.1, 0.2, 0.3, -0.4, 0.5, -0.6, 0.7, 0.8, -0.9, 1, -1.1, 1.2, 0.3, 0.1, -0.2]), [5, 3]);
  const y = tensor(new Float32Array([1, 0, 0, 1, 1, 0, 0, 1, 1, 0]), [5, 2]);
  const run = async (dump: boolean) => {
    const model = smallModel();
    if (dump) {
      for (const graph of ['train', 'evaluate', 'predict'] as const) {
        for (const stage of STAGES) model.dump({ graph, stage, batchSize: 2 });
      }
    }
    const history = await model.fit(x, y, { epochs: 2, batchSize: 2, verbose: 0, shuffle: true });
    return { weights: model.getWeights().map((w) => Array.from(w.data)), loss: history.history.loss };
  };
  const plain = await run(false);
  const dumped = await run(true);
  assert.equal(dumped, plain);
});

test.run();
