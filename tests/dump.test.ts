/**
 * Golden text and DOT dumps. Run with UPDATE_GOLDEN=1 to rewrite tests/golden/*.txt after an
 * intended change to the format, then review the diff.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { grad } from '../src/ir/autodiff.js';
import * as B from '../src/ir/build.js';
import { dotGraph, dotString } from '../src/ir/dot.js';
import { dumpGraph } from '../src/ir/dump.js';
import { stringLiteral, varName } from '../src/ir/format.js';
import type { Graph } from '../src/ir/graph.js';
import { simplify } from '../src/ir/simplify.js';

const GOLDEN = new URL('../../tests/golden/', import.meta.url);

function golden(name: string, actual: string): void {
  const file = new URL(name, GOLDEN);
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(file)) {
    if (process.env.UPDATE_GOLDEN !== '1') throw new Error(`golden file ${name} is missing; run with UPDATE_GOLDEN=1 to create it`);
    writeFileSync(file, actual);
  }
  assert.fixture(actual, readFileSync(file, 'utf8'));
}

const EVIL = 'a "quoted" \\ back\nslash"); process.exit(1); //\u2028end';

/** Dense(2) on a symbolic batch, squared error, gradients and one SGD step: a training program. */
function trainingGraph(): Graph {
  const x = B.input('x', [null, 3]);
  const y = B.input('y', [null, 2]);
  const kernel = B.variable(1, 'dense/kernel', [3, 2]);
  const bias = B.variable(2, 'dense/bias', [2]);
  const pred = B.add(B.matmul(x, kernel), bias);
  const err = B.subtract(pred, y);
  const loss = B.sum(B.multiply(err, err));
  const [gk, gb] = grad(loss, [kernel, bias]);
  const lr = 0.1;
  return simplify({
    outputs: [loss],
    updates: [
      { variable: kernel, value: B.subtract(kernel, B.multiply(gk, lr)) },
      { variable: bias, value: B.subtract(bias, B.multiply(gb, lr)) },
    ],
  });
}

/** User strings in every place a dump prints them: input, variable and gather labels. */
function labelsGraph(): Graph {
  const ids = B.input(EVIL, [4], 'int32');
  const table = B.variable(7, `emb${EVIL}`, [10, 3]);
  const rows = B.gather(table, ids, EVIL);
  const mask = B.cast(B.greater(rows, 0), 'float32');
  return { outputs: [B.multiply(rows, mask), B.reshape(B.iota([2, 2], 1, 'float32'), [4])], updates: [] };
}

test('variable names run a..z, ba, bb, ...', () => {
  assert.equal([0, 1, 25, 26, 27, 51, 52, 26 * 26, 26 * 26 + 26].map(varName), ['a', 'b', 'z', 'ba', 'bb', 'bz', 'ca', 'baa', 'bba']);
});

test('golden: training step text dump', () => golden('train.txt', dumpGraph(trainingGraph())));
test('golden: training step DOT dump', () => golden('train.dot.txt', dotGraph(trainingGraph())));
test('golden: hostile labels text dump', () => golden('labels.txt', dumpGraph(labelsGraph())));
test('golden: hostile labels DOT dump', () => golden('labels.dot.txt', dotGraph(labelsGraph())));

test('dumps are stable: the same graph built twice prints the same', () => {
  assert.is(dumpGraph(trainingGraph()), dumpGraph(trainingGraph()));
  assert.is(dotGraph(labelsGraph()), dotGraph(labelsGraph()));
});

test('a hostile label stays one escaped JSON literal on its line', () => {
  const text = dumpGraph(labelsGraph());
  const literal = stringLiteral(EVIL);
  assert.ok(text.includes(literal));
  assert.equal(JSON.parse(literal), EVIL);
  assert.not.ok(/[\u0085\u2028\u2029]/.test(text), 'a raw line separator reached the dump');
  // Every line is a section header, a declaration, an equation or an update: none starts inside a label.
  for (const line of text.trimEnd().split('\n')) {
    assert.ok(/^(inputs:|variables:|equations:|outputs:|updates:|  [a-z]+:|  [a-z]+ <- )/.test(line), `unexpected line: ${line}`);
  }
});

/** A minimal DOT lexer: quoted strings must close on their line and nothing else may hide in them. */
function dotTokensOutsideStrings(line: string): string {
  let outside = '';
  let i = 0;
  while (i < line.length) {
    if (line[i] !== '"') { outside += line[i++]; continue; }
    i++;
    while (i < line.length && line[i] !== '"') i += line[i] === '\\' ? 2 : 1;
    if (i >= line.length) throw new Error(`unterminated DOT string: ${line}`);
    i++;
    outside += 'S';
  }
  return outside;
}

test('a hostile label cannot escape its DOT string', () => {
  for (const line of dotGraph(labelsGraph()).trimEnd().split('\n')) {
    const outside = dotTokensOutsideStrings(line);
    assert.ok(/^[\sA-Za-z0-9_=,;[\]{}\->S]*$/.test(outside), `DOT outside strings: ${outside}`);
  }
  assert.is(dotString('a"b\\c\nd'), '"a\\"b\\\\c\\nd"');
});

test.run();
