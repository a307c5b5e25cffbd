/**
 * Hostile layer names (quotes, backslashes, newlines, line separators and code) in every dump:
 * they appear only as escaped JSON literals, never break a line, and never reach generated code.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { stringLiteral } from '../src/ir/format.js';
import { renderSvg } from '../src/api/utils/render-svg.js';
import { smallModel } from './support/dump-model.js';
import type { DumpStage } from '../src/index.js';

const EVIL = 'a "quoted" \\ back\nslash"); process.exit(1); //\u2028end';
const CODE = 'process.exit(1)';

const hostile = () => smallModel({ hidden: EVIL, input: `in${EVIL}`, output: `out${EVIL}` });

/** Each line of a text dump is a header, a declaration or an equation: none starts inside a label. */
const LINE = /^(inputs:|variables:|equations:|outputs:.*|updates:|program \w+: .*|kernel \d+ \w+ \(\w+\)|arena: \d+ bytes|copies after the last kernel:| {2}[a-z-]+:[a-z0-9]+\[.*|  [a-z]+ (<-|arena\+|variable ).*| {2}(reads|writes|ops|) +[a-z]+:.*)$/;

for (const stage of ['ir', 'optimized', 'fused'] as const satisfies readonly DumpStage[]) {
  test(`stage '${stage}': labels are escaped JSON literals, one line each`, () => {
    const text = hostile().dump({ stage, batchSize: 2 });
    assert.ok(text.includes(stringLiteral(`${EVIL}/kernel`)), 'the variable label, escaped');
    assert.ok(text.includes(stringLiteral(`x:in${EVIL}`)), 'the input label, escaped');
    assert.ok(text.includes(stringLiteral(`y:out${EVIL}`)), 'the label input, escaped');
    assert.not.ok(text.includes(EVIL), 'a raw label reached the dump');
    assert.not.ok(/[\u0085\u2028\u2029\r]/.test(text), 'a raw line separator reached the dump');
    for (const line of text.trimEnd().split('\n')) assert.ok(LINE.test(line), `unexpected line: ${line}`);
  });
}

test("stage 'code': no label, and nothing of one, in generated source", () => {
  const model = hostile();
  const code = model.dump({ stage: 'code', batchSize: 2 });
  assert.not.ok(code.includes(CODE));
  assert.not.ok(code.includes('quoted'));
  assert.not.ok(code.includes('slash'));
  // The same program, named politely, generates the same text: labels play no part in code.
  assert.fixture(code, smallModel().dump({ stage: 'code', batchSize: 2 }));
});

test('DOT dumps keep hostile labels inside their strings, and Graphviz lays them out', async () => {
  for (const stage of ['ir', 'optimized', 'fused'] as const) {
    const dot = hostile().dump({ stage, format: 'dot', batchSize: 2 });
    assert.not.ok(dot.includes(EVIL));
    assert.not.ok(/[\u0085\u2028\u2029\r]/.test(dot));
    // Every line is a statement of ours: a hostile label never starts a line of its own.
    for (const line of dot.trimEnd().split('\n')) {
      assert.ok(/^(digraph "\w+" \{|\}| {2}(graph|node|edge) \[.*\];| {2}".*;| {2}subgraph "cluster_\d+" \{| {4}(label=|").*;| {2}\})$/.test(line), `unexpected DOT line: ${line}`);
    }
    const svg = await renderSvg(dot);
    assert.ok(svg.includes('<svg'));
    assert.not.ok(svg.includes('<script'));
  }
});

test.run();
